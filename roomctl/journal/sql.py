"""The journal's statements, and records turned into the rows they take and give back."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from typing import Any

from roomctl.journal.records import SessionRow, StoredEvent
from roomctl.journal.schema import SITE_VERSION, current_version

Row = tuple[Any, ...]

ADD_EVENT = "INSERT INTO events (room, session_id, ts, type, data) VALUES (?, ?, ?, ?, ?)"
# A spilled event is imported unless the journal has it already: a write the disk took
# only after its records were spilled (a stalled disk that answered late) is not doubled.
IMPORT_EVENT = (
    "INSERT INTO events (room, session_id, ts, type, data) SELECT ?, ?, ?, ?, ? WHERE NOT"
    " EXISTS (SELECT 1 FROM events WHERE session_id IS ?2 AND ts=?3 AND type=?4 AND data=?5"
    " AND room=?1)"
)
# A session's site is written when it is first saved and kept: a session does not move.
SAVE_SESSION = (
    "INSERT INTO sessions (session_id, room, profile, started_at, ended_at, end_reason,"
    " alive_at, snapshot, site) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(session_id) DO"
    " UPDATE SET ended_at=excluded.ended_at, end_reason=excluded.end_reason,"
    " alive_at=excluded.alive_at, snapshot=excluded.snapshot"
)
# A spilled snapshot of a session replaces the stored one only if it is newer.
IMPORT_SESSION = SAVE_SESSION + " WHERE excluded.alive_at > sessions.alive_at"
_SESSION_FIELDS = "session_id, room, profile, started_at, ended_at, end_reason, alive_at, snapshot"
SESSION_COLUMNS = f"SELECT {_SESSION_FIELDS}, site FROM sessions"
# The same from a file older than sites (read as it is, not migrated): no session has one.
_SITELESS_SESSION_COLUMNS = f"SELECT {_SESSION_FIELDS}, NULL FROM sessions"
EVENT_COLUMNS = "SELECT room, session_id, ts, type, data FROM events"


def session_columns(connection: sqlite3.Connection) -> str:
    """Return SESSION_COLUMNS as the file on `connection` can answer it (old files: no site)."""
    if current_version(connection) >= SITE_VERSION:
        return SESSION_COLUMNS
    return _SITELESS_SESSION_COLUMNS


def to_json(data: Any) -> str:
    """Return data as JSON; what JSON cannot hold is kept as its text, never refused."""
    return json.dumps(data, default=str)


# Profiles whose JSON text is kept: those a daemon's rooms play at once (a clinic's folder
# holds tens); a text is a few kB. A snapshot is saved at every cue and phase, and
# encoding its whole profile each time was most of the work of saving it.
PROFILE_TEXTS = 64
# Stands in for the profile while the rest of a snapshot is encoded (a NUL occurs in no
# id or key), then is replaced by the profile's text: the same bytes as encoding it all.
_PLACEHOLDER = "\0roomctl-profile\0"
_ENCODED_PLACEHOLDER = json.dumps(_PLACEHOLDER)
_texts: OrderedDict[int, tuple[object, str]] = OrderedDict()
_texts_lock = threading.Lock()  # the room pool's threads save snapshots


def snapshot_json(snapshot: dict[str, Any]) -> str:
    """Return to_json(snapshot), its profile (one shared object per profile) encoded once."""
    profile = snapshot.get("profile")
    if not isinstance(profile, dict):
        return to_json(snapshot)
    rest = to_json({**snapshot, "profile": _PLACEHOLDER})
    if rest.count(_ENCODED_PLACEHOLDER) != 1:
        return to_json(snapshot)
    return rest.replace(_ENCODED_PLACEHOLDER, _profile_text(profile))


def _profile_text(profile: dict[str, Any]) -> str:
    """Return the profile's JSON, kept by identity (the entry holds it, so its id stays)."""
    key = id(profile)
    with _texts_lock:
        kept = _texts.get(key)
        if kept is not None and kept[0] is profile:
            _texts.move_to_end(key)
            return kept[1]
    text = to_json(profile)
    with _texts_lock:
        _texts[key] = (profile, text)
        if len(_texts) > PROFILE_TEXTS:
            _texts.popitem(last=False)
    return text


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
        snapshot_json(row.snapshot),
        row.site,
    )


def event_values(event: StoredEvent) -> Row:
    """Return an event's values in ADD_EVENT's order."""
    return (event.room, event.session_id, event.ts, event.type, to_json(event.data))


def session_row(values: Row) -> SessionRow:
    """Return the session a SESSION_COLUMNS row holds."""
    session_id, room, profile, started_at, ended_at, end_reason, alive_at, snapshot, site = values
    return SessionRow(
        session_id,
        room,
        profile,
        started_at,
        ended_at,
        end_reason,
        alive_at,
        json.loads(snapshot),
        site,
    )


def stored_event(values: Row) -> StoredEvent:
    """Return the event an EVENT_COLUMNS row holds."""
    room, session_id, ts, kind, data = values
    return StoredEvent(room, session_id, ts, kind, json.loads(data))
