"""The journal's tables and the migrations that bring an older file up to date."""

from __future__ import annotations

import sqlite3

# Each entry brings the file from version i to i + 1. Append; never edit a shipped one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        room TEXT NOT NULL,
        profile TEXT NOT NULL,
        started_at REAL NOT NULL,
        ended_at REAL,
        end_reason TEXT,
        alive_at REAL NOT NULL,
        snapshot TEXT NOT NULL
    );
    CREATE INDEX sessions_by_room ON sessions (room, started_at);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room TEXT NOT NULL,
        session_id TEXT,
        ts REAL NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_by_session ON events (session_id, id);
    """,
    # 2: the site a session was at (`roomctl run --site`); NULL for a daemon without one
    # and for every session recorded before.
    "ALTER TABLE sessions ADD COLUMN site TEXT",
)
SCHEMA_VERSION = len(MIGRATIONS)
# The first version whose sessions have a site column: an older file, read without being
# migrated (`roomctl report` on a copy, or before its daemon ran again), has none.
SITE_VERSION = 2


def current_version(connection: sqlite3.Connection) -> int:
    """Return the file's schema version (0 for a new, empty file)."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(connection: sqlite3.Connection) -> None:
    """Apply every migration the file lacks, each in its own transaction."""
    for version in range(current_version(connection), SCHEMA_VERSION):
        connection.executescript(
            f"BEGIN; {MIGRATIONS[version]}; PRAGMA user_version = {version + 1}; COMMIT;"
        )
