"""A durable store of sessions and their events: SQLite in WAL mode, one file per daemon."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from roomctl.errors import RoomctlError
from roomctl.journal.faults import diagnose, is_disk_fault
from roomctl.journal.records import SessionRow, StoredEvent
from roomctl.journal.schema import SCHEMA_VERSION, current_version, migrate
from roomctl.journal.spill import Spilled, read_spills, write_spill

_LOGGER = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"
# How long a write waits for another process holding the file (a `roomctl report` reading
# it, say) before it counts as failed: long enough for any read, short for a room.
BUSY_TIMEOUT_S = 2.0
# How often a journal that cannot be written (disk full, read-only) is tried again: its
# records are written within seconds of space being freed or the disk remounted, and a
# failing disk is asked a few times a minute, not hammered.
REOPEN_S = 3.0


class JournalError(RoomctlError):
    """The journal cannot be used: corrupt, from a newer roomctl, or not writable."""


class JournalUnwritableError(JournalError):
    """The journal's disk cannot be written now (full, read-only, permissions, I/O error)."""


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

    def wait(self, timeout: float | None = None) -> JournalError | None:
        """Wait until the write is committed or has failed (or `timeout`); return its error."""
        self._done.wait(timeout)
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
# A spilled event is imported unless the journal has it already: a write the disk took
# only after its records were spilled (a stalled disk that answered late) is not doubled.
_IMPORT_EVENT = (
    "INSERT INTO events (room, session_id, ts, type, data) SELECT ?, ?, ?, ?, ? WHERE NOT"
    " EXISTS (SELECT 1 FROM events WHERE session_id IS ?2 AND ts=?3 AND type=?4 AND data=?5"
    " AND room=?1)"
)
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


_IMPORT_SESSION = _SAVE_SESSION + " WHERE excluded.alive_at > sessions.alive_at"
_SESSION_COLUMNS = (
    "SELECT session_id, room, profile, started_at, ended_at, end_reason, alive_at, snapshot"
    " FROM sessions"
)


