"""What the journal keeps: sessions and their events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session as the journal keeps it."""

    session_id: str
    room: str
    profile: str
    started_at: float
    ended_at: float | None
    end_reason: str | None
    alive_at: float
    snapshot: dict[str, Any]
    site: str | None = None  # the daemon's site, if it had one


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event as the journal keeps it."""

    room: str
    session_id: str | None
    ts: float
    type: str
    data: dict[str, Any]
