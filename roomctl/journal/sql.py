"""The journal's statements, and records turned into the rows they take and give back."""

from __future__ import annotations

import json
from typing import Any

from roomctl.journal.records import SessionRow, StoredEvent

Row = tuple[Any, ...]

ADD_EVENT = "INSERT INTO events (room, session_id, ts, type, data) VALUES (?, ?, ?, ?, ?)"
# A spilled event is imported unless the journal has it already: a write the disk took
# only after its records were spilled (a stalled disk that answered late) is not doubled.
IMPORT_EVENT = (
    "INSERT INTO events (room, session_id, ts, type, data) SELECT ?, ?, ?, ?, ? WHERE NOT"
    " EXISTS (SELECT 1 FROM events WHERE session_id IS ?2 AND ts=?3 AND type=?4 AND data=?5"
    " AND room=?1)"
)
SAVE_SESSION = (
    "INSERT INTO sessions (session_id, room, profile, started_at, ended_at, end_reason,"
    " alive_at, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(session_id) DO"
    " UPDATE SET ended_at=excluded.ended_at, end_reason=excluded.end_reason,"
    " alive_at=excluded.alive_at, snapshot=excluded.snapshot"
)
# A spilled snapshot of a session replaces the stored one only if it is newer.
IMPORT_SESSION = SAVE_SESSION + " WHERE excluded.alive_at > sessions.alive_at"
SESSION_COLUMNS = (
    "SELECT session_id, room, profile, started_at, ended_at, end_reason, alive_at, snapshot"
    " FROM sessions"
)
EVENT_COLUMNS = "SELECT room, session_id, ts, type, data FROM events"


def to_json(data: Any) -> str:
    """Return data as JSON; what JSON cannot hold is kept as its text, never refused."""
    return json.dumps(data, default=str)


def session_values(row: SessionRow) -> Row:
    """Return a session's values in SAVE_SESSION's order."""
    return (
        row.session_id,
        row.room,
        row.profile,
        row.started_at,
        row.ended_at,
        row.end_reason,
        row.alive_at,
        to_json(row.snapshot),
    )


def event_values(event: StoredEvent) -> Row:
    """Return an event's values in ADD_EVENT's order."""
    return (event.room, event.session_id, event.ts, event.type, to_json(event.data))


def session_row(values: Row) -> SessionRow:
    """Return the session a SESSION_COLUMNS row holds."""
    session_id, room, profile, started_at, ended_at, end_reason, alive_at, snapshot = values
    return SessionRow(
        session_id, room, profile, started_at, ended_at, end_reason, alive_at, json.loads(snapshot)
    )


def stored_event(values: Row) -> StoredEvent:
    """Return the event an EVENT_COLUMNS row holds."""
    room, session_id, ts, kind, data = values
    return StoredEvent(room, session_id, ts, kind, json.loads(data))
