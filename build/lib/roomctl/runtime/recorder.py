"""Record a room's events and session snapshots in the journal, in order, nothing dropped."""

from __future__ import annotations

import logging
from collections.abc import Callable

from roomctl.journal import Journal, JournalError, PendingWrite, SessionRow, StoredEvent

_LOGGER = logging.getLogger(__name__)


class Recorder:
    """Buffer what a room does and hand it to the journal, one write in flight at a time.

    A command's records are waited for (durable before it is acknowledged); what the
    timeline does by itself (phases, cues, heartbeats) is handed over without waiting,
    so a slow disk never holds a cue back. `on_written` is called when a write ends (on
    the journal's thread, or at once if the journal refuses it), so the room can hand
    over what came meanwhile.

    When the journal cannot be written (read-only, disk full), nothing is dropped: the
    records wait in memory, in order, and go out with the next successful write, and
    `error` says what is wrong so the room can show it.
    """

    def __init__(self, journal: Journal | None) -> None:
        self._journal = journal
        self._events: list[StoredEvent] = []
        self._sessions: dict[str, SessionRow] = {}
        self._in_flight: PendingWrite | None = None
        self._in_flight_records: tuple[list[StoredEvent], dict[str, SessionRow]] = ([], {})
        self.on_written: Callable[[], None] | None = None
        self.error: str | None = None

    def event(self, event: StoredEvent) -> None:
        """Queue an event for the next flush."""
        if self._journal is not None:
            self._events.append(event)

    def session(self, row: SessionRow) -> None:
        """Queue a session's latest snapshot for the next flush (a newer one replaces it)."""
        if self._journal is not None:
            self._sessions[row.session_id] = row

    @property
    def pending(self) -> int:
        """Return how many records are not yet known to be on disk."""
        events, sessions = self._in_flight_records
        return len(self._events) + len(self._sessions) + len(events) + len(sessions)

    def flush(self, wait: bool = True) -> bool:
        """Hand what is queued to the journal; return whether `error` changed.

        With `wait`, return once everything recorded so far is on disk (or the write has
        failed). Without, take the result of a finished write and hand over what is
        queued if no write is in flight. A failure found by a flush is not retried by
        that flush unless it waits, so a failing disk is tried once per room input, not
        in a loop.
        """
        if self._journal is None:
            return False
        before = self.error
        failed = self._settle(wait)
        if self._in_flight is None and (self._events or self._sessions) and (wait or not failed):
            self._submit(self._journal)
            if wait:
                self._settle(wait=True)
        return self.error != before

    def _submit(self, journal: Journal) -> None:
        """Hand the queued records to the journal as the one write in flight."""
        write = journal.submit(self._events, list(self._sessions.values()), self._written)
        self._in_flight, self._in_flight_records = write, (self._events, self._sessions)
        self._events, self._sessions = [], {}

    def _written(self, _write: PendingWrite) -> None:
        if self.on_written is not None:
            self.on_written()

    def _settle(self, wait: bool) -> bool:
        """Take the result of the write in flight (waiting if asked); return whether it failed."""
        write = self._in_flight
        if write is None or not (wait or write.done):
            return False
        error = write.wait()
        events, sessions = self._in_flight_records
        self._in_flight, self._in_flight_records = None, ([], {})
        if error is None:
            if self.error is not None:
                _LOGGER.warning("journal writable again; all kept records written")
            self.error = None
            return False
        self._keep(events, sessions, error)
        return True

    def _keep(
        self, events: list[StoredEvent], sessions: dict[str, SessionRow], error: JournalError
    ) -> None:
        """Put a failed write's records back ahead of newer ones, to go with the next write."""
        self._events[:0] = events
        self._sessions = {**sessions, **self._sessions}
        if self.error is None:
            _LOGGER.error("journal write failed, keeping %d records: %s", self.pending, error)
        self.error = str(error)
