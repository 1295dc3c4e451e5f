#!/usr/bin/env python3
"""Watch the machine itself: idle watchers, one per core, that note when they were not run.

Run as `python -m bench.stalls --out FILE`: a thread pinned to each core sleeps
WATCH_STEP_S at a time, and a wake-up later than STALL_MIN_S writes a line `core start end
queued real_time` (wall-clock seconds) to FILE. The threads do nothing else and run in
the real-time class (SCHED_FIFO, where allowed: root), which no ordinary process delays,
so a late wake-up means the machine ran no process on their core: its kernel, or its host
(this machine is a small virtual one whose host takes its cores away for tens of
milliseconds at a time, and its clocks run on meanwhile). `queued` is the kernel's count
of the thread's time waiting for its core (`run_delay` in /proc/thread-self/schedstat);
a host that stops a core just after a watcher's timer woke it shows as queued too, so it
tells the machine's stalls from waits behind other work only for a watcher outside the
real-time class (not root), whose stall spent mostly queued was such a wait. A roomctl
event late across a machine stall was held by the machine, not by the daemon; the cue
runs show both (see bench.cues). It prints `ready` once watching (and on stderr whether
in the real-time class) and runs until stdin closes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# The watchers' sleep: short enough that a stall's start and end are known to 2 ms.
WATCH_STEP_S = 0.002
# An idle real-time thread wakes within a fraction of a millisecond of its timer (under
# 1 ms in a minute of a watcher alone on this machine); 10 ms late is the machine holding
# it, and the smallest stall that matters to a 10 ms cue target.
STALL_MIN_S = 0.010
# A stall queued for less than this share of its length was the machine's: the watcher
# was neither running nor waiting for a core, its timer simply fired that late.
QUEUED_SHARE_MAX = 0.5
# The lowest real-time priority: above every ordinary process, below the kernel's own.
WATCH_PRIORITY = 1
# The second field of /proc/thread-self/schedstat: nanoseconds spent waiting for a core.
_RUN_DELAY_FIELD = 1
_NS = 1e-9


@dataclass(frozen=True)
class Stall:
    """A span of wall time in which one core ran nothing of its watcher's."""

    core: int
    start: float
    end: float
    queued: float  # seconds of it the watcher spent waiting for its core
    real_time: bool  # the watcher ran in the real-time class: only the machine delays it

    @property
    def ms(self) -> float:
        """Return the stall's length in milliseconds."""
        return (self.end - self.start) * 1000.0

    @property
    def machine(self) -> bool:
        """Tell whether the machine ran nothing there (rather than other work ran first)."""
        return self.real_time or self.queued < QUEUED_SHARE_MAX * (self.end - self.start)

    def overlaps(self, start: float, end: float) -> bool:
        """Tell whether the stall falls (partly) within start..end."""
        return self.start < end and start < self.end


def read_stalls(path: Path) -> list[Stall]:
    """Return the stalls the watchers have written to path so far."""
    if not path.exists():
        return []
    stalls = []
    for line in path.read_text().splitlines():
        core, start, end, queued, real_time = line.split()
        stalls.append(Stall(int(core), float(start), float(end), float(queued), real_time == "1"))
    return stalls


def merged(stalls: list[Stall]) -> list[tuple[float, float]]:
    """Return the spans in which any core stalled, overlapping stalls made one."""
    spans: list[tuple[float, float]] = []
    for stall in sorted(stalls, key=lambda s: s.start):
        if spans and stall.start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], stall.end))
        else:
            spans.append((stall.start, stall.end))
    return spans


def _run_delay(schedstat: int) -> float:
    """Return the seconds this thread has waited for a core so far."""
    return int(os.pread(schedstat, 100, 0).split()[_RUN_DELAY_FIELD]) * _NS


def real_time() -> bool:
    """Put the calling thread in the real-time class; tell whether it was allowed."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(WATCH_PRIORITY))
    except PermissionError:
        return False
    return True


class Watchers:
    """One watcher thread per core, writing each stall to one file as it ends."""

    def __init__(self, out: TextIO, cores: set[int]) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watching = threading.Barrier(len(cores) + 1)
        self.real_time: dict[int, bool] = {}
        self._threads = [
            threading.Thread(target=self._watch, args=(core,), daemon=True) for core in cores
        ]

    def start(self) -> None:
        """Start every watcher and return once all are watching."""
        for thread in self._threads:
            thread.start()
        self._watching.wait()

    def stop(self) -> None:
        """Stop the watchers and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _watch(self, core: int) -> None:
        os.sched_setaffinity(0, {core})
        self.real_time[core] = in_real_time = real_time()
        schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)  # this thread's
        before, waited = time.time(), _run_delay(schedstat)
        self._watching.wait()
        while not self._stop.is_set():
            time.sleep(WATCH_STEP_S)
            now, waited_now = time.time(), _run_delay(schedstat)
            if now - before - WATCH_STEP_S > STALL_MIN_S:
                start, queued = before + WATCH_STEP_S, waited_now - waited
                with self._lock:
                    line = f"{core} {start:.4f} {now:.4f} {queued:.4f} {in_real_time:d}\n"
                    self._out.write(line)
            before, waited = now, waited_now
        os.close(schedstat)


def main() -> int:
    """Watch until stdin closes."""
    if len(sys.argv) != 3 or sys.argv[1] != "--out":
        print("usage: python -m bench.stalls --out FILE", file=sys.stderr)
        return 2
    with Path(sys.argv[2]).open("a", buffering=1) as out:
        watchers = Watchers(out, os.sched_getaffinity(0))
        watchers.start()
        where = "real-time" if all(watchers.real_time.values()) else "ordinary (not root)"
        print(f"bench.stalls: watching {len(watchers.real_time)} cores, {where}", file=sys.stderr)
        print("ready", flush=True)
        sys.stdin.read()
        watchers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
