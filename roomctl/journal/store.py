"""A durable store of sessions and their events: SQLite in WAL mode, one file per daemon.

The Journal puts together the file (roomctl.journal.database), the writer thread and its
queue (roomctl.journal.writer), the reads (roomctl.journal.reader) and the records it
could not take (roomctl.journal.overflow).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from roomctl.journal.database import JournalFile
from roomctl.journal.errors import JournalError, JournalUnwritableError
from roomctl.journal.faults import is_disk_fault
from roomctl.journal.overflow import Overflow
from roomctl.journal.reader import Reader
from roomctl.journal.records import SessionRow, StoredEvent
from roomctl.journal.sql import event_values, session_values
from roomctl.journal.writer import REOPEN_S, PendingWrite, Writer, WrittenCallback

_LOGGER = logging.getLogger(__name__)


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
        self._file = JournalFile(state_dir)
        self.path = self._file.path
        self._overflow = Overflow(state_dir)
        self._writer: Writer | None = None
        if readonly:
            if not self.path.exists():
                raise JournalError(f"no journal at {self.path}")
            reading: sqlite3.Connection | None = self._file.open_reader()
            self._lock = threading.Lock()  # held while using the connection
            self._connection: Callable[[], sqlite3.Connection | None] = lambda: reading
            self._reader = Reader(self._file, self._overflow, self._lock, self._connection)
            return
        self._overflow.load()
        connection: sqlite3.Connection | None = None
        fault: str | None = None
        try:
            connection = self._open_writer()
        except JournalUnwritableError as error:
            fault = str(error)
            _LOGGER.error(
                "%s. The rooms are served and their records kept in memory; they are written "
                "once the journal can be (tried every %g s)",
                fault,
                REOPEN_S,
            )
            self._file.check_readable()
        writer = Writer(str(self.path), self._open_writer, self._file.unwritable, connection, fault)
        self._writer, self._lock = writer, writer.lock
        self._connection = lambda: writer.connection
        self._reader = Reader(self._file, self._overflow, self._lock, self._connection)

    @property
    def fault(self) -> str | None:
        """Return why the journal cannot be written now, or None when it can."""
        return self._writer.fault if self._writer is not None else None

    @property
    def commits(self) -> int:
        """Return how many transactions the writer has committed."""
        return self._writer.commits if self._writer is not None else 0

    @property
    def waiting(self) -> int:
        """Return how many writes are queued for the next commit."""
        return self._writer.waiting if self._writer is not None else 0

    @property
    def committing(self) -> bool:
        """Return whether the writer is committing a batch now (and holds the file)."""
        return self._writer is not None and self._writer.committing

    def on_writable(self, callback: Callable[[], None]) -> None:
        """Have `callback` called (on the writer's thread) when the journal can be written again."""
        if self._writer is not None:
            self._writer.on_writable(callback)

    def close(self, timeout: float | None = None) -> bool:
        """Write what is queued, then close the file; return False if the disk stalled.

        A writer still stuck in a commit after `timeout` is left behind, and with it the
        file: closing it would wait for the disk too. What it holds lands if the disk
        answers before the process exits, and the log says so.
        """
        if self._writer is not None and not self._writer.close(timeout):
            _LOGGER.error(
                "the state disk did not answer within %g s: the journal's last commit "
                "may not be on it (records the rooms could not hand over were spilled)",
                timeout,
            )
            return False
        with self._lock:
            connection = self._connection()
            if connection is not None:
                connection.close()
        return True

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
            [event_values(e) for e in events], [session_values(r) for r in sessions], on_done
        )
        if self._writer is None:
            request.finish(JournalError(f"cannot write {self.path}: it was opened read-only"))
        else:
            self._writer.submit(request)
        return request

    def spill(
        self,
        events: Sequence[StoredEvent],
        sessions: Sequence[SessionRow],
        reason: str | None = None,
    ) -> None:
        """Keep records the journal could not take in a spill file, or log them as lost."""
        why = reason or self.fault or f"cannot write {self.path}"
        self._overflow.spill(events, sessions, why)

    def unfinished(self, room: str) -> SessionRow | None:
        """Return the room's latest session that has not ended, if any (spilled ones too)."""
        return self._reader.unfinished(room)

    def latest(self, room: str) -> SessionRow | None:
        """Return the room's latest session in the journal file, ended or not."""
        return self._reader.latest(room)

    def session(self, session_id: str) -> SessionRow | None:
        """Return one session by id."""
        return self._reader.session(session_id)

    def sessions(self, room: str | None = None, since: float | None = None) -> list[SessionRow]:
        """Return sessions, newest first, optionally of one room and since a wall time."""
        return self._reader.sessions(room, since)

    def events(self, session_id: str) -> list[StoredEvent]:
        """Return a session's events in the order they happened."""
        return self._reader.events(session_id)

    def _open_writer(self) -> sqlite3.Connection:
        """Open the file for writing and write what earlier runs spilled."""
        connection = self._file.open_writer()
        try:
            self._overflow.write_into(connection, self.path)
        except Exception as error:  # any: records an earlier run spilled never block a start
            if is_disk_fault(error):
                connection.close()
                raise self._file.unwritable(error) from None
            _LOGGER.error(
                "cannot write the records in %s to the journal (%s); they are left there",
                ", ".join(str(p) for p in self._overflow.files),
                error,
            )
        return connection
