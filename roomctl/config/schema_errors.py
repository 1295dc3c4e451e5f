"""Pydantic validation errors turned into problems that say where and what to write."""

from __future__ import annotations

import logging
import re
import types
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from roomctl.config.problems import Problem
from roomctl.config.references import did_you_mean
from roomctl.config.yamlfile import YamlDocument

_LOGGER = logging.getLogger(__name__)

# The last loc segment pydantic gives when a mapping key (not its value) is wrong.
_KEY = "[key]"
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_TOPIC_FIELDS = frozenset({"topic", "command_topic", "state_topic", "availability_topic"})
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
# What the keys of a mapping with a fixed set of keys are called, by the mapping's field.
_KEY_KINDS = {"rates": "network"}
_EXAMPLES: dict[str, str] = {
    "LightSetting": "off or a setting like {brightness: 60%, color_temp: 3000K}",
    "SoundSetting": "off or a setting like {source: noise:brown, volume: -30 dB}",
}


def schema_problems(
    document: YamlDocument, model: type[BaseModel], error: ValidationError
) -> list[Problem]:
    """Return one problem per validation error, at the line of the field it concerns."""
    problems: dict[tuple[str | int, ...], Problem] = {}
    wanted: dict[tuple[str | int, ...], list[str]] = {}
    for detail in error.errors():
        if detail["loc"][-1:] == (_KEY,):
            keys = tuple(_locate(model, detail["loc"][:-1]).keys)
            message = _key_message(detail, keys)
            problems[keys] = document.problem(keys, message)
            continue
        place = _locate(model, detail["loc"])
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


def _key_message(detail: ErrorDetails, keys: tuple[str | int, ...]) -> str:
    """Return what is wrong with a mapping key: a name from a fixed list, or text at all."""
    name = detail["loc"][-2]
    if detail["type"] == "literal_error":
        allowed = _QUOTED.findall(str(_ctx(detail).get("expected", "")))
        what = _KEY_KINDS.get(str(keys[0]) if keys else "", "name")
        hint = did_you_mean(str(name), allowed)
        return f"unknown {what} '{name}' (the {what}s are {', '.join(allowed)}){hint}"
    return f'the name {name!r} must be text: write it in quotes, like "{name}"'


class _Place:
    """Where an error points: the document keys and the types found along the way."""

    def __init__(self) -> None:
        self.keys: list[str | int] = []
        self.holder: type[BaseModel] | None = None
        self.target: Any = None
        self.tags: list[str] = []


def _locate(model: type[BaseModel], loc: tuple[str | int, ...]) -> _Place:
    """Follow loc through the model's types, telling document keys from union tags."""
    place = _Place()
    current: Any = model
    for segment in loc:
        current = _unwrap(current)
        if _is_union(current):
            member = _union_member(current, segment)
            if member is not None:
                place.tags.append(str(segment))
                current = member
                continue
            current = None
        place.keys.append(segment)
        place.holder = current if _is_model(current) else None
        current = _child(current, segment)
    place.target = _unwrap(current)
    return place


def _child(current: Any, segment: str | int) -> Any:
    if _is_model(current):
        field = current.model_fields.get(str(segment))
        return _annotated(field.annotation, field.metadata) if field else None
    origin = get_origin(current)
    if origin is dict:
        return get_args(current)[1]
    if origin in (tuple, list):
        return get_args(current)[0]
    return None


def _annotated(annotation: Any, metadata: list[Any]) -> Any:
    """Return a field's annotation; its metadata may carry a discriminator, not its type."""
    return Annotated[annotation, *metadata] if metadata else annotation


def _unwrap(current: Any) -> Any:
    """Strip Annotated and Optional until a model, a container, a union or a leaf is left."""
    while True:
        if get_origin(current) is Annotated:
            current = get_args(current)[0]
        elif _is_union(current) and type(None) in get_args(current):
            rest = tuple(a for a in get_args(current) if a is not type(None))
            current = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007
        else:
            return current


def _is_union(current: Any) -> bool:
    return get_origin(current) in (Union, types.UnionType)


def _is_model(current: Any) -> bool:
    return isinstance(current, type) and issubclass(current, BaseModel)


def _union_member(union: Any, segment: str | int) -> Any:
    """Return the member a union tag names, or None when the segment is no tag."""
    for annotated in get_args(union):
        member, *metadata = (
            get_args(annotated) if get_origin(annotated) is Annotated else [annotated]
        )
        if any(isinstance(m, Tag) and m.tag == segment for m in metadata):
            return member
        if _is_model(member) and segment in _type_tags(member):
            return member
        if getattr(member, "__name__", None) == segment:
            return member
    return None


