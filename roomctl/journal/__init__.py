"""The session journal: what must outlive the process, durably, in SQLite."""

from __future__ import annotations

from roomctl.journal.store import Journal, JournalError, SessionRow, StoredEvent

__all__ = ["Journal", "JournalError", "SessionRow", "StoredEvent"]
