"""A durable store of sessions and their events: SQLite in WAL mode, one file per daemon."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roomctl.journal.schema import SCHEMA_VERSION, current_version, migrate

_LOGGER = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"
# How long a write waits for another process holding the file (a `roomctl report` reading
# it, say) before it counts as failed: long enough for any read, short for a room.
BUSY_TIMEOUT_S = 2.0


class JournalError(Exception):
    """The journal cannot be used: corrupt, from a newer roomctl, or not writable."""


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


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event as the journal keeps it."""

    room: str
    session_id: str | None
    ts: float
    type: str
    data: dict[str, Any]


WrittenCallback = Callable[["PendingWrite"], None]


class PendingWrite:
    """Rows handed to the journal's writer; `wait()` returns once they are on disk."""

    def __init__(
        self,
        events: list[tuple[Any, ...]],
        sessions: list[tuple[Any, ...]],
        on_done: WrittenCallback | None,
    ) -> None:
        self.events = events
        self.sessions = sessions
        self.error: JournalError | None = None
        self._on_done = on_done
        self._done = threading.Event()

    @property
    def done(self) -> bool:
        """Return whether the write has been committed or has failed."""
        return self._done.is_set()

    def wait(self) -> JournalError | None:
        """Wait until the write is committed or has failed; return the error, if any."""
        self._done.wait()
        return self.error

    def finish(self, error: JournalError | None) -> None:
        """Record how the write went, wake its waiter and call its callback."""
        self.error = error
        self._done.set()
        if self._on_done is not None:
            try:
                self._on_done(self)
            except Exception:
                _LOGGER.exception("journal write callback failed")


def _row(values: tuple[Any, ...]) -> SessionRow:
    session_id, room, profile, started_at, ended_at, end_reason, alive_at, snapshot = values
    return SessionRow(
        session_id, room, profile, started_at, ended_at, end_reason, alive_at, json.loads(snapshot)
    )


_ADD_EVENT = "INSERT INTO events (room, session_id, ts, type, data) VALUES (?, ?, ?, ?, ?)"
_SAVE_SESSION = (
    "INSERT INTO sessions (session_id, room, profile, started_at, ended_at, end_reason,"
    " alive_at, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(session_id) DO"
    " UPDATE SET ended_at=excluded.ended_at, end_reason=excluded.end_reason,"
    " alive_at=excluded.alive_at, snapshot=excluded.snapshot"
)


def _values(row: SessionRow) -> tuple[Any, ...]:
    return (
        row.session_id,
        row.room,
        row.profile,
        row.started_at,
        row.ended_at,
        row.end_reason,
        row.alive_at,
        _json(row.snapshot),
    )


def _json(data: Any) -> str:
    """Return data as JSON; what JSON cannot hold is kept as its text, never refused."""
    return json.dumps(data, default=str)


