"""The journal's errors: one that refuses the journal, one that says its disk fails now."""

from __future__ import annotations

from roomctl.errors import RoomctlError


class JournalError(RoomctlError):
    """The journal cannot be used: corrupt, from a newer roomctl, or not writable."""


class JournalUnwritableError(JournalError):
    """The journal's disk cannot be written now (full, read-only, permissions, I/O error)."""
