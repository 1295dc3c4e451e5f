"""The session journal: what must outlive the process, durably, in SQLite."""

from __future__ import annotations

from roomctl.journal.store import Journal, JournalError, PendingWrite, SessionRow, StoredEvent

__all__ = ["Journal", "JournalError", "PendingWrite", "SessionRow", "StoredEvent"]
