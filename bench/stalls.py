#!/usr/bin/env python3
"""Watch the machine itself: an idle process that notes when it was not run for a while.

Run as `python -m bench.stalls --out FILE`: it sleeps WATCH_STEP_S at a time, and a
wake-up later than STALL_MIN_S writes a line `start end` (wall-clock seconds) to FILE. It
does nothing else, so it is late only when the machine did not run it: every process
was held at once (this machine is a small virtual one whose two cores its host can take
away for tens of milliseconds). A roomctl event late in the same span was held by the
machine, not by the daemon; the cue runs show both (see bench.cues). It prints `ready`
once watching and runs until stdin closes.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Stall:
    """A span of wall time in which the machine ran nothing of the watcher's."""

    start: float
    end: float

    @property
    def ms(self) -> float:
        """Return the stall's length in milliseconds."""
        return (self.end - self.start) * 1000.0

    def overlaps(self, start: float, end: float) -> bool:
        """Tell whether the stall falls (partly) within start..end."""
        return self.start < end and start < self.end


def read_stalls(path: Path) -> list[Stall]:
    """Return the stalls the watcher has written to path so far."""
    if not path.exists():
        return []
    stalls = []
    for line in path.read_text().splitlines():
        start, end = line.split()
        stalls.append(Stall(float(start), float(end)))
    return stalls


def watch(out: Path, stop: threading.Event) -> None:
    """Sleep in steps until stop is set, writing each stall to out as it ends."""
    with out.open("a", buffering=1) as lines:
        before = time.time()
        while not stop.is_set():
            time.sleep(WATCH_STEP_S)
            now = time.time()
            if now - before - WATCH_STEP_S > STALL_MIN_S:
                lines.write(f"{before + WATCH_STEP_S:.4f} {now:.4f}\n")
            before = now


def main() -> int:
    """Watch until stdin closes."""
    if len(sys.argv) != 3 or sys.argv[1] != "--out":
        print("usage: python -m bench.stalls --out FILE", file=sys.stderr)
        return 2
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(Path(sys.argv[2]), stop), daemon=True)
    watcher.start()
    print("ready", flush=True)
    sys.stdin.read()
    stop.set()
    watcher.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
