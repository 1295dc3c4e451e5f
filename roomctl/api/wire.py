"""How roomctl writes its payloads: compact JSON and UTC timestamps with milliseconds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

# json.dumps with separators builds an encoder per call (a third of a small payload's cost):
# one, configured as json.dumps(value, separators=(",", ":")) would, serves every payload.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def compact_json(value: object) -> str:
    """Return JSON without spaces after separators, the way every payload is written."""
    return _COMPACT.encode(value)


def iso_timestamp(wall: float) -> str:
    """Return a UTC ISO 8601 timestamp with milliseconds, like 2026-11-26T14:03:11.201Z."""
    # Milliseconds cut, not rounded; the text ends in +00:00 (UTC), which becomes Z.
    return datetime.fromtimestamp(wall, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


class WireModel(BaseModel):
    """A frozen payload part that takes nothing beyond its fields.

    Fields named in `OMIT_WHEN_NONE` are left out of the payload when they are None (the
    wire has always omitted them then); every other None is written as null.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_nones(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in self._omitted_when_none():
            if data.get(name, 0) is None:
                del data[name]
        return data

    def _omitted_when_none(self) -> frozenset[str]:
        """Return the fields this payload leaves out when they are None."""
        return self.OMIT_WHEN_NONE
