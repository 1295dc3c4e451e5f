"""Record a room's events and session snapshots in the journal, in order, nothing dropped."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from roomctl.journal import Journal, JournalError, PendingWrite, SessionRow, StoredEvent
from roomctl.runtime.acks import ACK_WAIT_S

_LOGGER = logging.getLogger(__name__)

# A stopping room waits this long for its last records to reach the disk, then spills
# them: the daemon gives its rooms 5 s to stop, and systemd kills it 10 s after SIGTERM.
STOP_WRITE_WAIT_S = 3.0
# The state topic says the state disk stalls once a journal write has not ended after 2 s:
# a healthy commit takes milliseconds, a busy disk's well under a second.
JOURNAL_STALL_S = 2.0
# A write not ended after this long is "not yet recorded" in a command's reply (acks.py
# answers then: ACK_WAIT_S).
SLOW_WRITE_S = ACK_WAIT_S


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

    Every record gets a number in the order it was made; `mark()` and `durable(mark)` let
    the room answer a command once its records are on disk without waiting for it.
    """

    def __init__(self, journal: Journal | None) -> None:
        self._journal = journal
        self._events: list[StoredEvent] = []
        self._sessions: dict[str, SessionRow] = {}
        self._in_flight: PendingWrite | None = None
        self._in_flight_records: tuple[list[StoredEvent], dict[str, SessionRow]] = ([], {})
        self._made = 0  # records made so far
        self._in_flight_upto = 0  # the records the write in flight holds, counted from the first
        self._written_upto = 0  # the records known to be on disk, counted from the first
        self.in_flight_since: float | None = None  # when the write in flight was handed over
        self._submitted = 0.0  # the same, on this machine's monotonic clock
        self.on_written: Callable[[], None] | None = None
        # A journal that cannot be written from the start shows so before a write fails.
        self.error: str | None = journal.fault if journal is not None else None
        if journal is not None:
            journal.on_writable(self._writable)

    def event(self, event: StoredEvent) -> None:
        """Queue an event for the next flush."""
        if self._journal is not None:
            self._events.append(event)
            self._made += 1

    def session(self, row: SessionRow) -> None:
        """Queue a session's latest snapshot for the next flush (a newer one replaces it)."""
        if self._journal is not None:
            self._sessions[row.session_id] = row
            self._made += 1

    @property
    def keeps_records(self) -> bool:
        """Tell whether there is a journal to record to (a rehearsal has none)."""
        return self._journal is not None

    @property
    def waiting_since(self) -> float | None:
        """Return when the write the disk has not finished was handed over, or None.

        A finished write is taken up at the room's next turn, which a write nothing waits
        on does not ask for (see RoomRuntime.on_journal_written): until then it is done,
        not stalled.
        """
        write = self._in_flight
        return None if write is None or write.done else self.in_flight_since

    def stalled(self, now: float) -> bool:
        """Tell whether the write in flight has waited for the disk for JOURNAL_STALL_S."""
        since = self.waiting_since
        return since is not None and now - since >= JOURNAL_STALL_S

    def problem(self, now: float) -> str | None:
        """Return what keeps the journal from recording now, if anything."""
        if self.error is not None:
            return f"not yet recorded: {self.error}; the room keeps it in memory"
        since = self.waiting_since
        if since is not None and now - since >= SLOW_WRITE_S:
            return (
                f"not yet recorded: the state disk has not answered for {now - since:.0f} s;"
                " the room keeps the record in memory and writes it when the disk answers"
            )
        return None

    def mark(self) -> int:
        """Return a mark of what has been recorded so far, for `durable`."""
        return self._made

    def durable(self, mark: int) -> bool:
        """Tell whether everything recorded up to `mark` is on disk."""
        return self._written_upto >= mark

    @property
    def queued(self) -> bool:
        """Tell whether records wait for the next write (one is in flight, or failed)."""
        return bool(self._events or self._sessions)

    def write_failed_or_slow(self, slow_s: float) -> bool:
        """Tell whether the write in flight failed, or has been in flight `slow_s` or more."""
        write = self._in_flight
        if write is None:
            return False
        slow = time.monotonic() - self._submitted >= slow_s
        return slow or (write.done and write.error is not None)

    @property
    def pending(self) -> int:
        """Return how many records are not yet known to be on disk."""
        events, sessions = self._in_flight_records
        return len(self._events) + len(self._sessions) + len(events) + len(sessions)

    def flush(self, wait: bool = True, now: float | None = None) -> bool:
        """Hand what is queued to the journal; return whether `error` changed.

        With `wait`, return once everything recorded so far is on disk (or the write has
        failed). Without, take the result of a finished write and hand over what is
        queued if no write is in flight. A failure found by a flush is not retried by
        that flush unless it waits, so a failing disk is tried once per room input, not
        in a loop. `now` is noted as the time a write it hands over starts.
        """
        if self._journal is None:
            return False
        before = self.error
        if before is not None and not self.pending and self._journal.fault is None:
            self.error = None  # nothing kept, and the journal can be written again
        failed = self._settle(wait)
        if self._in_flight is None and (self._events or self._sessions) and (wait or not failed):
            self._submit(self._journal, now)
            if wait:
                self._settle(wait=True)
        return self.error != before

    def _submit(self, journal: Journal, now: float | None) -> None:
        """Hand the queued records to the journal as the one write in flight."""
        self._in_flight_upto, self.in_flight_since = self._made, now
        self._submitted = time.monotonic()  # the room's clock may be a test's
        write = journal.submit(self._events, list(self._sessions.values()), self._written)
        self._in_flight, self._in_flight_records = write, (self._events, self._sessions)
        self._events, self._sessions = [], {}

    def _written(self, _write: PendingWrite) -> None:
        if self.on_written is not None:
            self.on_written()

    def _writable(self) -> None:
        """Have the room hand over what it kept, now that the journal can take it."""
        if self.on_written is not None:
            self.on_written()

    def close(self, timeout: float = STOP_WRITE_WAIT_S) -> None:
        """Write everything recorded; what the journal cannot take goes to a spill file.

        Called once, as the room stops: nothing recorded is dropped without the log
        saying how many records, why, and where they are. A disk that does not answer
        within `timeout` counts as failed: the records it holds are spilled too (they
        may also land, if it answers before the process exits).
        """
        if self._journal is None:
            return
        deadline = time.monotonic() + timeout
        self._settle(wait=True, timeout=timeout)
        if self._in_flight is None and (self._events or self._sessions):
            self._submit(self._journal, None)
            self._settle(wait=True, timeout=max(0.0, deadline - time.monotonic()))
        events, sessions, reason = self._events, self._sessions, self.error
        if self._in_flight is not None:  # the disk is stalled in this write
            held_events, held_sessions = self._in_flight_records
            events, sessions = held_events + events, {**held_sessions, **sessions}
            reason = f"the state disk did not answer within {timeout:g} s"
        if events or sessions:
            self._journal.spill(events, list(sessions.values()), reason)
        self._events, self._sessions = [], {}

    def _settle(self, wait: bool, timeout: float | None = None) -> bool:
        """Take the result of the write in flight (waiting if asked); return whether it failed.

        A write still in flight after `timeout` stays in flight.
        """
        write = self._in_flight
        if write is None or not (wait or write.done):
            return False
        error = write.wait(timeout)
        if not write.done:
            return False
        events, sessions = self._in_flight_records
        self._in_flight, self._in_flight_records = None, ([], {})
        self.in_flight_since = None
        if error is None:
            self._written_upto = self._in_flight_upto
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
