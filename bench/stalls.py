#!/usr/bin/env python3
"""Watch the machine itself: an idle process that notes when it was not run for a while.

Run as `python -m bench.stalls --out FILE`: it sleeps WATCH_STEP_S at a time, and a
wake-up later than STALL_MIN_S writes a line `start end queued` (wall-clock seconds) to
FILE. It does nothing else, so it is late for one of two reasons, told apart by the
kernel's count of its time waiting for a core (`run_delay` in /proc/thread-self/schedstat):
it waited behind other processes on busy cores (queued for most of the stall), or the
machine ran nothing at all (queued for little of it: this machine is a small virtual one
whose cores its host takes away for tens of milliseconds at a time). A roomctl event late
across such a stall was held by the machine, not by the daemon; the cue runs show both
(see bench.cues). It prints `ready` once watching and runs until stdin closes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# The watcher's sleep: short enough that a stall's start and end are known to 2 ms.
WATCH_STEP_S = 0.002
# An idle process on an idle core wakes within a fraction of a millisecond of its timer
# (under 1 ms in a minute of this watcher alone on this machine); 10 ms late is the
# machine holding it, and the smallest stall that matters to a 10 ms cue target.
STALL_MIN_S = 0.010
# A stall queued for less than this share of its length was the machine's: the watcher
# was neither running nor waiting for a core, its timer simply fired that late.
QUEUED_SHARE_MAX = 0.5
# The second field of /proc/thread-self/schedstat: nanoseconds spent waiting for a core.
_RUN_DELAY_FIELD = 1
_NS = 1e-9


@dataclass(frozen=True)
class Stall:
    """A span of wall time in which the machine ran nothing of the watcher's."""

    start: float
    end: float
    queued: float  # seconds of it the watcher spent waiting for a core

    @property
    def ms(self) -> float:
        """Return the stall's length in milliseconds."""
        return (self.end - self.start) * 1000.0

    @property
    def machine(self) -> bool:
        """Tell whether the machine ran nothing (rather than the watcher waiting for a core)."""
        return self.queued < QUEUED_SHARE_MAX * (self.end - self.start)

    def overlaps(self, start: float, end: float) -> bool:
        """Tell whether the stall falls (partly) within start..end."""
        return self.start < end and start < self.end


def read_stalls(path: Path) -> list[Stall]:
    """Return the stalls the watcher has written to path so far."""
    if not path.exists():
        return []
    stalls = []
    for line in path.read_text().splitlines():
        start, end, queued = line.split()
        stalls.append(Stall(float(start), float(end), float(queued)))
    return stalls


def _run_delay(schedstat: int) -> float:
    """Return the seconds this thread has waited for a core so far."""
    return int(os.pread(schedstat, 100, 0).split()[_RUN_DELAY_FIELD]) * _NS


def watch(out: Path, watching: threading.Event, stop: threading.Event) -> None:
    """Sleep in steps until stop is set, writing each stall to out as it ends."""
    schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)  # this thread's
    with out.open("a", buffering=1) as lines:
        before, waited = time.time(), _run_delay(schedstat)
        watching.set()
        while not stop.is_set():
            time.sleep(WATCH_STEP_S)
            now, waited_now = time.time(), _run_delay(schedstat)
            if now - before - WATCH_STEP_S > STALL_MIN_S:
                start, queued = before + WATCH_STEP_S, waited_now - waited
                lines.write(f"{start:.4f} {now:.4f} {queued:.4f}\n")
            before, waited = now, waited_now
    os.close(schedstat)


def main() -> int:
    """Watch until stdin closes."""
    if len(sys.argv) != 3 or sys.argv[1] != "--out":
        print("usage: python -m bench.stalls --out FILE", file=sys.stderr)
        return 2
    watching, stop = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch, args=(Path(sys.argv[2]), watching, stop), daemon=True)
    watcher.start()
    watching.wait()
    print("ready", flush=True)
    sys.stdin.read()
    stop.set()
    watcher.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
