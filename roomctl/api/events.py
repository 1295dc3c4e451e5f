"""The events a room publishes on roomctl/R/events: one type each, with its own fields.

On the wire every event is one JSON object: the envelope (`type`, `ts`, `room` and, during a
session, `session_id`) followed by the event's own fields. The journal stores the same
fields, and the report reads them back through these types.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from roomctl.api.plain import dump_plain, plain_fields
from roomctl.api.state import LightLevelFields, Status
from roomctl.api.wire import WireModel, compact_json, iso_timestamp

# What every published event starts with, between its `type` and its own fields.
_ENVELOPE: dict[str, Any] = {
    "ts": {"type": "string", "format": "date-time", "description": "UTC, with milliseconds"},
    "room": {"type": "string", "description": "the room's id"},
    "session_id": {"type": "string", "description": "the session's id, during a session"},
}


def _wire_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Describe an event as published: `type` (required), the envelope, then its fields."""
    properties = dict(schema["properties"])
    kind = properties.pop("type")
    kind.pop("default", None)
    schema["properties"] = {"type": kind, **_ENVELOPE, **properties}
    schema["required"] = ["type", "ts", "room", *schema.get("required", [])]
    examples = getattr(model, "EXAMPLES", ())
    if examples:
        schema["examples"] = list(examples)


class _Event(WireModel):
    """What every event type shares: frozen, and nothing beyond its declared fields."""

    model_config = ConfigDict(json_schema_extra=_wire_schema)
    # Payloads as published, for the contract document.
    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = ()


class SessionStarted(_Event):
    """A session profile started (at `at_s` seconds into it)."""

    type: Literal["session_started"] = "session_started"
    profile: str
    at_s: float
    by: str | None = None


class PhaseStarted(_Event):
    """The session entered a phase (0-based `phase_index`)."""

    type: Literal["phase_started"] = "phase_started"
    phase: str
    phase_index: int


class Cue(_Event):
    """A staff prompt came due; `late_s` says how late it fired (after a recovery)."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = (
        {
            "type": "cue",
            "ts": "2026-11-26T14:43:11.201Z",
            "room": "room-1",
            "session_id": "3f1c9a0b2d4e",
            "cue_id": "1.0",
            "phase": "onset",
            "notify": "Check blood pressure",
            "at_s": 2400.0,
            "late_s": 0.0,
        },
    )

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"cue_id"})

    type: Literal["cue"] = "cue"
    # None only in records written before cues had ids: a report still reads those.
    cue_id: str | None = Field(default=None, description='"<phase index>.<cue index>", 0-based')
    phase: str
    notify: str
    at_s: float
    late_s: float


class CueAcknowledged(_Event):
    """Staff acknowledged a fired cue, `after_s` wall seconds after it fired."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = (
        {
            "type": "cue_acknowledged",
            "ts": "2026-11-26T14:43:52.501Z",
            "room": "room-1",
            "session_id": "3f1c9a0b2d4e",
            "cue_id": "1.0",
            "phase": "onset",
            "notify": "Check blood pressure",
            "by": "kim",
            "after_s": 41.3,
        },
    )

    type: Literal["cue_acknowledged"] = "cue_acknowledged"
    cue_id: str
    phase: str
    notify: str
    by: str | None = None
    after_s: float = Field(description="wall seconds from the cue firing to the ack")


class Paused(_Event):
    """The session was paused at `elapsed_s` of session time."""

    type: Literal["paused"] = "paused"
    by: str | None = None
    elapsed_s: float | None = None


class Resumed(_Event):
    """The session resumed after `paused_s` seconds."""

    type: Literal["resumed"] = "resumed"
    by: str | None = None
    paused_s: float


class Extended(_Event):
    """The current phase got `added_s` more seconds."""

    type: Literal["extended"] = "extended"
    by: str | None = None
    added_s: float


class Skipped(_Event):
    """The session moved on to its next phase at `elapsed_s`."""

    type: Literal["skipped"] = "skipped"
    by: str | None = None
    elapsed_s: float


class Stopped(_Event):
    """A stop ended the session at `elapsed_s`."""

    type: Literal["stopped"] = "stopped"
    by: str | None = None
    elapsed_s: float | None = None


class EmergencyStarted(_Event):
    """Every light went to the emergency scene and the sound stopped."""

    type: Literal["emergency"] = "emergency"
    by: str | None = None


