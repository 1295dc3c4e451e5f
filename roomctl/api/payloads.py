"""Build the JSON payloads roomctl publishes: replies, state and events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from roomctl.api.state import Status

EventType = Literal[
    "session_started",
    "phase_started",
    "cue",
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


def iso_timestamp(wall: float) -> str:
    """Return a UTC ISO 8601 timestamp with milliseconds, like 2026-11-26T14:03:11.201Z."""
    moment = datetime.fromtimestamp(wall, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _dump(data: dict[str, object]) -> str:
    return json.dumps(data, separators=(",", ":"))


def reply_payload(
    request_id: str | None,
    ok: bool,
    status: Status,
    error: str | None,
    recorded: bool | None = None,
) -> str:
    """Return a command reply; an accepted one says whether its record is on disk yet."""
    data: dict[str, object] = {"request_id": request_id, "ok": ok, "status": status}
    if not ok:
        data["error"] = error
    if recorded is not None:
        data["recorded"] = recorded
        if not recorded and error is not None:
            data["warning"] = error
    return _dump(data)


def event_payload(kind: EventType, wall: float, fields: dict[str, object]) -> str:
    """Return one event."""
    return _dump({"type": kind, "ts": iso_timestamp(wall), **fields})


@dataclass(frozen=True, slots=True)
class RoomState:
    """Everything the retained state topic says about a room."""

    room: str
    status: Status
    profile: str | None = None
    session_id: str | None = None
    phase: str | None = None
    phase_index: int | None = None
    phase_count: int | None = None
    elapsed_s: float | None = None
    phase_remaining_s: float | None = None
    remaining_s: float | None = None
    paused_by: str | None = None
    devices: dict[str, bool | None] = field(default_factory=dict)
    # Per device, what the state shows beside `online` (a level kept because set by hand).
    device_details: dict[str, dict[str, object]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    def payload(self, wall: float) -> str:
        """Return the state as the JSON the contract shows."""

        def seconds(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        data: dict[str, object] = {
            "room": self.room,
            "status": self.status,
            "profile": self.profile,
            "session_id": self.session_id,
            "phase": self.phase,
            "phase_index": self.phase_index,
            "phase_count": self.phase_count,
            "elapsed_s": seconds(self.elapsed_s),
            "phase_remaining_s": seconds(self.phase_remaining_s),
            "remaining_s": seconds(self.remaining_s),
            "paused_by": self.paused_by,
            "updated_at": iso_timestamp(wall),
            "devices": {
                name: {"online": online, **self.device_details.get(name, {})}
                for name, online in self.devices.items()
            },
            **self.extra,
        }
        return _dump(data)
