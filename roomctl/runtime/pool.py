"""Run a daemon's rooms on a few threads: one input per turn, the room due first goes first."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

_LOGGER = logging.getLogger(__name__)

# Threads that run rooms. The interpreter runs one thread at a time, so more threads buy
# no speed on two cores, only more hand-overs of the interpreter lock. Two keep the rooms
# moving while one room waits outside the interpreter (a profile read from a slow disk, a
# call into the sound server); a room waiting for the disk at a stop gets a thread of its
# own (see help_stop), so a stalled disk never holds the others.
POOL_SIZE = 2

# A room's key in the ready heap: (lane, due, order). Lane 0 is an emergency's.
Key = tuple[int, float, int]


class Member(Protocol):
    """A room as the pool runs it (see RoomWorker)."""

    key: Key | None
    running: bool

    def head_key(self, order: int) -> Key | None:
        """Return the key of the room's next input (order breaks ties), or None if it has none."""

    def take(self) -> object:
        """Return and remove the room's next input (the pool's lock is held)."""

    def run(self, item: object) -> None:
        """Handle one input (the pool's lock is not held)."""

    def after(self) -> None:
        """Note that the input just run is done (the pool's lock is held)."""


class RoomPool:
    """A fixed few threads running many rooms, each room's inputs one at a time and in order.

    A room with inputs waits in one heap keyed by (emergency first, then the earliest due
    time); a thread takes the first room, runs one input, and puts the room back if it has
    more. Timers (the rooms' wake-ups, heartbeats and calendar) wait in one heap too: a
    timer due at t makes its room due at t, so a room due now never waits behind rooms
    that are not, however many there are.
    """

    def __init__(self, size: int = POOL_SIZE, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.Condition()
        self.clock = clock
        self._size = size
        self._ready: list[tuple[int, float, int, Member]] = []
        self._timers: list[tuple[float, int, Callable[[float], None]]] = []
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._closing = False

    def start(self) -> None:
        """Start the threads (again is harmless)."""
        with self.lock:
            if self._threads:
                return
            self._threads = [
                threading.Thread(target=self._serve, name=f"roomctl-rooms-{n}", daemon=True)
                for n in range(self._size)
            ]
        for thread in self._threads:
            thread.start()

    def ready(self, member: Member) -> None:
        """Queue member by its next input's key, unless it is running or queued as well (locked)."""
        if member.running:
            return
        key = member.head_key(next(self._order))
        if key is None or (member.key is not None and member.key[:2] <= key[:2]):
            return
        member.key = key
        heapq.heappush(self._ready, (*key, member))
        self.lock.notify()

    def call_at(self, when: float, fire: Callable[[float], None]) -> None:
        """Call fire(when) with the lock held, on a pool thread, at wall time `when` (locked)."""
        heapq.heappush(self._timers, (when, next(self._order), fire))
        self.lock.notify()

    def help_stop(self, count: int) -> None:
        """Add up to `count` threads that take ready rooms until none is left, then end.

        A stopping room waits for its records to be on disk (3 s at most): with a thread
        each, a stalled disk costs the stop that wait once, not once per room.
        """
        for n in range(count):
            threading.Thread(
                target=self._serve, args=(True,), name=f"roomctl-stop-{n}", daemon=True
            ).start()

    def close(self) -> None:
        """Have the threads end once they finish the input in hand (without waiting for them).

        The daemon has waited for its rooms already; one still held by a stalled disk must
        not hold up the exit, which is the service's whole stop time.
        """
        with self.lock:
            self._closing = True
            self.lock.notify_all()

    def _serve(self, until_idle: bool = False) -> None:
        while True:
            with self.lock:
                member = self._next(until_idle)
                if member is None:
                    return
                item = member.take()
            try:
                member.run(item)
            finally:
                with self.lock:
                    member.running = False
                    member.after()
                    self.ready(member)

    def _next(self, until_idle: bool) -> Member | None:
        """Return the first ready room, marked running, firing due timers; wait for one (locked)."""
        while not self._closing:
            now = self.clock()
            while self._timers and self._timers[0][0] <= now:
                when, _order, fire = heapq.heappop(self._timers)
                fire(when)
            while self._ready:
                *key, member = heapq.heappop(self._ready)
                if member.running or member.key != tuple(key):
                    continue  # a stale entry: the room was queued again with a better key
                member.key = None
                member.running = True
                return member
            if until_idle:
                return None
            timeout = self._timers[0][0] - now if self._timers else None
            self.lock.wait(timeout)
        return None
