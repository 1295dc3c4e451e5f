"""Reading the journal back: sessions, their events, and a room's unfinished session."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from roomctl.journal.database import JournalFile
from roomctl.journal.errors import JournalError
from roomctl.journal.overflow import Overflow
from roomctl.journal.records import SessionRow, StoredEvent
from roomctl.journal.sql import EVENT_COLUMNS, Row, session_columns, session_row, stored_event

_LOGGER = logging.getLogger(__name__)


class Reader:
    """Read through the journal's open connection, or a short-lived one when none is open.

    `connection()` returns the connection open now, if any; it is used under `lock`.
    """

    def __init__(
        self,
        file: JournalFile,
        overflow: Overflow,
        lock: threading.Lock,
        connection: Callable[[], sqlite3.Connection | None],
    ) -> None:
        self._file = file
        self._overflow = overflow
        self._lock = lock
        self._connection = connection

    def unfinished(self, room: str) -> SessionRow | None:
        """Return the room's latest session that has not ended, if any.

        A session's newest record counts, whether it is in the file or in a spill file
        not yet written to it.
        """
        spilled = self._overflow.sessions(room)
        try:
            rows = {
                r.session_id: r
                for r in self._sessions("WHERE room=? AND ended_at IS NULL", (room,))
            }
            stored: dict[str, SessionRow | None] = {
                s.session_id: self.session(s.session_id) for s in spilled
            }
        except JournalError:
            if not spilled:
                raise
            _LOGGER.error(
                "journal %s unreadable: recovering from spilled records only", self._file.path
            )
            rows, stored = {}, {}

        for row in spilled:
            kept = rows.get(row.session_id) or stored.get(row.session_id)
            if kept is None or row.alive_at >= kept.alive_at:
                rows[row.session_id] = row
        live = [r for r in rows.values() if r.ended_at is None]
        return max(live, key=lambda r: r.started_at, default=None)

    def latest(self, room: str) -> SessionRow | None:
        """Return the room's latest session in the journal file, ended or not."""
        rows = self._sessions("WHERE room=? ORDER BY started_at DESC LIMIT 1", (room,))
        return rows[0] if rows else None

    def session(self, session_id: str) -> SessionRow | None:
        """Return one session by id."""
        rows = self._sessions("WHERE session_id=?", (session_id,))
        return rows[0] if rows else None

    def sessions(self, room: str | None = None, since: float | None = None) -> list[SessionRow]:
        """Return sessions, newest first, optionally of one room and since a wall time."""
        return self._sessions(
            "WHERE (? IS NULL OR room=?) AND (? IS NULL OR started_at>=?) ORDER BY started_at DESC",
            (room, room, since, since),
        )

    def events(self, session_id: str) -> list[StoredEvent]:
        """Return a session's events in the order they happened."""
        rows = self._read(f"{EVENT_COLUMNS} WHERE session_id=? ORDER BY id", (session_id,))
        return [stored_event(r) for r in rows]

    def _sessions(self, where: str, parameters: tuple[Any, ...]) -> list[SessionRow]:
        """Return the sessions a WHERE clause picks, from a file of any schema version."""
        rows = self._read(lambda connection: f"{session_columns(connection)} {where}", parameters)
        return [session_row(r) for r in rows]

    def _read(
        self, sql: str | Callable[[sqlite3.Connection], str], parameters: tuple[Any, ...] = ()
    ) -> list[Row]:
        """Run a query (or the one `sql` makes for the connection it runs on).

        With no connection open, it runs on one opened for it alone.
        """
        with self._lock:
            open_now = self._connection()
            if open_now is None and not self._file.path.exists():
                return []  # no file yet: nothing was written
            try:
                connection = open_now or self._file.open_reader()
            except JournalError as error:
                raise JournalError(f"cannot read {self._file.path}: {error}") from error
            try:
                text = sql if isinstance(sql, str) else sql(connection)
                return list(connection.execute(text, parameters).fetchall())
            except sqlite3.Error as error:
                raise JournalError(f"cannot read {self._file.path}: {error}") from error
            finally:
                if open_now is None:
                    connection.close()
