"""A payload model's plain fields as JSON values, written without pydantic's serializer.

Building a payload through `model_dump` was about a tenth of a refused command's work.
For a model whose fields are all plain (str, int, bool, float, None, a Literal of strings)
the JSON values are its attribute values, so they are read directly; a model with a nested
model or a tuple is left to pydantic. tests/test_api_payloads.py checks that both ways
write the same JSON.
"""

from __future__ import annotations

import math
from functools import cache
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from roomctl.api.wire import WireModel

# Each plain field's name and whether it holds a float (pydantic writes an int there as one).
PlainFields = tuple[tuple[str, bool], ...]


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType)


def _plain(annotation: Any) -> bool:
    """Return whether a field's values are their own JSON (str, int, bool, None, a Literal)."""
    if annotation in (str, int, bool, type(None)):
        return True
    if get_origin(annotation) is Literal:
        return all(isinstance(arg, str) for arg in get_args(annotation))
    return _is_union(annotation) and all(_plain(arg) for arg in get_args(annotation))


def _floats(annotation: Any) -> bool:
    """Return whether a field holds a float, or a float or None."""
    return annotation is float or (
        _is_union(annotation) and set(get_args(annotation)) == {float, type(None)}
    )


def plain_fields(model: type[WireModel], skip: frozenset[str] = frozenset()) -> PlainFields | None:
    """Return a model's fields (but `skip`) if every one is plain, else None."""
    kinds = {name: info.annotation for name, info in model.model_fields.items()}
    if not all(_plain(kind) or _floats(kind) for kind in kinds.values()):
        return None
    if any(info.serialization_alias or info.alias for info in model.model_fields.values()):
        return None  # written under another name: pydantic knows it
    return tuple((name, _floats(kind)) for name, kind in kinds.items() if name not in skip)


def dump_plain(value: WireModel, fields: PlainFields) -> dict[str, object] | None:
    """Return the fields' JSON values as model_dump(mode="json") would, or None if it must."""
    omit = value._omitted_when_none()
    data: dict[str, object] = {}
    for name, is_float in fields:
        item = getattr(value, name)
        if item is None:
            if name in omit:
                continue
        elif is_float:
            item = float(item)
            if not math.isfinite(item):
                return None  # pydantic writes inf and nan as null
        data[name] = item
    return data


@cache
def _fields_of(model: type[WireModel]) -> PlainFields | None:
    """Return plain_fields(model), worked out once per model."""
    return plain_fields(model)


def dump_part(value: WireModel) -> dict[str, object]:
    """Return a payload part as model_dump(mode="json") would: read directly when plain."""
    fields = _fields_of(type(value))
    data = None if fields is None else dump_plain(value, fields)
    return data if data is not None else value.model_dump(mode="json")