class Released(_Event):
    """An emergency was released."""

    type: Literal["released"] = "released"
    by: str | None = None


class SessionEnded(_Event):
    """The session ended: it ran its course (`completed`) or was stopped."""

    type: Literal["session_ended"] = "session_ended"
    reason: Literal["completed", "stopped"]
    elapsed_s: float | None = None


class DeviceOffline(_Event):
    """A device stopped answering or said it is offline."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"reason"})

    type: Literal["device_offline"] = "device_offline"
    device: str
    reason: str | None = None


class DeviceOnline(_Event):
    """A device that was offline answers again."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"reason"})

    type: Literal["device_online"] = "device_online"
    device: str
    reason: str | None = None


class CommandRejected(_Event):
    """A command was refused; the reply said the same `reason`."""

    type: Literal["command_rejected"] = "command_rejected"
    reason: str


class SceneApplied(_Event):
    """A scheduled scene was applied to the empty room."""

    type: Literal["scene_applied"] = "scene_applied"
    scene: str


class Recovered(_Event):
    """The daemon came back to an unfinished session after `away_s` seconds down."""

    type: Literal["recovered"] = "recovered"
    away_s: float
    status: Status
    elapsed_s: float | None = None


class ManualChange(_Event):
    """Someone set a light by hand; the room keeps the level they chose."""

    type: Literal["manual_change"] = "manual_change"
    device: str
    reported: LightLevelFields
    kept: LightLevelFields


class DeviceRestored(_Event):
    """A light came back from a power cycle and was given its level again."""

    type: Literal["device_restored"] = "device_restored"
    device: str
    reported: LightLevelFields


class DeviceEventsUnrecorded(_Event):
    """A device's events beyond its budget were published but not recorded one by one."""

    type: Literal["device_events_unrecorded"] = "device_events_unrecorded"
    device: str
    count: int
    window_s: float


class CommandsUnrecorded(_Event):
    """Refused commands beyond the budget were answered but not recorded one by one."""

    type: Literal["commands_unrecorded"] = "commands_unrecorded"
    count: int
    window_s: float


Event = Annotated[
    SessionStarted
    | PhaseStarted
    | Cue
    | CueAcknowledged
    | Paused
    | Resumed
    | Extended
    | Skipped
    | Stopped
    | EmergencyStarted
    | Released
    | SessionEnded
    | DeviceOffline
    | DeviceOnline
    | CommandRejected
    | SceneApplied
    | Recovered
    | ManualChange
    | DeviceRestored
    | DeviceEventsUnrecorded
    | CommandsUnrecorded,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
EVENT_TYPES: tuple[type[_Event], ...] = get_args(get_args(Event)[0])
EventType = Literal[
    "session_started",
    "phase_started",
    "cue",
    "cue_acknowledged",
    "paused",
    "resumed",
    "extended",
    "skipped",
    "stopped",
    "emergency",
    "released",
    "session_ended",
    "device_offline",
    "device_online",
    "command_rejected",
    "scene_applied",
    "recovered",
    "manual_change",
    "device_restored",
    "device_events_unrecorded",
    "commands_unrecorded",
]


# Each event type's plain fields, written without pydantic (None: one with nested parts).
_PLAIN = {model: plain_fields(model, skip=frozenset({"type"})) for model in EVENT_TYPES}


def event_fields(event: Event) -> dict[str, object]:
    """Return an event's own fields (not its type) as JSON values, as the journal keeps them."""
    plain = _PLAIN.get(type(event))
    data = None if plain is None else dump_plain(event, plain)
    return event.model_dump(mode="json", exclude={"type"}) if data is None else data


def read_event(kind: str, fields: dict[str, object]) -> Event:
    """Return the typed event for a stored type and its fields (raises ValidationError)."""
    return EVENT_ADAPTER.validate_python({"type": kind, **fields})


def event_payload(
    event: Event,
    room: str,
    session_id: str | None,
    wall: float,
    fields: dict[str, object] | None = None,
) -> str:
    """Return an event as published: type, ts, room, the session id if any, `fields` or its own."""
    data: dict[str, object] = {"type": event.type, "ts": iso_timestamp(wall), "room": room}
    if session_id is not None:
        data["session_id"] = session_id
    data.update(event_fields(event) if fields is None else fields)
    return compact_json(data)