def _type_tags(model: type[BaseModel]) -> tuple[str, ...]:
    field = model.model_fields.get("type")
    if field is None or get_origin(field.annotation) is not Literal:
        return ()
    return tuple(str(a) for a in get_args(field.annotation))


def _discriminator(detail: ErrorDetails) -> str:
    names = _QUOTED.findall(str(detail.get("ctx", {}).get("discriminator", "")))
    return names[0] if names else "type"


def _message(detail: ErrorDetails, place: _Place) -> str:
    """Return what is wrong and what to write instead."""
    explain = _EXPLAIN.get(detail["type"])
    return explain(detail, place) if explain else str(detail["msg"])


def _ctx(detail: ErrorDetails) -> dict[str, Any]:
    return dict(detail.get("ctx") or {})


def _name(place: _Place) -> str:
    return str(place.keys[-1]) if place.keys else ""


def _missing(detail: ErrorDetails, place: _Place) -> str:
    return f"missing required field '{_name(place)}'"


def _literal(detail: ErrorDetails, place: _Place) -> str:
    allowed = _QUOTED.findall(str(_ctx(detail).get("expected", "")))
    return _not_allowed(detail["input"], allowed, place)


def _tag_not_found(detail: ErrorDetails, place: _Place) -> str:
    tags = _tags_of(place.target)
    return f"missing field '{_discriminator(detail)}': write one of {', '.join(tags)}"


def _value_error(detail: ErrorDetails, place: _Place) -> str:
    return str(_ctx(detail).get("error", detail["msg"]))


def _pattern_mismatch(detail: ErrorDetails, place: _Place) -> str:
    return _pattern(_name(place), detail["input"], str(_ctx(detail).get("pattern", "")))


def _empty(detail: ErrorDetails, place: _Place) -> str:
    return "must not be empty"


def _no_entries(detail: ErrorDetails, place: _Place) -> str:
    return "needs at least one entry"


def _too_small(detail: ErrorDetails, place: _Place) -> str:
    ctx = _ctx(detail)
    if "gt" in ctx:
        return f"must be more than {ctx['gt']:g}"
    return f"must be at least {ctx.get('ge', 0):g}"


def _unknown(detail: ErrorDetails, place: _Place) -> str:
    return _unknown_field(_name(place), place.holder)


def _unknown_field(name: str, holder: type[BaseModel] | None) -> str:
    fields = list(holder.model_fields) if holder is not None else []
    if hint := did_you_mean(name, fields):
        return f"unknown field '{name}'{hint}"
    if fields:
        return f"unknown field '{name}': the fields here are {', '.join(fields)}"
    return f"unknown field '{name}'"


def _not_allowed(value: object, allowed: list[str], place: _Place) -> str:
    if "word" in place.tags:
        setting = "SoundSetting" if "sound" in place.keys else "LightSetting"
        return f"'{value}' is not a setting: write {_EXAMPLES[setting]}"
    return f"'{value}' is not one of {', '.join(allowed)}{did_you_mean(str(value), allowed)}"


def _unknown_tag(detail: ErrorDetails, place: _Place) -> str:
    ctx = _ctx(detail)
    tag = str(ctx.get("tag", ""))
    expected = _QUOTED.findall(str(ctx.get("expected_tags", "")))
    what = "device type" if "devices" in place.keys else _discriminator(detail)
    hint = did_you_mean(tag, expected)
    return f"unknown {what} '{tag}' (the types are {', '.join(expected)}){hint}"


def _tags_of(target: Any) -> list[str]:
    tags: list[str] = []
    for member in get_args(target) if _is_union(target) else ():
        tags.extend(_type_tags(_unwrap(member)))
    return tags


def _pattern(name: str, value: object, pattern: str) -> str:
    if name == "id":
        return f"'{value}' is not a room id: use lowercase letters, digits and '-' (like room-1)"
    if name in _TOPIC_FIELDS:
        return f"'{value}' is not an MQTT topic to publish to: no spaces, '#' or '+'"
    return f"'{value}' does not have the expected form {pattern}"


def _wanted(kind: str, place: _Place) -> str:
    """Return what a value of the wrong type should have been, with an example if any."""
    target = place.target
    members = get_args(target) if _is_union(target) else (target,)
    for member in members:
        example = _EXAMPLES.get(getattr(_unwrap(member), "__name__", ""))
        if example:
            return example
    return _TYPE_WORDS[kind]


_EXPLAIN: dict[str, Callable[[ErrorDetails, _Place], str]] = {
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
