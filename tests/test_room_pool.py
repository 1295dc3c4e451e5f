"""The room pool's order, with an explicit clock: emergencies first, then the room due first."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from roomctl.api.messages import Inbound
from roomctl.runtime.inputs import Heartbeat, RoomInput
from roomctl.runtime.intake import CommandIntake
from roomctl.runtime.pool import RoomPool
from roomctl.runtime.worker import RoomWorker
from tests.fixtures.room import wait_for

T0 = 1_000_000.0
ROOMS = 50


class Clock:
    """A wall clock that moves only when the test says."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class FakeRoom:
    """RoomRuntime's interface as the worker uses it, recording what it is handed."""

    def __init__(self, room_id: str, log: list[tuple[str, str, float]], clock: Clock) -> None:
        self.room = SimpleNamespace(id=room_id, schedule=())
        self.wake: float | None = None
        self._log = log
        self._clock = clock
        self._busy = threading.Lock()

    def handle(self, item: RoomInput, now: float) -> None:
        assert self._busy.acquire(blocking=False), "two inputs of one room at once"
        try:
            self._log.append((self.room.id, type(item).__name__, now))
            time.sleep(0.001)  # the other thread gets its chance to overlap
        finally:
            self._busy.release()

    def next_wake(self, _now: float) -> float | None:
        wake, self.wake = self.wake, None  # woken once
        return wake

    def on_journal_written(self, _callback: Any) -> None:
        pass


def _workers(pool: RoomPool, clock: Clock, log: list[tuple[str, str, float]]) -> list[Any]:
    rooms = [FakeRoom(f"room-{index:02d}", log, clock) for index in range(ROOMS)]
    return [RoomWorker(room, pool) for room in rooms]  # type: ignore[arg-type]


def test_an_emergency_goes_first_then_the_input_due_first() -> None:
    clock, log = Clock(), []
    pool = RoomPool(size=1, clock=clock)
    a, b, c, d = _workers(pool, clock, log)[:4]
    for worker, due in ((a, T0 + 3.0), (b, T0 + 1.0), (c, T0 + 2.0)):
        clock.now = due
        worker.put(Heartbeat())
    emergency = CommandIntake().take(Inbound("roomctl/room-03/cmd", b'{"action":"emergency"}'))
    assert emergency is not None and emergency.urgent
    clock.now = T0 + 4.0
    d.put(emergency)  # the latest of all, and still the first
    pool.start()
    try:
        wait_for(lambda: len(log) == 4, what="four inputs handled")
        assert [room for room, _, _ in log] == ["room-03", "room-01", "room-02", "room-00"]
    finally:
        pool.close()


def test_wake_ups_come_in_the_order_they_are_due_one_input_at_a_time() -> None:
    clock, log = Clock(), []
    pool = RoomPool(size=2, clock=clock)
    workers = _workers(pool, clock, log)
    pool.start()
    try:
        # Room 49 is due first, room 0 last: the reverse of the order they were planned in.
        for index, worker in enumerate(workers):
            worker.runtime.wake = T0 + 10.0 + (ROOMS - index) * 0.01
            worker.put(Heartbeat())
        wait_for(lambda: len(log) == ROOMS, what="every heartbeat")
        assert not [entry for entry in log if entry[1] == "Wake"]  # nothing due yet
        with pool.lock:
            clock.now = T0 + 20.0  # every wake-up is due now
            pool.lock.notify_all()
        wait_for(lambda: len(log) == 2 * ROOMS, timeout=10.0, what="every wake-up")
        woken = [room for room, kind, _ in log if kind == "Wake"]
        # Two threads take two rooms at once, and a loaded machine may hold one back a
        # little: each room is within three places of its turn (FIFO would be 49 off).
        expected = [f"room-{index:02d}" for index in reversed(range(ROOMS))]
        assert sorted(woken) == sorted(expected)
        assert all(abs(woken.index(room) - place) <= 3 for place, room in enumerate(expected))
        # Each room's own inputs came in the order they were given (heartbeat, then wake).
        for worker in workers:
            kinds = [kind for room, kind, _ in log if room == worker.runtime.room.id]
            assert kinds == ["Heartbeat", "Wake"]
    finally:
        pool.close()
