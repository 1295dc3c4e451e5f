"""Pydantic validation errors turned into problems that say where and what to write.

The wording here is generic (a missing field, an unknown one, a number too small); where an
error points is found by schema_places; the wording that belongs to one field (what a room
id looks like, what to write for a light) is a `Hint` in that field's type, beside its
model in roomctl/models/.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from roomctl.config.problems import Problem
from roomctl.config.schema_places import Place, locate, tags_of
from roomctl.config.suggest import did_you_mean
from roomctl.config.yamlfile import YamlDocument
from roomctl.models.base import Hint

_LOGGER = logging.getLogger(__name__)

# The last loc segment pydantic gives when a mapping key (not its value) is wrong.
_KEY = "[key]"
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping of fields",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
}


def schema_problems(
    document: YamlDocument, model: type[BaseModel], error: ValidationError
) -> list[Problem]:
    """Return one problem per validation error, at the line of the field it concerns."""
    problems: dict[tuple[str | int, ...], Problem] = {}
    wanted: dict[tuple[str | int, ...], list[str]] = {}
    for detail in error.errors():
        if detail["loc"][-1:] == (_KEY,):
            keys = tuple(locate(model, detail["loc"][:-1]).keys)
            message = _key_message(detail, locate(model, detail["loc"][:-2]).hint)
            problems[keys] = document.problem(keys, message)
            continue
        place = locate(model, detail["loc"])
        keys = tuple(place.keys)
        if detail["type"] == "union_tag_invalid" and isinstance(detail["input"], dict):
            keys = (*keys, _discriminator(detail))
        if detail["type"] in _TYPE_WORDS:
            # A value that fits no member of a union (`str | int`) fails once per member.
            wanted.setdefault(keys, []).append(_wanted(detail["type"], place))
            message = f"expected {' or '.join(wanted[keys])}, got {detail['input']!r}"
            problems[keys] = document.problem(keys, message)
        elif keys not in problems:
            problems[keys] = document.problem(keys, _message(detail, place))
    return list(problems.values())


def _key_message(detail: ErrorDetails, mapping: Hint) -> str:
    """Return what is wrong with a mapping key: a name from a fixed list, or text at all."""
    name = detail["loc"][-2]
    if detail["type"] == "literal_error":
        allowed = _QUOTED.findall(str(_ctx(detail).get("expected", "")))
        what = mapping.key_kind or "name"
        hint = did_you_mean(str(name), allowed)
        return f"unknown {what} '{name}' (the {what}s are {', '.join(allowed)}){hint}"
    return f'the name {name!r} must be text: write it in quotes, like "{name}"'


def _discriminator(detail: ErrorDetails) -> str:
    names = _QUOTED.findall(str(detail.get("ctx", {}).get("discriminator", "")))
    return names[0] if names else "type"


def _message(detail: ErrorDetails, place: Place) -> str:
    """Return what is wrong and what to write instead."""
    explain = _EXPLAIN.get(detail["type"])
    return explain(detail, place) if explain else str(detail["msg"])


def _ctx(detail: ErrorDetails) -> dict[str, Any]:
    return dict(detail.get("ctx") or {})


def _name(place: Place) -> str:
    return str(place.keys[-1]) if place.keys else ""


def _missing(detail: ErrorDetails, place: Place) -> str:
    return f"missing required field '{_name(place)}'"


def _literal(detail: ErrorDetails, place: Place) -> str:
    allowed = _QUOTED.findall(str(_ctx(detail).get("expected", "")))
    return _not_allowed(detail["input"], allowed, place)


def _tag_not_found(detail: ErrorDetails, place: Place) -> str:
    tags = tags_of(place.target)
    return f"missing field '{_discriminator(detail)}': write one of {', '.join(tags)}"


def _value_error(detail: ErrorDetails, place: Place) -> str:
    return str(_ctx(detail).get("error", detail["msg"]))


def _pattern_mismatch(detail: ErrorDetails, place: Place) -> str:
    hint = place.hint
    if mismatch := _mismatch(hint, detail["input"]):
        return mismatch
    return f"'{detail['input']}' does not have the expected form {_ctx(detail).get('pattern', '')}"


def _empty(detail: ErrorDetails, place: Place) -> str:
    return "must not be empty"


def _no_entries(detail: ErrorDetails, place: Place) -> str:
    return "needs at least one entry"


def _too_small(detail: ErrorDetails, place: Place) -> str:
    ctx = _ctx(detail)
    if "gt" in ctx:
        return f"must be more than {ctx['gt']:g}"
    return f"must be at least {ctx.get('ge', 0):g}"


def _unknown(detail: ErrorDetails, place: Place) -> str:
    return _unknown_field(_name(place), place.holder)


def _unknown_field(name: str, holder: type[BaseModel] | None) -> str:
    fields = list(holder.model_fields) if holder is not None else []
    if hint := did_you_mean(name, fields):
        return f"unknown field '{name}'{hint}"
    if fields:
        return f"unknown field '{name}': the fields here are {', '.join(fields)}"
    return f"unknown field '{name}'"


def _not_allowed(value: object, allowed: list[str], place: Place) -> str:
    if mismatch := _mismatch(place.hint, value):
        return mismatch
    return f"'{value}' is not one of {', '.join(allowed)}{did_you_mean(str(value), allowed)}"


def _unknown_tag(detail: ErrorDetails, place: Place) -> str:
    ctx = _ctx(detail)
    tag = str(ctx.get("tag", ""))
    expected = _QUOTED.findall(str(ctx.get("expected_tags", "")))
    what = place.hint.tag_kind or _discriminator(detail)
    hint = did_you_mean(tag, expected)
    return f"unknown {what} '{tag}' (the types are {', '.join(expected)}){hint}"


def _mismatch(hint: Hint, value: object) -> str | None:
    """Return the hint's wording for a value of the wrong form, if it has one."""
    if hint.mismatch is None:
        return None
    return hint.mismatch.format(value=value, expected=hint.expected or "")


def _wanted(kind: str, place: Place) -> str:
    """Return what a value of the wrong type should have been, with an example if any."""
    return place.hint.expected or _TYPE_WORDS[kind]


_EXPLAIN: dict[str, Callable[[ErrorDetails, Place], str]] = {
    "extra_forbidden": _unknown,
    "missing": _missing,
    "literal_error": _literal,
    "union_tag_invalid": _unknown_tag,
    "union_tag_not_found": _tag_not_found,
    "value_error": _value_error,
    "assertion_error": _value_error,
    "string_pattern_mismatch": _pattern_mismatch,
    "string_too_short": _empty,
    "too_short": _no_entries,
    "greater_than": _too_small,
    "greater_than_equal": _too_small,
}
