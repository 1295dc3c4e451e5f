"""What the retained roomctl/R/state and roomctl/R/availability topics say about a room."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Final, Literal

from pydantic import ConfigDict, Field, field_serializer

from roomctl.api.plain import dump_part
from roomctl.api.wire import WireModel, compact_json, iso_timestamp

Status = Literal["idle", "running", "paused", "emergency", "ended"]

Availability = Literal["online", "offline"]
# The retained availability payloads; OFFLINE is also the daemon's last will.
ONLINE: Final[Availability] = "online"
OFFLINE: Final[Availability] = "offline"
# The state's session times, written to a tenth of a second.
_TENTHS = ("elapsed_s", "phase_remaining_s", "remaining_s")


class LightLevelFields(WireModel):
    """A light's level as events and the state show it: `mireds` or `color` when it has one."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"mireds", "color"})

    on: bool
    brightness: float = Field(ge=0.0, le=1.0, description="0..1, rounded to 0.001")
    mireds: int | None = None
    color: tuple[int, int, int] | None = Field(default=None, description="red, green, blue")


class DeviceState(WireModel):
    """One device in the state: whether it is online, and a level set at the light by hand."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"manual"})

    online: bool | None = Field(description="null until the device has been heard from")
    manual: LightLevelFields | None = Field(
        default=None, description="the level set by hand, kept until the next phase or scene"
    )

    def wire(self) -> dict[str, object]:
        """Return the device as model_dump(mode="json") writes it (a state lists every one)."""
        if self.manual is None:
            return {"online": self.online}
        return {"online": self.online, "manual": dump_part(self.manual)}


class PhaseSpan(WireModel):
    """A phase's planned start and end in session seconds, for progress bars."""

    name: str
    start_s: float
    end_s: float


class NextCue(WireModel):
    """The next cue not yet fired: its id, text, phase, session time and how soon it is due."""

    id: str = Field(description='"<phase index>.<cue index>", both 0-based')
    notify: str
    phase: str
    at_s: float
    in_s: float


class PendingCue(WireModel):
    """A fired cue not yet acknowledged: its id, text, phase, session time and when it fired."""

    id: str = Field(description='"<phase index>.<cue index>", both 0-based')
    notify: str
    phase: str
    at_s: float
    fired_at: str = Field(
        description="when it fired: UTC with milliseconds, like 2026-11-26T14:03:41.201Z"
    )


class JournalProblem(WireModel):
    """Shown only while the journal cannot be written or the disk has not answered for 2 s."""

    ok: Literal[False] = False
    error: str


_UPDATED_AT: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "description": "when it was published: UTC with milliseconds, like 2026-11-26T14:03:11.201Z",
}


_EXAMPLE: dict[str, Any] = {
    "room": "room-1",
    "status": "paused",
    "profile": "im-ketamine-60",
    "session_id": "3f1c9a0b2d4e",
    "phase": "onset",
    "phase_index": 1,
    "phase_count": 5,
    "elapsed_s": 812.4,
    "phase_remaining_s": 88.0,
    "remaining_s": 2788.0,
    "paused_by": "kim",
    "updated_at": "2026-11-26T14:03:11.201Z",
    "devices": {
        "ceiling": {"online": True, "manual": {"on": True, "brightness": 0.8, "mireds": 333}},
        "lamp": {"online": None},
    },
    "phases": [{"name": "arrival", "start_s": 0.0, "end_s": 600.0}],
    "speed": 1.0,
    "next_cue": {
        "id": "1.0",
        "notify": "Check blood pressure",
        "phase": "onset",
        "at_s": 2400.0,
        "in_s": 1588.0,
    },
    "pending_cues": [
        {
            "id": "0.0",
            "notify": "Baseline blood pressure",
            "phase": "arrival",
            "at_s": 30.0,
            "fired_at": "2026-11-26T13:50:08.801Z",
        }
    ],
}


def _with_updated_at(schema: dict[str, Any]) -> None:
    """Add `updated_at`, which `payload` writes after `paused_by`, and an example to the schema."""
    properties: dict[str, Any] = {}
    for key, value in schema["properties"].items():
        properties[key] = value
        if key == "paused_by":
            properties["updated_at"] = _UPDATED_AT
    schema["properties"] = properties
    schema["required"] = [*schema.get("required", []), "updated_at"]
    schema["examples"] = [_EXAMPLE]


class RoomState(WireModel):
    """Everything the retained state topic says about a room.

    The payload also carries `updated_at` (when it was published) after `paused_by`;
    `phases` and `speed` only while the room has a session, `ends_at` only while it runs,
    `journal` only when it fails; `site` only when the daemon has one.
    """

    model_config = ConfigDict(json_schema_extra=_with_updated_at)
    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset(
        {"site", "phases", "speed", "ends_at", "journal"}
    )

    room: str
    site: str | None = Field(
        default=None,
        description="the site the room is at (`roomctl run --site`); only when it has one",
    )
    status: Status
    profile: str | None = None
    session_id: str | None = None
    phase: str | None = None
    phase_index: int | None = Field(default=None, description="0-based")
    phase_count: int | None = None
    elapsed_s: float | None = Field(
        default=None, description="session time; stands still while paused"
    )
    phase_remaining_s: float | None = None
    remaining_s: float | None = None
    paused_by: str | None = None
    devices: dict[str, DeviceState] = Field(default_factory=dict)
    phases: list[PhaseSpan] | None = None
    speed: float | None = None
    next_cue: NextCue | None = None
    pending_cues: list[PendingCue] = Field(
        default_factory=list, description="fired cues not yet acknowledged, oldest first"
    )
    ends_at: str | None = Field(
        default=None,
        json_schema_extra={"format": "date-time"},
        description="while running: when the session is due to end at this pace, UTC to the "
        "second, like 2026-11-26T14:49:39.000Z (Home Assistant's timestamp sensor shows it)",
    )
    journal: JournalProblem | None = None

    @field_serializer(*_TENTHS)
    def _tenths(self, value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    def payload(self, wall: float) -> str:
        """Return the state as the JSON the contract shows, published at wall time `wall`."""
        # Written field by field, not by model_dump: pydantic called back into Python for
        # every pending cue and device of every state message, which was a quarter of a
        # cue's turn with a dozen cues pending (the same JSON either way; see
        # tests/test_api_payloads.py).
        data: dict[str, object] = {}
        for key in type(self).model_fields:
            value = getattr(self, key)
            if value is not None:
                data[key] = self._wire_field(key, value)
            elif key not in self.OMIT_WHEN_NONE:
                data[key] = None
            if key == "paused_by":
                data["updated_at"] = iso_timestamp(wall)
        return compact_json(data)

    def _wire_field(self, key: str, value: object) -> object:
        """Return one field's JSON value (not None) as model_dump(mode="json") writes it."""
        match value:
            case float():
                return _finite(round(value, 1) if key in _TENTHS else value)
            case WireModel():
                return dump_part(value)
            case dict():  # the devices
                return {name: device.wire() for name, device in value.items()}
            case list() if key == "phases":
                return [
                    {"name": p.name, "start_s": float(p.start_s), "end_s": float(p.end_s)}
                    for p in value
                ]
            case list():  # the pending cues
                return [dump_part(cue) for cue in value]
        return value


def _finite(value: float) -> float | None:
    """Return a float as pydantic writes it in JSON: infinity and NaN as null."""
    return value if math.isfinite(value) else None
