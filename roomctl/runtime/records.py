"""The record desk: answer a daemon's record queries off the rooms' threads, in bounded time.

One reader thread per daemon reads the journal on a read-only connection of its own,
opened for each query, so a query never waits for a room and a room never waits for a
query; a stalled disk holds only the reader. A clock thread answers every query the disk
has not answered within READ_BOUND_S with a refusal saying so; while the reader is stuck,
new queries are refused at once.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from roomctl.api.command_types import HistoryCommand, Query
from roomctl.api.commands import QueryError
from roomctl.api.replies import reply_payload
from roomctl.api.state import Status
from roomctl.journal import JournalError, JournalFile
from roomctl.runtime.record_answers import UnknownSessionError, history_payload, report_payload

_LOGGER = logging.getLogger(__name__)

# A console waits 5 s for a reply: a disk that has not answered a read within 2 s (as the
# state topic counts a stalled write) gets an answer saying so, in time to show it.
READ_BOUND_S = 2.0
# Queries waiting behind the one being read: a few consoles' pages at once; beyond that a
# client is flooding, and is refused at once rather than queued without end.
MAX_WAITING = 32
# How long stop() waits for each thread: an idle one ends at once and a read takes
# milliseconds; a reader stuck on a frozen disk is left behind (a daemon thread) rather
# than taking from the stop's budget (rooms 5 s and journal 3 s within systemd's 10 s).
STOP_WAIT_S = 0.2
CANNOT_READ = "the record cannot be read now: {why}"
NO_RECORD = "this daemon keeps no record (it runs without a state directory)"
NOT_ANSWERED_IN_TIME = f"the state disk has not answered within {READ_BOUND_S:g} s"


@dataclass(eq=False)
class RecordAsk:
    """One query to answer: for which room, its status now, and how to send the reply."""

    query: Query | QueryError
    room: str
    status: Callable[[], Status]
    send: Callable[[str], None]
    due: float = 0.0
    answered: bool = field(default=False)


class RecordDesk:
    """Answer the record queries of every room of one daemon (see the module's doc)."""

    def __init__(self, state_dir: Path | None, clock: Callable[[], float] = time.monotonic):
        self._file = JournalFile(state_dir) if state_dir is not None else None
        self._clock = clock
        self._changed = threading.Condition()
        self._waiting: deque[RecordAsk] = deque()
        self._reading: RecordAsk | None = None
        self._reading_since = 0.0
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._read_loop, name="roomctl-records", daemon=True),
            threading.Thread(target=self._clock_loop, name="roomctl-records-clock", daemon=True),
        ]

    def start(self) -> None:
        """Start the reader and its clock."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Refuse what still waits (the daemon stops) and let the threads end."""
        with self._changed:
            self._stopping = True
            left = [ask for ask in self._waiting if self._claim(ask)]
            self._waiting.clear()
            self._changed.notify_all()
        for ask in left:
            self._refuse(ask, "the daemon is stopping")
        for thread in self._threads:
            if thread.is_alive():
                thread.join(STOP_WAIT_S)

    def ask(self, ask: RecordAsk) -> None:
        """Take a query (from any thread, at once): it is answered within READ_BOUND_S."""
        if isinstance(ask.query, QueryError):
            self._refuse(ask, ask.query.reason)
            return
        if self._file is None:
            self._refuse(ask, NO_RECORD)
            return
        now = self._clock()
        refusal = None
        with self._changed:
            if self._stopping:
                refusal = "the daemon is stopping"
            elif self._reading is not None and now - self._reading_since >= READ_BOUND_S:
                stuck = now - self._reading_since
                refusal = CANNOT_READ.format(why=_not_answered(stuck))
            elif len(self._waiting) >= MAX_WAITING:
                refusal = f"{MAX_WAITING} record queries are waiting already: ask again later"
            else:
                ask.due = now + READ_BOUND_S
                self._waiting.append(ask)
                self._changed.notify_all()
        if refusal is not None:
            self._refuse(ask, refusal)

    def _claim(self, ask: RecordAsk) -> bool:
        """Mark a query answered; return False if it was already (call holding the lock)."""
        if ask.answered:
            return False
        ask.answered = True
        return True

    def _read_loop(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._stopping:
                    self._changed.wait()
                if self._stopping:
                    return
                ask = self._waiting.popleft()
                if ask.answered:  # the clock answered it while it waited
                    continue
                self._reading, self._reading_since = ask, self._clock()
            payload = self._read(ask)
            with self._changed:
                self._reading = None
                fresh = self._claim(ask)
                self._changed.notify_all()
            if fresh:
                ask.send(payload)
            else:
                _LOGGER.info("room %s: a record query was read after its reply was due", ask.room)

    def _read(self, ask: RecordAsk) -> str:
        """Return the reply to a query, read on a connection opened for it."""
        query, status = ask.query, ask.status()
        assert self._file is not None and not isinstance(query, QueryError)  # see ask()
        try:
            connection = self._file.open_reader()
            try:
                if isinstance(query, HistoryCommand):
                    return history_payload(connection, ask.room, query, status)
                return report_payload(connection, ask.room, query, status)
            finally:
                connection.close()
        except UnknownSessionError as refusal:
            reason = str(refusal)
        except (JournalError, sqlite3.Error) as error:
            _LOGGER.warning("room %s: cannot read the record: %s", ask.room, error)
            reason = CANNOT_READ.format(why=error)
        except Exception:  # any: every query gets its one answer
            _LOGGER.exception("room %s: a record query failed", ask.room)
            reason = "the record could not be read: see the daemon's log"
        return reply_payload(query.request_id, False, ask.status(), reason)

    def _clock_loop(self) -> None:
        """Answer each query not read by its due time with a refusal saying why."""
        while True:
            with self._changed:
                if self._stopping:
                    return
                now = self._clock()
                asks = [a for a in (self._reading, *self._waiting) if a is not None]
                late = [a for a in asks if not a.answered and a.due <= now and self._claim(a)]
                due = [a.due for a in asks if not a.answered]
                if not late:
                    self._changed.wait(max(0.0, min(due) - now) if due else None)
                    continue
            for ask in late:
                self._refuse(ask, CANNOT_READ.format(why=NOT_ANSWERED_IN_TIME))

    def _refuse(self, ask: RecordAsk, reason: str) -> None:
        ask.send(reply_payload(ask.query.request_id, False, ask.status(), reason))


def _not_answered(seconds: float) -> str:
    return f"the state disk has not answered for {seconds:.0f} s"
