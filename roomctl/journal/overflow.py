"""Records the journal could not take: spilled to files now, written to it once it can be."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from roomctl.journal.records import SessionRow, StoredEvent
from roomctl.journal.spill import Spilled, read_spills, write_spill
from roomctl.journal.sql import (
    IMPORT_EVENT,
    IMPORT_SESSION,
    event_values,
    session_values,
    to_json,
)

_LOGGER = logging.getLogger(__name__)


class Overflow:
    """The spilled records of a state directory: this run's and those earlier runs left.

    Its lock is its own, apart from the connection's: a spill must not wait for a disk
    that is stalled in a commit.
    """

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._lock = threading.Lock()
        self._spilled = Spilled()

    def load(self) -> None:
        """Read the records earlier runs spilled, and say so if there are any."""
        spilled = read_spills(self.state_dir)
        if spilled.count:
            _LOGGER.warning(
                "found %d journal records an earlier run could not write, in %s",
                spilled.count,
                ", ".join(str(p) for p in spilled.files),
            )
        with self._lock:
            self._spilled = spilled

    @property
    def files(self) -> list[Path]:
        """Return the spill files read at start and not yet written to the journal."""
        with self._lock:
            return list(self._spilled.files)

    def sessions(self, room: str) -> list[SessionRow]:
        """Return the room's spilled session snapshots (the newest of each session)."""
        with self._lock:
            return [r for r in self._spilled.sessions.values() if r.room == room]

    def spill(
        self, events: Sequence[StoredEvent], sessions: Sequence[SessionRow], why: str
    ) -> None:
        """Keep records in a new spill file, or log them as lost if none can be written."""
        count = len(events) + len(sessions)
        if not count:
            return
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
                _LOGGER.error("lost event %s", to_json(asdict(event)))
            for row in sessions:
                _LOGGER.error("lost session %s", to_json(asdict(row)))
            return
        with self._lock:
            self._spilled.add(events, sessions)
        _LOGGER.error(
            "%s: %d journal records could not be written (%s); they are kept in %s and "
            "written to the journal at the next start",
            label,
            count,
            why,
            path,
        )

    def write_into(self, connection: sqlite3.Connection, journal: Path) -> None:
        """Write what earlier runs spilled (in one transaction), then remove their files."""
        with self._lock:
            spilled = self._spilled
        if not spilled.count:
            return
        with connection:
            connection.executemany(IMPORT_EVENT, [event_values(e) for e in spilled.events])
            connection.executemany(
                IMPORT_SESSION, [session_values(r) for r in spilled.sessions.values()]
            )
        with self._lock:
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
            "journal %s: wrote the %d records earlier runs could not", journal, spilled.count
        )