class Journal:
    """The journal file under a state directory; safe to share between room threads."""

    def __init__(self, state_dir: Path, readonly: bool = False) -> None:
        self.path = state_dir / JOURNAL_FILE
        self._lock = threading.Lock()  # held while using the connection
        self._queue = threading.Condition()  # guards _queued and _closing
        self._queued: list[PendingWrite] = []
        self._closing = False
        self.commits = 0
        self._connection = self._open(state_dir, readonly)
        self._writer: threading.Thread | None = None
        if not readonly:
            self._writer = threading.Thread(target=self._write_queued, name="journal", daemon=True)
            self._writer.start()

    def _open(self, state_dir: Path, readonly: bool) -> sqlite3.Connection:
        if readonly:
            if not self.path.exists():
                raise JournalError(f"no journal at {self.path}")
            uri = f"file:{self.path}?mode=ro"
        else:
            try:
                state_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise JournalError(f"cannot create {state_dir}: {error}") from None
            uri = f"file:{self.path}"
        try:
            connection = sqlite3.connect(
                uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
            version = current_version(connection)
            if version > SCHEMA_VERSION:
                connection.close()
                raise JournalError(
                    f"{self.path} is from a newer roomctl (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}); it is left untouched: upgrade roomctl or use another "
                    "--state-dir"
                )
            if not readonly:
                connection.execute("PRAGMA journal_mode=WAL")
                # FULL: a write is on disk before its command is acknowledged.
                connection.execute("PRAGMA synchronous=FULL")
                migrate(connection)
            connection.execute("SELECT count(*) FROM sessions").fetchone()
        except sqlite3.DatabaseError as error:
            raise JournalError(
                f"{self.path} is not a roomctl journal or is damaged ({error}); it is left "
                "untouched: move it aside to start a new one"
            ) from None
        return connection

    @property
    def waiting(self) -> int:
        """Return how many writes are queued for the next commit."""
        with self._queue:
            return len(self._queued)

    def close(self) -> None:
        """Write what is queued, then close the file."""
        with self._queue:
            self._closing = True
            self._queue.notify()
        if self._writer is not None:
            self._writer.join()
        with self._lock:
            self._connection.close()

    # -- writing -----------------------------------------------------------------------

    def write(self, events: Sequence[StoredEvent], sessions: Sequence[SessionRow] = ()) -> None:
        """Append events and save session snapshots; return once they are on disk."""
        error = self.submit(events, sessions).wait()
        if error is not None:
            raise error

    def submit(
        self,
        events: Sequence[StoredEvent],
        sessions: Sequence[SessionRow] = (),
        on_done: WrittenCallback | None = None,
    ) -> PendingWrite:
        """Queue events and session snapshots for the writer; return at once.

        The writer commits every write queued while it was busy in one transaction (group
        commit), so many rooms wait for one fsync rather than one each, in turn. Writes are
        committed in the order they were submitted. `on_done` is called once the write is
        on disk or has failed: on the writer's thread, or at once, on the caller's, when
        the journal is read-only or closed.
        """
        request = PendingWrite(
            [(e.room, e.session_id, e.ts, e.type, _json(e.data)) for e in events],
            [_values(r) for r in sessions],
            on_done,
        )
        with self._queue:
            refused = self._refusal()
            if refused is None:
                self._queued.append(request)
                self._queue.notify()
        if refused is not None:
            request.finish(refused)
        return request

    def _refusal(self) -> JournalError | None:
        """Return why a write cannot be queued now, if it cannot (with _queue held)."""
        if self._writer is None:
            return JournalError(f"cannot write {self.path}: it was opened read-only")
        if self._closing or not self._writer.is_alive():
            return JournalError(f"cannot write {self.path}: the journal is closed")
        return None

    def _write_queued(self) -> None:
        """Commit what is queued, a batch at a time, until closed and drained."""
        while True:
            with self._queue:
                while not self._queued and not self._closing:
                    self._queue.wait()
                if not self._queued:
                    return
                batch, self._queued = self._queued, []
            with self._lock:
                error = self._commit(batch)
                if error is None or isinstance(error.__cause__, sqlite3.OperationalError):
                    # Committed, or the file or disk failed (locked, full, read-only): the
                    # same answer for every write.
                    errors: list[JournalError | None] = [error] * len(batch)
                else:
                    # Some write's rows were refused: each on its own, so one room's bad
                    # rows do not fail the others.
                    errors = [self._commit([request]) for request in batch]
            for request, error in zip(batch, errors, strict=True):
                request.finish(error)

    def _commit(self, batch: list[PendingWrite]) -> JournalError | None:
        """Write a batch in one transaction; return the error if it failed."""
        try:
            with self._connection:
                for request in batch:
                    self._connection.executemany(_ADD_EVENT, request.events)
                    self._connection.executemany(_SAVE_SESSION, request.sessions)
        except Exception as failure:  # any: the writer must outlive one write's bad rows
            error = JournalError(f"cannot write {self.path}: {failure}")
            error.__cause__ = failure
            return error
        self.commits += 1
        return None

    # -- reading -----------------------------------------------------------------------

    def _read(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._connection.execute(sql, parameters).fetchall())
            except sqlite3.Error as error:
                raise JournalError(f"cannot read {self.path}: {error}") from error

    def unfinished(self, room: str) -> SessionRow | None:
        """Return the room's latest session that has not ended, if any."""
        rows = self._read(
            "SELECT session_id, room, profile, started_at, ended_at, end_reason, alive_at,"
            " snapshot FROM sessions WHERE room=? AND ended_at IS NULL"
            " ORDER BY started_at DESC LIMIT 1",
            (room,),
        )
        return _row(rows[0]) if rows else None

    def session(self, session_id: str) -> SessionRow | None:
        """Return one session by id."""
        rows = self._read(
            "SELECT session_id, room, profile, started_at, ended_at, end_reason, alive_at,"
            " snapshot FROM sessions WHERE session_id=?",
            (session_id,),
        )
        return _row(rows[0]) if rows else None

    def sessions(self, room: str | None = None, since: float | None = None) -> list[SessionRow]:
        """Return sessions, newest first, optionally of one room and since a wall time."""
        rows = self._read(
            "SELECT session_id, room, profile, started_at, ended_at, end_reason, alive_at,"
            " snapshot FROM sessions WHERE (? IS NULL OR room=?) AND (? IS NULL OR"
            " started_at>=?) ORDER BY started_at DESC",
            (room, room, since, since),
        )
        return [_row(r) for r in rows]

    def events(self, session_id: str) -> list[StoredEvent]:
        """Return a session's events in the order they happened."""
        rows = self._read(
            "SELECT room, session_id, ts, type, data FROM events WHERE session_id=? ORDER BY id",
            (session_id,),
        )
        return [StoredEvent(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]
