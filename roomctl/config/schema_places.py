"""Follow a pydantic error's location through the models' types to the value it means.

Pydantic's `loc` mixes document keys (field names, mapping keys, list indexes) with the
tags of tagged unions; a Place tells them apart and keeps what was found on the way: the
model holding the field, the value's type and the `Hint`s written beside it.
"""

from __future__ import annotations

import dataclasses
import logging
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag

from roomctl.models.base import Hint

_LOGGER = logging.getLogger(__name__)


class Place:
    """Where an error points: the document keys and the types found along the way."""

    def __init__(self) -> None:
        self.keys: list[str | int] = []
        self.holder: type[BaseModel] | None = None
        self.target: Any = None
        self.tags: list[str] = []
        self.hints: list[Hint] = []  # those of the value pointed at, outermost first

    @property
    def hint(self) -> Hint:
        """Return the value's hints as one, the innermost saying each thing winning."""
        merged = Hint()
        for hint in self.hints:
            said = {k: v for k, v in vars(hint).items() if v is not None}
            merged = dataclasses.replace(merged, **said)
        return merged


def locate(model: type[BaseModel], loc: tuple[str | int, ...]) -> Place:
    """Follow loc through the model's types, telling document keys from union tags."""
    place = Place()
    current: Any = model
    for segment in loc:
        current = _unwrap(current, place.hints)
        if _is_union(current):
            member = _union_member(current, segment)
            if member is not None:
                place.tags.append(str(segment))
                current = member
                continue
            current = None
        place.keys.append(segment)
        place.hints = []  # a hint speaks for its own value, not for the fields inside it
        place.holder = current if _is_model(current) else None
        current = _child(current, segment)
    place.target = _unwrap(current, place.hints)
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


def _unwrap(current: Any, hints: list[Hint] | None = None) -> Any:
    """Strip Annotated and Optional until a model, a container, a union or a leaf is left.

    The hints found in the Annotated metadata on the way are added to `hints`.
    """
    while True:
        if get_origin(current) is Annotated:
            current, *metadata = get_args(current)
            if hints is not None:
                hints.extend(m for m in metadata if isinstance(m, Hint))
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


def tags_of(target: Any) -> list[str]:
    """Return the `type` tags a tagged union's members take, in order."""
    tags: list[str] = []
    for member in get_args(target) if _is_union(target) else ():
        tags.extend(_type_tags(_unwrap(member)))
    return tags
