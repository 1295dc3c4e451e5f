"""A state disk that can be frozen: a loop-mounted ext4 image and `fsfreeze` (root only)."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

# The frozen-disk row: an ext4 image this big (the journal needs well under 1 MiB; ext4
# wants a few MiB for itself), and its set-up commands' time limit (mkfs, mount, fsfreeze,
# umount take milliseconds to seconds).
IMAGE_MIB = 64
MIB = 1024 * 1024
ADMIN_TIMEOUT_S = 30.0
# A thaw that runs on its own this long after each freeze, from a separate session, in
# case the bench is killed while the file system is frozen (everything writing to it would
# hang until then). Each freeze lasts at most the backlog's TRIAL_TIMEOUT_S plus a little.
FREEZE_GUARD_S = 30.0


def frozen_disk_unavailable() -> str | None:
    """Return why the frozen-disk row cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (loop mount, fsfreeze)"
    missing = [c for c in ("fsfreeze", "mkfs.ext4", "mount", "umount") if not shutil.which(c)]
    if missing:
        return f"no {', '.join(missing)}"
    if not Path("/dev/loop-control").exists():
        return "no loop devices (/dev/loop-control)"
    return None


def _admin(args: list[str]) -> None:
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=ADMIN_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip() or done.returncode}")


@contextmanager
def loop_mount(root: Path) -> Iterator[Path]:
    """Mount a fresh ext4 image under root; unmount it (lazily if busy) at the end."""
    image, mount = root / "state.img", root / "state"
    mount.mkdir(parents=True)
    with image.open("wb") as file:
        file.truncate(IMAGE_MIB * MIB)
    _admin(["mkfs.ext4", "-q", "-F", str(image)])
    _admin(["mount", "-o", "loop", str(image), str(mount)])
    try:
        yield mount
    finally:
        try:
            _admin(["umount", str(mount)])
        except (RuntimeError, subprocess.SubprocessError):
            subprocess.run(["umount", "-l", str(mount)], timeout=ADMIN_TIMEOUT_S, check=False)


class Freeze:
    """One `fsfreeze -f` of a mounted file system, always thawed on leaving."""

    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.thaw_mono = math.inf

    def __enter__(self) -> Freeze:
        # The guard thaws on its own if this process dies while frozen (its own session,
        # so a Ctrl-C to the bench does not end it first).
        self._guard = subprocess.Popen(
            ["sh", "-c", f"sleep {FREEZE_GUARD_S:.0f}; fsfreeze -u '{self.mount}'"],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._previous: Any = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            _admin(["fsfreeze", "-f", str(self.mount)])
        except BaseException:
            self._thaw()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self._thaw()

    def _thaw(self) -> None:
        self.thaw_mono = time.monotonic()
        subprocess.run(
            ["fsfreeze", "-u", str(self.mount)],
            capture_output=True,
            timeout=ADMIN_TIMEOUT_S,
            check=False,
        )
        with contextlib.suppress(ProcessLookupError):  # the guard's own group: sh and sleep
            os.killpg(self._guard.pid, signal.SIGKILL)
        self._guard.wait()
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit("SIGTERM while the state disk was frozen")
