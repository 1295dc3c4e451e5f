"""What `roomctl status` knows of each room: its state, availability and last cue, checked."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from roomctl.api.topics import PREFIX
from roomctl.core import Progress
from roomctl.errors import RoomctlError

# The daemon republishes an active session's state every 15 s (the heartbeat). Two missed
# heartbeats (30 s) plus 15 s for clocks of two machines that disagree a little: a state
# older than this while a session is active means the daemon is not keeping it current.
STALE_AFTER_S = 45.0
ACTIVE = ("running", "paused", "emergency")
STATUSES = ("idle", *ACTIVE, "ended")
_TEXT_OR_NULL = ("profile", "session_id", "phase", "paused_by")
_NUMBER_OR_NULL = ("elapsed_s", "phase_remaining_s", "remaining_s")
_COUNT_OR_NULL = ("phase_index", "phase_count")

Condition = Literal["live", "offline", "stale", "unreadable", "waiting"]


class UnreadableStateError(RoomctlError, ValueError):
    """A state payload that does not have the contract's shape."""


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue the status tool saw fire."""

    notify: str
    phase: str | None
    at: datetime
    session_id: str | None


@dataclass(frozen=True, slots=True)
class RoomSeen:
    """Everything seen about one room; the room's id is its topic's, never a payload's."""

    room: str
    state: dict[str, Any] | None = None
    unreadable: str | None = None  # why the last state could not be read
    availability: str | None = None  # "online", "offline", or None: never seen
    availability_seen_at: datetime | None = None  # when it changed while we watched
    last_cue: Cue | None = None

    def condition(self, now: datetime) -> Condition:
        """Return whether the room's state can be trusted at `now`, and if not why."""
        if self.unreadable is not None:
            return "unreadable"
        if self.availability == "offline":
            return "offline"
        if self.state is None:
            return "waiting"
        if self.state["status"] in ACTIVE and self.age(now) > STALE_AFTER_S:
            return "stale"
        return "live"

    def updated_at(self) -> datetime | None:
        """Return when the daemon published the state."""
        return None if self.state is None else self.state["updated_at"]

    def age(self, now: datetime) -> float:
        """Return the state's age in seconds at `now` (0 without a state)."""
        updated = self.updated_at()
        return 0.0 if updated is None else max(0.0, (now - updated).total_seconds())


def room_of(topic: str, base: str = PREFIX) -> tuple[str, str] | None:
    """Return (room id, kind) of a `<base>/R/kind` topic, or None for any other topic."""
    if not topic.startswith(base + "/"):
        return None
    parts = topic[len(base) + 1 :].split("/")
    if len(parts) != 2 or not parts[0]:
        return None
    return parts[0], parts[1]


def read_state(payload: bytes) -> dict[str, Any]:
    """Return a state payload checked against the contract's shape; raise UnreadableStateError."""
    try:
        data = json.loads(payload)
    except ValueError as error:
        raise UnreadableStateError(f"not JSON ({error})") from None
    if not isinstance(data, dict):
        raise UnreadableStateError(f"not a JSON object but {_show(data)}")
    state = dict(data)
    if state.get("status") not in STATUSES:
        raise UnreadableStateError(f"status {_show(state.get('status'))} is none of {STATUSES}")
    for key in _TEXT_OR_NULL:
        _expect(state, key, state.get(key) is None or isinstance(state.get(key), str), "a text")
    for key in _NUMBER_OR_NULL:
        _expect(state, key, state.get(key) is None or _number(state.get(key)), "a number")
    for key in _COUNT_OR_NULL:
        value = state.get(key)
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
        _expect(state, key, ok, "a whole number")
    state["updated_at"] = _timestamp(state.get("updated_at"))
    state["devices"] = _devices(state.get("devices", {}))
    state["phases"] = _phases(state.get("phases", []))
    speed = state.get("speed", 1.0)
    _expect(state, "speed", _number(speed) and speed > 0, "a positive number")
    state["next_cue"] = _next_cue(state.get("next_cue"))
    state["pending_cues"] = _pending_cues(state.get("pending_cues"))
    return state


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _expect(state: dict[str, Any], key: str, ok: bool, what: str) -> None:
    if not ok:
        raise UnreadableStateError(f"{key} must be {what}, not {_show(state.get(key))}")


