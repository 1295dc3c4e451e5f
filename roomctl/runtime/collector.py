"""Keep the cyclic collector's full passes short: set aside what survives each one.

A full pass of CPython's cyclic collector holds every thread while it walks every object
it tracks. With 500 rooms in a session that is some 300,000 (each room's timeline: its
fades, levels and cues), and a full pass took 0.1-0.2 s every second or two under load,
so every room's cues came that much late at once. Objects alive after a full pass are
almost all long-lived (timelines, rooms, connections): each pass's survivors are frozen
(`gc.freeze()`), so the next pass walks only what was made since. Frozen objects are still
freed when nothing refers to them; only a cycle among them that becomes garbage later
would stay, so once an hour the set-aside objects are given back to one full pass.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# How often what was set aside is walked again, so that cycles among long-lived objects
# that became garbage since (an old connection's client after a reconnect) are freed:
# one long pass an hour instead of one every second or two.
RELEASE_EVERY_S = 3600.0


class SurvivorFreezer:
    """After each full pass, freeze its survivors; once an hour, unfreeze them instead."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._released_at = clock()

    def install(self) -> None:
        """Start watching the collector (once per process)."""
        if self.on_collect not in gc.callbacks:
            gc.callbacks.append(self.on_collect)

    def remove(self) -> None:
        """Stop watching the collector."""
        if self.on_collect in gc.callbacks:
            gc.callbacks.remove(self.on_collect)

    def on_collect(self, phase: str, info: dict[str, int]) -> None:
        """Freeze a full pass's survivors, or, once an hour, give them back to the next one."""
        if phase != "stop" or info.get("generation") != 2:
            return
        now = self._clock()
        if now - self._released_at >= RELEASE_EVERY_S:
            self._released_at = now
            gc.unfreeze()
        else:
            gc.freeze()
