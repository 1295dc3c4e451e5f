"""The journal's SQLite file: opening it to write or to read, and naming what is wrong."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from roomctl.journal.errors import JournalError, JournalUnwritableError
from roomctl.journal.faults import diagnose, is_disk_fault
from roomctl.journal.schema import SCHEMA_VERSION, current_version, migrate

_LOGGER = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"
# How long a write waits for another process holding the file (a `roomctl report` reading
# it, say) before it counts as failed: long enough for any read, short for a room.
BUSY_TIMEOUT_S = 2.0


class JournalFile:
    """The file journal.sqlite3 under a state directory, in WAL mode, one per daemon."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / JOURNAL_FILE

    def open_writer(self) -> sqlite3.Connection:
        """Open the file read-write and bring its tables up to date."""
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self.unwritable(error) from None
        connection = self._connect(f"file:{self.path}")
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            # FULL: a write is on disk before its command is acknowledged.
            connection.execute("PRAGMA synchronous=FULL")
            migrate(connection)
            connection.execute("SELECT count(*) FROM sessions").fetchone()
        except sqlite3.DatabaseError as error:
            connection.close()
            raise self._failure(error) from None
        return connection

    def open_reader(self) -> sqlite3.Connection:
        """Open the file read-only, even on a disk that cannot take SQLite's WAL index."""
        try:
            return self._checked(self._connect(f"file:{self.path}?mode=ro"))
        except JournalUnwritableError:
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise
        # With no write-ahead log to read, the file alone is the journal: read it as is.
        return self._checked(self._connect(f"file:{self.path}?mode=ro&immutable=1"))

    def check_readable(self) -> None:
        """Log it if a file that cannot be written cannot be read either; refuse it if damaged."""
        if not self.path.exists():
            return
        try:
            self.open_reader().close()
        except JournalUnwritableError as error:
            _LOGGER.error(
                "journal %s cannot be read either (%s): a session it holds as unfinished is "
                "not recovered",
                self.path,
                error,
            )

    def unwritable(self, error: BaseException) -> JournalUnwritableError:
        """Return the error for a disk that failed, saying what is wrong with it."""
        return JournalUnwritableError(
            f"cannot write {self.path}: {diagnose(self.state_dir, error)} ({error})"
        )

    def _connect(self, uri: str) -> sqlite3.Connection:
        """Connect to the file; refuse it if it is damaged or from a newer roomctl."""
        try:
            connection = sqlite3.connect(
                uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
        except sqlite3.DatabaseError as error:
            raise self._failure(error) from None
        try:
            version = current_version(connection)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise self._failure(error) from None
        if version > SCHEMA_VERSION:
            connection.close()
            raise JournalError(
                f"{self.path} is from a newer roomctl (schema {version}, this one knows "
                f"{SCHEMA_VERSION}); it is left untouched: upgrade roomctl or use another "
                "--state-dir"
            )
        return connection

    def _checked(self, connection: sqlite3.Connection) -> sqlite3.Connection:
        """Return a reading connection once it has read the sessions table."""
        try:
            connection.execute("SELECT count(*) FROM sessions").fetchone()
        except sqlite3.DatabaseError as error:
            connection.close()
            raise self._failure(error) from None
        return connection

    def _failure(self, error: sqlite3.DatabaseError) -> JournalError:
        """Return the error for a failed open: the disk's fault, or the file's."""
        return self.unwritable(error) if is_disk_fault(error) else self._damaged(error)

    def _damaged(self, error: BaseException) -> JournalError:
        return JournalError(
            f"{self.path} is not a roomctl journal or is damaged ({error}); it is left "
            "untouched: move it aside to start a new one"
        )
