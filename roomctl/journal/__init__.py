"""The session journal: what must outlive the process, durably, in SQLite."""

from __future__ import annotations

from roomctl.journal.records import SessionRow, StoredEvent
from roomctl.journal.store import Journal, JournalError, JournalUnwritableError, PendingWrite

__all__ = [
    "Journal",
    "JournalError",
    "JournalUnwritableError",
    "PendingWrite",
    "SessionRow",
    "StoredEvent",
]
