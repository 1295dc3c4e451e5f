"""Record a room's events and session snapshots in the journal before they are acknowledged."""

from __future__ import annotations

import logging

from roomctl.journal import Journal, JournalError, SessionRow, StoredEvent

_LOGGER = logging.getLogger(__name__)


class Recorder:
    """Buffer what a room does while it handles one input, then write it in one transaction.

    When the journal cannot be written (read-only, disk full), nothing is dropped: the
    records wait in memory and go out with the next successful write, and `error` says
    what is wrong so the room can show it.
    """

    def __init__(self, journal: Journal | None) -> None:
        self._journal = journal
        self._events: list[StoredEvent] = []
        self._sessions: dict[str, SessionRow] = {}
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
        """Return how many records wait to be written."""
        return len(self._events) + len(self._sessions)

    def flush(self) -> bool:
        """Write what is queued; return whether `error` changed."""
        if self._journal is None or not self.pending:
            return False
        before = self.error
        try:
            self._journal.write(self._events, list(self._sessions.values()))
        except JournalError as error:
            self.error = str(error)
            if before is None:
                _LOGGER.error("journal write failed, keeping %d records: %s", self.pending, error)
            return before != self.error
        self._events.clear()
        self._sessions.clear()
        self.error = None
        if before is not None:
            _LOGGER.warning("journal writable again; all kept records written")
        return before is not None
