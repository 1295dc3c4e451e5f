"""The journal's writer: a thread that commits queued writes in groups, and reopens the file."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from roomctl.journal.errors import JournalError, JournalUnwritableError
from roomctl.journal.faults import is_disk_fault
from roomctl.journal.sql import ADD_EVENT, SAVE_SESSION, Row

_LOGGER = logging.getLogger(__name__)

# How often a journal that cannot be written (disk full, read-only) is tried again: its
# records are written within seconds of space being freed or the disk remounted, and a
# failing disk is asked a few times a minute, not hammered.
REOPEN_S = 3.0

WrittenCallback = Callable[["PendingWrite"], None]


class PendingWrite:
    """Rows handed to the journal's writer; `wait()` returns once they are on disk."""

    def __init__(self, events: list[Row], sessions: list[Row], on_done: WrittenCallback | None):
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
        """Record how the write went, drop its rows, wake its waiter and call its callback.

        The rows (a snapshot's JSON is kilobytes) are not needed once tried: who made
        them keeps a failed write's records to hand over again, and a room may take up a
        finished write only at its next turn (see RoomRuntime.on_journal_written).
        """
        self.error = error
        self.events, self.sessions = [], []
        self._done.set()
        if self._on_done is not None:
            try:
                self._on_done(self)
            except Exception:
                _LOGGER.exception("journal write callback failed")


class Writer:
    """Commit queued writes on a thread of its own, every write queued meanwhile at once.

    The connection is used under `lock`, which readers share. While the file cannot be
    written (`connection` is None, `fault` says why) writes are refused at once and the
    file is tried again every REOPEN_S with `open_writer`; the listeners hear when it can
    be written again.
    """

    def __init__(
        self,
        name: str,
        open_writer: Callable[[], sqlite3.Connection],
        unwritable: Callable[[BaseException], JournalUnwritableError],
        connection: sqlite3.Connection | None,
        fault: str | None,
    ) -> None:
        self.lock = threading.Lock()  # held while using the connection
        self.connection = connection
        self.fault = fault  # why the journal cannot be written now
        self.commits = 0
        self._name = name
        self._open_writer = open_writer
        self._unwritable = unwritable
        self._queue = threading.Condition()  # guards _queued and _closing
        self._queued: list[PendingWrite] = []
        self._closing = False
        self._committing = False
        self._listeners: list[Callable[[], None]] = []
        self._thread = threading.Thread(target=self._run, name="journal", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Return how many writes are queued for the next commit."""
        with self._queue:
            return len(self._queued)

    @property
    def committing(self) -> bool:
        """Return whether the writer holds a batch it is committing."""
        return self._committing

    def on_writable(self, callback: Callable[[], None]) -> None:
        """Have `callback` called (on the writer's thread) when the file can be written again."""
        self._listeners.append(callback)

    def submit(self, request: PendingWrite) -> None:
        """Queue a write for the next commit, or finish it at once with why it cannot be."""
        with self._queue:
            refused = self._refusal()
            if refused is None:
                self._queued.append(request)
                self._queue.notify()
        if refused is not None:
            request.finish(refused)

    def close(self, timeout: float | None) -> bool:
        """Commit what is queued and end the thread; return False if it is still stuck."""
        with self._queue:
            self._closing = True
            self._queue.notify()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _refusal(self) -> JournalError | None:
        """Return why a write cannot be queued now, if it cannot (with _queue held)."""
        if self._closing or not self._thread.is_alive():
            return JournalError(f"cannot write {self._name}: the journal is closed")
        if self.connection is None:
            return JournalUnwritableError(self.fault or f"cannot write {self._name}")
        return None

    def _run(self) -> None:
        """Commit what is queued, a batch at a time, until closed and drained."""
        while True:
            if self.connection is None:
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
            with self.lock:
                self._committing = True
                error = self._commit(batch)
                if error is None or isinstance(error.__cause__, sqlite3.OperationalError):
                    # Committed, or the file or disk failed (locked, full, read-only): the
                    # same answer for every write.
                    errors: list[JournalError | None] = [error] * len(batch)
                else:
                    # Some write's rows were refused: each on its own, so one room's bad
                    # rows do not fail the others.
                    errors = [self._commit([request]) for request in batch]
                self._committing = False
            for request, error in zip(batch, errors, strict=True):
                request.finish(error)

    def _reopen(self) -> None:
        """Try to open the file for writing; once it is, tell the listeners."""
        try:
            connection = self._open_writer()
        except JournalError as error:
            _LOGGER.debug("journal still not writable: %s", error)
            return
        with self.lock, self._queue:
            self.connection = connection
            self.fault = None
        _LOGGER.warning("journal %s can be written again", self._name)
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                _LOGGER.exception("journal listener failed")

    def _commit(self, batch: list[PendingWrite]) -> JournalError | None:
        """Write a batch in one transaction; return the error if it failed."""
        assert self.connection is not None
        try:
            with self.connection:
                for request in batch:
                    self.connection.executemany(ADD_EVENT, request.events)
                    self.connection.executemany(SAVE_SESSION, request.sessions)
        except Exception as failure:  # any: the writer must outlive one write's bad rows
            if is_disk_fault(failure):
                error: JournalError = self._unwritable(failure)
                self.fault = str(error)
            else:
                error = JournalError(f"cannot write {self._name}: {failure}")
            error.__cause__ = failure
            return error
        self.commits += 1
        self.fault = None
        return None
