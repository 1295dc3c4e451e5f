"""What the console knows of one room: its latest state, availability, catalog and events."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from roomctl.console.places import LOCAL

# Events a room's page shows in its log, newest last: a session's worth of phases, cues
# and commands fits; older ones are in `roomctl report`.
RECENT_EVENTS = 50


@dataclass
class Pause:
    """A pause the console saw: where in session time, and for how many wall seconds."""

    at_s: float
    paused_s: float | None = None  # None while it lasts


@dataclass
class RoomView:
    """The latest of everything a room publishes, as the console saw it."""

    room: str
    site: str = LOCAL  # the site at a central broker; LOCAL for the console's own broker
    state: dict[str, Any] | None = None
    availability: str | None = None
    offline_since: float | None = None  # wall time
    catalog: dict[str, Any] | None = None
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_EVENTS))
    pauses: list[Pause] = field(default_factory=list)
    _session: str | None = None

    def take_state(self, state: dict[str, Any]) -> None:
        """Keep a new state; a new session forgets the last one's pauses."""
        self.state = state
        session = state.get("session_id")
        if session != self._session:
            self._session = session
            self.pauses = []
        if state.get("status") == "paused" and not (
            self.pauses and self.pauses[-1].paused_s is None
        ):
            self.pauses.append(Pause(float(state.get("elapsed_s") or 0.0)))

    def take_availability(self, value: str, retained: bool, now: float) -> None:
        """Keep the availability; note when the room went offline."""
        if value == "offline" and self.availability != "offline":
            self.offline_since = now
            if retained and self.state and self.state.get("updated_at"):
                self.offline_since = _parse_wall(str(self.state["updated_at"])) or now
        elif value != "offline":
            self.offline_since = None
        self.availability = value

    def take_event(self, event: dict[str, Any]) -> None:
        """Keep an event; a pause or resume adds to the pauses drawn on the timeline."""
        self.events.append(event)
        kind = event.get("type")
        if event.get("session_id") and event.get("session_id") != self._session:
            return
        if kind == "paused":
            if not (self.pauses and self.pauses[-1].paused_s is None):
                self.pauses.append(Pause(float(event.get("elapsed_s") or 0.0)))
        elif kind == "resumed" and self.pauses and self.pauses[-1].paused_s is None:
            self.pauses[-1].paused_s = float(event.get("paused_s") or 0.0)

    def profiles(self) -> list[dict[str, Any]]:
        """Return the catalog's profiles (none before the catalog arrives)."""
        return list((self.catalog or {}).get("profiles") or [])

    def profile(self, name: str | None) -> dict[str, Any] | None:
        """Return one profile of the catalog by name."""
        return next((p for p in self.profiles() if p.get("name") == name), None)

    def summary(self, stale: bool = False) -> dict[str, Any]:
        """Return the room as GET /api/rooms shows it; stale while its site's link is down."""
        return {
            "site": self.site,
            "room": self.room,
            "availability": self.availability,
            "state": self.state,
            "offline_since": iso_time(self.offline_since) if self.offline_since else None,
            "stale": stale,
            "profiles": [p.get("name") for p in self.profiles()],
        }


def iso_time(wall: float) -> str:
    """Return a wall time as UTC ISO 8601 with milliseconds, as the daemon writes them."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(wall)) + f".{int(wall % 1 * 1000):03d}Z"


def _parse_wall(text: str) -> float | None:
    """Return the wall time of a UTC timestamp like 2026-11-26T14:03:11.201Z, or None."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
