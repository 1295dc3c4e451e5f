"""Feed one room's runtime its inputs in order on a RoomPool, and wake it when its timeline says."""

from __future__ import annotations

import logging
import threading
import zlib
from collections import deque
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from roomctl.api.excerpt import excerpt
from roomctl.mqtt.held_writes import held_writes
from roomctl.runtime.inputs import (
    CommandArrived,
    Heartbeat,
    JournalWritten,
    RoomInput,
    SceneDue,
    Shutdown,
    Wake,
)
from roomctl.runtime.pool import Key, RoomPool
from roomctl.runtime.room import RoomRuntime

_LOGGER = logging.getLogger(__name__)

# The contract asks for state at least every 30 s while a session runs; every 15 s keeps a
# watcher's view fresh and stays well inside that even if one publication is lost.
HEARTBEAT_S = 15.0
# Heartbeat phases are spread over this many slots of the interval, by room id.
HEARTBEAT_SLOTS = 1000
# The worker's two lanes: an emergency is taken before anything queued in the other.
URGENT, IN_TURN = 0, 1


def heartbeat_offset(room_id: str) -> float:
    """Return when in the heartbeat interval a room beats, fixed by its id.

    Rooms of one daemon start together; with one phase for all they would all publish
    their state and write the journal at the same instant every interval.
    """
    return zlib.crc32(room_id.encode()) % HEARTBEAT_SLOTS / HEARTBEAT_SLOTS * HEARTBEAT_S


class RoomWorker:
    """The one owner of a room's inputs: every input crosses into the room through `put`.

    Inputs are handled one at a time in the order they came, on the pool's threads, except
    an emergency, which goes ahead of everything queued (the room refuses the commands it
    overtook: see RoomRuntime). The room is woken at the time `next_wake` names (one timer,
    re-planned after every input), beats every HEARTBEAT_S and applies its calendar.
    """

    def __init__(self, runtime: RoomRuntime, pool: RoomPool) -> None:
        self.runtime = runtime
        self.key: Key | None = None  # the room's entry in the pool's ready heap
        self.running = False
        self._pool = pool
        self._lanes: tuple[deque[tuple[float, RoomInput]], ...] = (deque(), deque())
        self._wake_at: float | None = None
        self._wake_plan = 0  # which wake timer is current: older ones do nothing
        self._stopping = False
        self._finished = threading.Event()
        runtime.on_journal_written(lambda: self.put(JournalWritten()))

    def put(self, item: RoomInput) -> None:
        """Hand an input to the room (safe from any thread)."""
        lane = URGENT if isinstance(item, CommandArrived) and item.urgent else IN_TURN
        with self._pool.lock:
            self._queue(item, lane, self._pool.clock())

    def start(self) -> None:
        """Start the room's heartbeat and calendar (and the pool, if it is not running)."""
        self._pool.start()
        now = self._pool.clock()
        with self._pool.lock:
            self._pool.call_at(now + heartbeat_offset(self.runtime.room.id), self._beat)
            for entry in self.runtime.room.schedule:
                self._plan_scene(CronTrigger.from_crontab(entry.cron), entry.scene, now)

    def request_stop(self) -> None:
        """Stop the room's timers and have it stop once what it recorded is written."""
        with self._pool.lock:
            self._stopping = True
            self._queue(Shutdown(), IN_TURN, self._pool.clock())

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` for the room to stop; return whether it has."""
        return self._finished.wait(timeout)

    # -- the pool's side (see roomctl.runtime.pool.Member) ----------------------------

    def head_key(self, order: int) -> Key | None:
        """Return the key of the next input: an emergency's first, else the oldest's due time."""
        for lane, queued in enumerate(self._lanes):
            if queued:
                return (lane, queued[0][0], order)
        return None

    def take(self) -> RoomInput:
        """Return and remove the next input (the pool's lock is held)."""
        urgent, in_turn = self._lanes
        return (urgent or in_turn).popleft()[1]

    def run(self, item: object) -> None:
        """Handle one input, then re-plan the wake-up (on a pool thread, without the lock)."""
        assert isinstance(item, RoomInput)
        try:
            now = self._pool.clock()
            with held_writes():  # what the turn published leaves at its end, from here
                self.runtime.handle(item, now)
            if isinstance(item, Shutdown):
                self._finish()
                return
            wake = self.runtime.next_wake(self._pool.clock())
        except Exception:
            # An input may carry a 64 KiB payload: log a bounded excerpt, never all of it.
            _LOGGER.exception("room %s failed on %s", self.runtime.room.id, excerpt(repr(item)))
            if isinstance(item, Shutdown):
                self._finish()
            return
        with self._pool.lock:
            self._plan_wake(wake)

    def after(self) -> None:
        """Nothing to note: the pool queues the room again if it has more inputs."""

    # -- inside the room ------------------------------------------------------------------

    def _queue(self, item: RoomInput, lane: int, due: float) -> None:
        """Queue an input due at `due` and ready the room (the pool's lock is held)."""
        if self._finished.is_set():
            return  # stopped: nothing is handled after the Shutdown
        self._lanes[lane].append((due, item))
        self._pool.ready(self)

    def _finish(self) -> None:
        with self._pool.lock:
            self._lanes[URGENT].clear()
            self._lanes[IN_TURN].clear()
            self._finished.set()

    def _plan_wake(self, wake: float | None) -> None:
        """Have the room woken at `wake` (one timer at a time; the pool's lock is held)."""
        if wake == self._wake_at or self._stopping:
            return
        self._wake_at = wake
        self._wake_plan += 1
        if wake is None:
            return
        plan = self._wake_plan

        def fire(when: float) -> None:
            if plan == self._wake_plan and not self._stopping:
                self._wake_at = None
                self._queue(Wake(), IN_TURN, when)

        self._pool.call_at(wake, fire)

    def _beat(self, when: float) -> None:
        if self._stopping:
            return
        self._queue(Heartbeat(), IN_TURN, when)
        now = self._pool.clock()
        following = when + HEARTBEAT_S
        if following <= now:  # the machine slept: keep the phase, skip the missed beats
            following += (now - following) // HEARTBEAT_S * HEARTBEAT_S + HEARTBEAT_S
        self._pool.call_at(following, self._beat)

    def _plan_scene(self, trigger: CronTrigger, scene: str, after: float) -> None:
        """Have the room apply `scene` at the calendar entry's first time after `after` (locked).

        Missed times (the machine slept) are not made up: the calendar goes on from now.
        """
        moment = trigger.get_next_fire_time(
            None, datetime.fromtimestamp(after, tz=trigger.timezone)
        )
        if moment is None:
            return

        def fire(when: float) -> None:
            if not self._stopping:
                self._queue(SceneDue(scene), IN_TURN, when)
                # A crontab's finest step is a minute: a second on is past this time.
                self._plan_scene(trigger, scene, max(when, self._pool.clock()) + 1.0)

        self._pool.call_at(moment.timestamp(), fire)
