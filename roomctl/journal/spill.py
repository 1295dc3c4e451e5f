"""Spill files: the records a journal could not take, kept on another disk until it can."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from roomctl.journal.records import SessionRow, StoredEvent

_LOGGER = logging.getLogger(__name__)

SUFFIX = ".jsonl"
# systemd sets this for a unit with RuntimeDirectory=; else the system's temporary folder.
RUNTIME_ENV = "RUNTIME_DIRECTORY"


def spill_dirs(state_dir: Path) -> list[Path]:
    """Return where spill files for `state_dir` go (the first) and may be found (all)."""
    digest = hashlib.sha256(str(state_dir.absolute()).encode()).hexdigest()[:16]
    name = f"roomctl-unsaved-{digest}"
    bases = [os.environ.get(RUNTIME_ENV, ""), tempfile.gettempdir()]
    found: list[Path] = []
    for base in bases:
        folder = Path(base.split(":")[0]) / name if base else None
        if folder is not None and folder not in found:
            found.append(folder)
    return found


@dataclass
class Spilled:
    """Records read back from spill files, oldest file first, and the files they came from."""

    events: list[StoredEvent] = field(default_factory=list)
    sessions: dict[str, SessionRow] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Return how many records there are."""
        return len(self.events) + len(self.sessions)

    def add(self, events: Iterable[StoredEvent], sessions: Iterable[SessionRow]) -> None:
        """Take more records; of two snapshots of one session the newer stays."""
        self.events.extend(events)
        for row in sessions:
            kept = self.sessions.get(row.session_id)
            if kept is None or row.alive_at >= kept.alive_at:
                self.sessions[row.session_id] = row


def _private(folder: Path) -> bool:
    """Return whether only this user owns and may write `folder` (a shared /tmp's rule)."""
    info = folder.lstat()
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def write_spill(
    state_dir: Path, label: str, events: Sequence[StoredEvent], sessions: Sequence[SessionRow]
) -> Path:
    """Write records to a new spill file, durably; return its path (OSError if it cannot)."""
    folder = spill_dirs(state_dir)[0]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private(folder):
        raise OSError(f"{folder} is not this user's private folder")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", label)
    path = folder / f"{time.time_ns():020d}-{os.getpid()}-{safe}{SUFFIX}"
    lines = [json.dumps({"event": asdict(e)}, default=str) for e in events]
    lines += [json.dumps({"session": asdict(r)}, default=str) for r in sessions]
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as file:
        file.write("".join(f"{line}\n" for line in lines))
        file.flush()
        os.fsync(file.fileno())
    partial.rename(path)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


def read_spills(state_dir: Path) -> Spilled:
    """Read every spill file left for `state_dir`, oldest first; skip what is unreadable."""
    spilled = Spilled()
    paths: list[Path] = []
    for folder in spill_dirs(state_dir):
        try:
            if not _private(folder):
                _LOGGER.error("ignoring %s: it is not this user's private folder", folder)
                continue
            paths.extend(folder.glob(f"*{SUFFIX}"))
        except FileNotFoundError:
            continue
        except OSError as error:
            _LOGGER.error("cannot look for unsaved journal records in %s: %s", folder, error)
    for path in sorted(paths, key=lambda p: p.name):
        try:
            events, sessions = _parse(path)
        except (OSError, ValueError, TypeError, KeyError) as error:
            _LOGGER.error("cannot read unsaved journal records in %s: %s", path, error)
            continue
        spilled.add(events, sessions)
        spilled.files.append(path)
    return spilled


def _parse(path: Path) -> tuple[list[StoredEvent], list[SessionRow]]:
    events: list[StoredEvent] = []
    sessions: list[SessionRow] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record: dict[str, Any] = json.loads(line)
        if "event" in record:
            events.append(StoredEvent(**record["event"]))
        else:
            sessions.append(SessionRow(**record["session"]))
    return events, sessions
