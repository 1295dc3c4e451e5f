"""The session journal: what must outlive the process, durably, in SQLite.

- `store`: Journal, the one object the daemon and the CLI use;
- `database` (with `schema`, `faults`): the file, its tables and what is wrong with its disk;
- `writer`: the thread that commits queued writes in groups and reopens a failed file;
- `reader`: sessions and events read back; `report`: a session told as a report;
- `overflow` (with `spill`): records the journal could not take, kept until it can;
- `records`, `sql`: what is kept, and the rows and statements that keep it.
"""

from __future__ import annotations

from roomctl.journal.database import JOURNAL_FILE, JournalFile
from roomctl.journal.errors import JournalError, JournalUnwritableError
from roomctl.journal.records import SessionRow, StoredEvent
from roomctl.journal.schema import SCHEMA_VERSION
from roomctl.journal.store import Journal
from roomctl.journal.writer import PendingWrite, WrittenCallback

__all__ = [
    "JOURNAL_FILE",
    "SCHEMA_VERSION",
    "Journal",
    "JournalError",
    "JournalFile",
    "JournalUnwritableError",
    "PendingWrite",
    "SessionRow",
    "StoredEvent",
    "WrittenCallback",
]