class Journal:
    """The journal file under a state directory; safe to share between room threads.

    A journal whose disk cannot be written (full, read-only) is still opened: what it
    holds is read as far as the disk allows, writes are refused at once with a
    JournalUnwritableError, and the writer tries the file again every REOPEN_S until it can
    write. A file that is damaged or from a newer roomctl is refused, untouched.
    Records left in spill files by an earlier run are read at open, count for
    `unfinished`, and are written to the file as soon as it can be written.
    """

    def __init__(self, state_dir: Path, readonly: bool = False) -> None:
        self.state_dir = state_dir
        self.path = state_dir / JOURNAL_FILE
        self._lock = threading.Lock()  # held while using the connection
        # Guards _spilled apart from the connection: a spill must not wait for a disk
        # that is stalled in a commit.
        self._spill_lock = threading.Lock()
        self._queue = threading.Condition()  # guards _queued and _closing
        self._queued: list[PendingWrite] = []
        self._closing = False
        self.commits = 0
        self.fault: str | None = None  # why the journal cannot be written now
        self._listeners: list[Callable[[], None]] = []
        self._writer: threading.Thread | None = None
        self._spilled = Spilled()
        if readonly:
            if not self.path.exists():
                raise JournalError(f"no journal at {self.path}")
            self._connection: sqlite3.Connection | None = self._open_reader()
            return
        self._spilled = read_spills(state_dir)
        if self._spilled.count:
            _LOGGER.warning(
                "found %d journal records an earlier run could not write, in %s",
                self._spilled.count,
                ", ".join(str(p) for p in self._spilled.files),
            )
        try:
            self._connection = self._open_writer()
        except JournalUnwritableError as error:
            self._connection = None
            self.fault = str(error)
            self._check_readable()
        self._writer = threading.Thread(target=self._write_queued, name="journal", daemon=True)
        self._writer.start()

    # -- opening -----------------------------------------------------------------------

    def _open_writer(self) -> sqlite3.Connection:
        """Open the file read-write, bring it up to date and write what was spilled."""
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._unwritable(error) from None
        connection = self._connect(f"file:{self.path}")
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            # FULL: a write is on disk before its command is acknowledged.
            connection.execute("PRAGMA synchronous=FULL")
            migrate(connection)
            connection.execute("SELECT count(*) FROM sessions").fetchone()
        except sqlite3.DatabaseError as error:
            connection.close()
            raise self._failure(error) from None
        try:
            self._import_spilled(connection)
        except Exception as error:  # any: records an earlier run spilled never block a start
            if is_disk_fault(error):
                connection.close()
                raise self._unwritable(error) from None
            _LOGGER.error(
                "cannot write the records in %s to the journal (%s); they are left there",
                ", ".join(str(p) for p in self._spilled.files),
                error,
            )
        return connection

    def _open_reader(self) -> sqlite3.Connection:
        """Open the file read-only, even on a disk that cannot take SQLite's WAL index."""
        try:
            return self._checked(self._connect(f"file:{self.path}?mode=ro"))
        except JournalUnwritableError:
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise
        # With no write-ahead log to read, the file alone is the journal: read it as is.
        return self._checked(self._connect(f"file:{self.path}?mode=ro&immutable=1"))

    def _connect(self, uri: str) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
        except sqlite3.DatabaseError as error:
            raise self._failure(error) from None
        try:
            version = current_version(connection)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise self._failure(error) from None
        if version > SCHEMA_VERSION:
            connection.close()
            raise JournalError(
                f"{self.path} is from a newer roomctl (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); it is left untouched: upgrade roomctl or use another "
                "--state-dir"
            )
        return connection

    def _checked(self, connection: sqlite3.Connection) -> sqlite3.Connection:
        """Return a reading connection once it has read the sessions table."""
        try:
            connection.execute("SELECT count(*) FROM sessions").fetchone()
        except sqlite3.DatabaseError as error:
            connection.close()
            raise self._failure(error) from None
        return connection

    def _check_readable(self) -> None:
        """Log why the file cannot be written; refuse it if reading shows it is damaged."""
        _LOGGER.error(
            "%s. The rooms are served and their records kept in memory; they are written "
            "once the journal can be (tried every %g s)",
            self.fault,
            REOPEN_S,
        )
        if not self.path.exists():
            return
        try:
            self._open_reader().close()
        except JournalUnwritableError as error:
            _LOGGER.error(
                "journal %s cannot be read either (%s): a session it holds as unfinished is "
                "not recovered",
                self.path,
                error,
            )

    def _failure(self, error: sqlite3.DatabaseError) -> JournalError:
        """Return the error for a failed open: the disk's fault, or the file's."""
        return self._unwritable(error) if is_disk_fault(error) else self._damaged(error)

    def _unwritable(self, error: BaseException) -> JournalUnwritableError:
        return JournalUnwritableError(
            f"cannot write {self.path}: {diagnose(self.state_dir, error)} ({error})"
        )

    def _damaged(self, error: BaseException) -> JournalError:
        return JournalError(
            f"{self.path} is not a roomctl journal or is damaged ({error}); it is left "
            "untouched: move it aside to start a new one"
        )

    def _import_spilled(self, connection: sqlite3.Connection) -> None:
        """Write what earlier runs spilled (in one transaction), then remove their files."""
        with self._spill_lock:
            spilled = self._spilled
        if not spilled.count:
            return
        with connection:
            connection.executemany(_IMPORT_EVENT, [_event_values(e) for e in spilled.events])
            connection.executemany(_IMPORT_SESSION, [_values(r) for r in spilled.sessions.values()])
        with self._spill_lock:
            self._spilled = Spilled()
        for path in spilled.files:
            try:
                path.unlink()
            except OSError as error:
                _LOGGER.error(
                    "cannot remove %s (%s): remove it by hand, or its records are written "
                    "again at the next start",
                    path,
                    error,
                )
        _LOGGER.warning(
            "journal %s: wrote the %d records earlier runs could not", self.path, spilled.count
        )

    @property
    def waiting(self) -> int:
        """Return how many writes are queued for the next commit."""
        with self._queue:
            return len(self._queued)

    def on_writable(self, callback: Callable[[], None]) -> None:
        """Have `callback` called (on the writer's thread) when the journal can be written again."""
        self._listeners.append(callback)

    def close(self, timeout: float | None = None) -> bool:
        """Write what is queued, then close the file; return False if the disk stalled.

        A writer still stuck in a commit after `timeout` is left behind, and with it the
        file: closing it would wait for the disk too. What it holds lands if the disk
        answers before the process exits, and the log says so.
        """
        with self._queue:
            self._closing = True
            self._queue.notify()
        if self._writer is not None:
            self._writer.join(timeout)
            if self._writer.is_alive():
                _LOGGER.error(
                    "the state disk did not answer within %g s: the journal's last commit "
                    "may not be on it (records the rooms could not hand over were spilled)",
                    timeout,
                )
                return False
        with self._lock:
            if self._connection is not None:
                self._connection.close()
        return True

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
        the journal is read-only, cannot be written now, or is closed.
        """
        request = PendingWrite(
            [_event_values(e) for e in events], [_values(r) for r in sessions], on_done
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
        if self._connection is None:
            return JournalUnwritableError(self.fault or f"cannot write {self.path}")
        return None

    def spill(
        self,
        events: Sequence[StoredEvent],
        sessions: Sequence[SessionRow],
        reason: str | None = None,
    ) -> None:
        """Keep records the journal could not take in a spill file, or log them as lost."""
        count = len(events) + len(sessions)
        if not count:
            return
        why = reason or self.fault or f"cannot write {self.path}"
        label = "room " + ", ".join(sorted({e.room for e in events} | {r.room for r in sessions}))
        try:
            path = write_spill(self.state_dir, label, events, sessions)
        except OSError as error:
            _LOGGER.error(
                "%s: LOST %d journal records (%s) and no spill file could be written (%s); "
                "they follow",
                label,
                count,
                why,
                error,
            )
            for event in events:
                _LOGGER.error("lost event %s", _json(asdict(event)))
            for row in sessions:
                _LOGGER.error("lost session %s", _json(asdict(row)))
            return
        with self._spill_lock:
            self._spilled.add(events, sessions)
        _LOGGER.error(
            "%s: %d journal records could not be written (%s); they are kept in %s and "
            "written to the journal at the next start",
            label,
            count,
            why,
            path,
        )

    def _write_queued(self) -> None:
        """Commit what is queued, a batch at a time, until closed and drained."""
        while True:
            if self._connection is None:
                # Nothing is queued while the file cannot be written: writes are refused.
                with self._queue:
                    if not self._closing:
                        self._queue.wait(REOPEN_S)
                    if self._closing:
                        return
                self._reopen()
                continue
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

    def _reopen(self) -> None:
        """Try to open the file for writing; once it is, tell the listeners."""
        try:
            connection = self._open_writer()
        except JournalError as error:
            _LOGGER.debug("journal still not writable: %s", error)
            return
        with self._lock, self._queue:
            self._connection = connection
            self.fault = None
        _LOGGER.warning("journal %s can be written again", self.path)
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                _LOGGER.exception("journal listener failed")

    def _commit(self, batch: list[PendingWrite]) -> JournalError | None:
        """Write a batch in one transaction; return the error if it failed."""
        assert self._connection is not None
        try:
            with self._connection:
                for request in batch:
                    self._connection.executemany(_ADD_EVENT, request.events)
                    self._connection.executemany(_SAVE_SESSION, request.sessions)
        except Exception as failure:  # any: the writer must outlive one write's bad rows
            if is_disk_fault(failure):
                error: JournalError = self._unwritable(failure)
                self.fault = str(error)
            else:
                error = JournalError(f"cannot write {self.path}: {failure}")
            error.__cause__ = failure
            return error
        self.commits += 1
        self.fault = None
        return None

    # -- reading -----------------------------------------------------------------------

    def _read(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            transient = self._connection is None
            if transient and not self.path.exists():
                return []  # no file yet: nothing was written
            try:
                connection = self._connection or self._open_reader()
            except JournalError as error:
                raise JournalError(f"cannot read {self.path}: {error}") from error
            try:
                return list(connection.execute(sql, parameters).fetchall())
            except sqlite3.Error as error:
                raise JournalError(f"cannot read {self.path}: {error}") from error
            finally:
                if transient:
                    connection.close()

    def unfinished(self, room: str) -> SessionRow | None:
        """Return the room's latest session that has not ended, if any.

        A session's newest record counts, whether it is in the file or in a spill file
        not yet written to it.
        """
        with self._spill_lock:
            spilled = [r for r in self._spilled.sessions.values() if r.room == room]
        try:
            rows = {
                r.session_id: r
                for r in map(
                    _row,
                    self._read(f"{_SESSION_COLUMNS} WHERE room=? AND ended_at IS NULL", (room,)),
                )
            }
            stored: dict[str, SessionRow | None] = {
                s.session_id: self.session(s.session_id) for s in spilled
            }
        except JournalError:
            if not spilled:
                raise
            _LOGGER.error("journal %s unreadable: recovering from spilled records only", self.path)
            rows, stored = {}, {}

        for row in spilled:
            kept = rows.get(row.session_id) or stored.get(row.session_id)
            if kept is None or row.alive_at >= kept.alive_at:
                rows[row.session_id] = row
        live = [r for r in rows.values() if r.ended_at is None]
        return max(live, key=lambda r: r.started_at, default=None)

    def session(self, session_id: str) -> SessionRow | None:
        """Return one session by id."""
        rows = self._read(f"{_SESSION_COLUMNS} WHERE session_id=?", (session_id,))
        return _row(rows[0]) if rows else None

    def sessions(self, room: str | None = None, since: float | None = None) -> list[SessionRow]:
        """Return sessions, newest first, optionally of one room and since a wall time."""
        rows = self._read(
            f"{_SESSION_COLUMNS} WHERE (? IS NULL OR room=?) AND (? IS NULL OR"
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


def _event_values(event: StoredEvent) -> tuple[Any, ...]:
    return (event.room, event.session_id, event.ts, event.type, _json(event.data))