def _timestamp(value: object, key: str = "updated_at") -> datetime:
    if not isinstance(value, str):
        raise UnreadableStateError(f"{key} must be a timestamp, not {_show(value)}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableStateError(f"{key} {_show(value)} is not a timestamp") from None
    if moment.tzinfo is None:
        raise UnreadableStateError(f"{key} {_show(value)} has no time zone")
    return moment


def _devices(value: object) -> dict[str, bool | None]:
    if not isinstance(value, dict):
        raise UnreadableStateError(f"devices must be an object, not {_show(value)}")
    devices: dict[str, bool | None] = {}
    for name, info in value.items():
        online = info.get("online") if isinstance(info, dict) else "?"
        if online not in (True, False, None):
            raise UnreadableStateError(
                f'devices.{name} must be {{"online": true|false|null}}, not {_show(info)}'
            )
        devices[name] = online
    return devices


def _phases(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise UnreadableStateError(f"phases must be a list, not {_show(value)}")
    for phase in value:
        ok = isinstance(phase, dict) and isinstance(phase.get("name"), str)
        ok = ok and _number(phase.get("start_s")) and _number(phase.get("end_s"))
        if not ok or phase["end_s"] < phase["start_s"]:
            raise UnreadableStateError(f"phases has {_show(phase)}, not a name, start_s and end_s")
    return list(value)


def _next_cue(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not (
        isinstance(value, dict)
        and isinstance(value.get("notify"), str)
        and _number(value.get("at_s"))
        and _number(value.get("in_s"))
        and isinstance(value.get("id", ""), str)
    ):
        raise UnreadableStateError(f"next_cue must be null or a cue, not {_show(value)}")
    return dict(value)


def _pending_cues(value: object) -> list[dict[str, Any]] | None:
    """Return the fired cues not yet acknowledged, `fired_at` read as a time (None: not said)."""
    if value is None:  # a daemon from before acknowledgements
        return None
    if not isinstance(value, list):
        raise UnreadableStateError(f"pending_cues must be a list, not {_show(value)}")
    cues: list[dict[str, Any]] = []
    for cue in value:
        ok = isinstance(cue, dict) and isinstance(cue.get("id"), str)
        ok = ok and isinstance(cue.get("notify"), str) and _number(cue.get("at_s"))
        ok = ok and isinstance(cue.get("phase"), str)
        if not ok:
            raise UnreadableStateError(
                f"pending_cues has {_show(cue)}, not an id, notify, phase, at_s and fired_at"
            )
        fired_at = _timestamp(cue.get("fired_at"), f"pending_cues[{len(cues)}].fired_at")
        cues.append({**cue, "fired_at": fired_at})
    return cues


def _cue(payload: bytes) -> Cue | None:
    """Return the cue an event announces, or None for another event or a malformed one."""
    try:
        data = json.loads(payload)
        if not isinstance(data, dict) or data.get("type") != "cue":
            return None
        notify, ts = data.get("notify"), _timestamp(data.get("ts"))
    except (ValueError, UnreadableStateError):
        return None
    if not isinstance(notify, str):
        return None
    phase, session = data.get("phase"), data.get("session_id")
    return Cue(
        notify,
        phase if isinstance(phase, str) else None,
        ts,
        session if isinstance(session, str) else None,
    )


@dataclass
class Rooms:
    """The rooms seen on the broker, fed by its messages from any thread."""

    only: str | None = None
    base: str = PREFIX  # where the rooms' topics are: a site's at a central broker
    _rooms: dict[str, RoomSeen] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, topic: str, payload: bytes, retained: bool, now: datetime) -> bool:
        """Note one message at `now`; return whether it changed what is known."""
        where = room_of(topic, self.base)
        if where is None or (self.only is not None and where[0] != self.only):
            return False
        room_id, kind = where
        with self._lock:
            seen = self._rooms.get(room_id) or RoomSeen(room_id)
            if kind == "state":
                try:
                    seen = replace(seen, state=read_state(payload), unreadable=None)
                except UnreadableStateError as error:
                    seen = replace(seen, state=None, unreadable=str(error))
            elif kind == "availability":
                text = payload.decode(errors="replace").strip()
                since = seen.availability_seen_at if text == seen.availability else None
                if text != seen.availability and not retained:
                    since = now  # it changed while we watched: that is when
                seen = replace(seen, availability=text, availability_seen_at=since)
            elif kind == "events":
                cue = _cue(payload)
                if cue is None:
                    return False
                seen = replace(seen, last_cue=cue)
            else:
                return False
            self._rooms[room_id] = seen
        return True

    def snapshot(self) -> dict[str, RoomSeen]:
        """Return every room seen, by id."""
        with self._lock:
            return dict(self._rooms)


def moved_on(seen: RoomSeen, now: datetime) -> dict[str, Any] | None:
    """Return a live running room's state with its clocks moved on to `now`; else as published.

    A room that is offline, stale or unreadable is shown as last published: its session
    time is never extrapolated.
    """
    state = seen.state
    if state is None or state["status"] != "running" or seen.condition(now) != "live":
        return state
    cue = state.get("next_cue")

    def known(key: str) -> float | None:
        return float(state[key]) if _number(state.get(key)) else None

    shown = Progress(
        known("elapsed_s"),
        known("phase_remaining_s"),
        known("remaining_s"),
        None if cue is None else float(cue["in_s"]),
    ).moved_on(seen.age(now) * float(state.get("speed", 1.0)))
    ticked = dict(state)
    for key, value in (
        ("elapsed_s", shown.elapsed_s),
        ("phase_remaining_s", shown.phase_remaining_s),
        ("remaining_s", shown.remaining_s),
    ):
        if value is not None:
            ticked[key] = value
    if cue is not None:
        ticked["next_cue"] = {**cue, "in_s": shown.next_cue_in_s}
    return ticked
