"""Tell a disk that cannot be written now from a journal file that is damaged, and say why."""

from __future__ import annotations

import errno
import getpass
import os
import sqlite3
from pathlib import Path

# SQLite's primary result codes that mean the disk or the file's permissions failed, not
# the file's contents: PERM, BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL.
_FAULT_CODES = frozenset({3, 5, 6, 8, 10, 13, 14, 15})
_FULL, _BUSY, _LOCKED, _IOERR = 13, 5, 6, 10
# Below this much free space a failed write is put down to a full disk (an I/O error
# while sizing SQLite's shared-memory file is how a full tmpfs shows, for one).
NEARLY_FULL_BYTES = 1 << 20


def is_disk_fault(error: BaseException) -> bool:
    """Return whether `error` is the disk's or the permissions' fault, not the file's."""
    if isinstance(error, OSError):
        return True
    if isinstance(error, sqlite3.OperationalError):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _FAULT_CODES
    return False


def mount_point(path: Path) -> Path:
    """Return the mount point of the file system that holds `path` (or would)."""
    path = existing_ancestor(path)
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def existing_ancestor(path: Path) -> Path:
    """Return `path` or its nearest ancestor that exists."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def diagnose(state_dir: Path, error: BaseException) -> str:
    """Say what is wrong with the disk under `state_dir` and what to do about it."""
    where = existing_ancestor(state_dir)
    mount = mount_point(where)
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    number = error.errno if isinstance(error, OSError) else None
    try:
        disk = os.statvfs(where)
    except OSError:
        disk = None
    if number == errno.EROFS or (disk is not None and disk.f_flag & os.ST_RDONLY):
        return f"the file system at {mount} is read-only: remount it read-write"
    free = disk.f_bavail * disk.f_frsize if disk is not None else None
    if code == _FULL or number == errno.ENOSPC or (free is not None and free < NEARLY_FULL_BYTES):
        return f"the disk is full: free space on {mount}"
    if code in (_BUSY, _LOCKED):
        return "another process holds the journal locked"
    if code == _IOERR or number == errno.EIO:
        return f"the disk at {mount} reports an I/O error: check it (dmesg)"
    return (
        f"{state_dir} cannot be written: check that it exists and that {getpass.getuser()} "
        "may write to it and to its files"
    )
