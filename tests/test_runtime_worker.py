"""The room worker on a room pool, without a broker: heartbeat phases, queue order, wake-ups."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from apscheduler.triggers.cron import CronTrigger

from roomctl.api.messages import Inbound
from roomctl.models import RoomPreset
from roomctl.runtime.inputs import Heartbeat, RoomInput, SceneDue, Shutdown, Wake
from roomctl.runtime.intake import CommandIntake
from roomctl.runtime.pool import RoomPool
from roomctl.runtime.room import RoomRuntime
from roomctl.runtime.worker import HEARTBEAT_S, RoomWorker, heartbeat_offset
from tests.fixtures.room import wait_for

# Rooms of one daemon, and the parts of the heartbeat interval their beats are counted in.
ROOMS = 200
PARTS = 10
# The explicit clock's start: any fixed wall time does.
T0 = 1_800_000_000.0
# Commands queued ahead of an emergency.
QUEUED = 20
# A worker's thread ends within milliseconds of its Shutdown; 5 s covers a loaded machine.
JOIN_TIMEOUT_S = 5.0
ROOM = RoomPreset.model_validate(
    {
        "id": "room-w",
        "devices": {"ceiling": {"type": "zigbee2mqtt", "topic": "z/ceiling"}},
        "scenes": {"night": {"lights": {"all": {"brightness": "10%"}}}},
        "schedule": [{"cron": "0 22 * * *", "scene": "night"}],
    }
)


class RecordingRuntime:
    """Stands in for the room's runtime: records what the worker hands it, and when."""

    def __init__(self, wakes: list[float | None] | None = None) -> None:
        self.room = ROOM
        self.handled: list[tuple[RoomInput, float]] = []
        self.wakes = list(wakes or [])
        self.fail_on: type | None = None
        self.entered = threading.Event()  # set once the worker has handed it an input
        self.gate = threading.Event()  # handle() waits for it: the room is busy till then
        self.gate.set()
        self.look: Callable[[], object] = lambda: None  # what to note before each input
        self.looked: list[object] = []

    def on_journal_written(self, _callback: object) -> None:
        """Take the journal callback (no journal here)."""

    def handle(self, item: RoomInput, now: float) -> None:
        """Record an input, after the gate opens; fail on the chosen input type."""
        self.looked.append(self.look())
        self.entered.set()
        self.gate.wait()
        self.handled.append((item, now))
        if self.fail_on is not None and isinstance(item, self.fail_on):
            raise RuntimeError("the room failed on this input")

    def next_wake(self, now: float) -> float | None:
        """Return the first planned wake after `now`, or None once the plan has run out."""
        return next((wake for wake in self.wakes if wake is not None and wake > now), None)


class Clock:
    """An explicit wall clock far from the real time, moved only by `advance`."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


_INTAKE = CommandIntake()


def command(body: bytes) -> RoomInput:
    """Return a command as the room's intake hands it to the worker."""
    arrived = _INTAKE.take(Inbound("roomctl/room-w/cmd", body))
    assert arrived is not None
    return arrived


def request_ids(runtime: RecordingRuntime) -> list[str | None]:
    """Return the request ids of the commands handled, in the order handled."""
    ids: list[str | None] = []
    for item, _now in runtime.handled:
        parsed = getattr(item, "parsed", None)
        if parsed is not None:
            ids.append(getattr(parsed, "request_id", None))
    return ids


def started(runtime: RecordingRuntime, clock: Clock) -> tuple[RoomWorker, RoomPool]:
    """Return a worker for the runtime on a one-thread pool with an explicit clock, started."""
    pool = RoomPool(size=1, clock=clock)
    worker = RoomWorker(cast(RoomRuntime, runtime), pool)
    worker.start()
    return worker, pool


def advance(pool: RoomPool, clock: Clock, to: float) -> None:
    """Move the clock to `to` and let the pool fire what is due by then."""
    with pool.lock:
        clock.now = to
        pool.lock.notify_all()


def stop(worker: RoomWorker, pool: RoomPool) -> None:
    """Stop the worker, check it finished, and close the pool."""
    worker.request_stop()
    assert worker.join(JOIN_TIMEOUT_S), "the room did not stop"
    pool.close()


def kinds(runtime: RecordingRuntime) -> list[type]:
    """Return the types of the inputs handled, in order."""
    return [type(item) for item, _ in list(runtime.handled)]


# -- heartbeat phases ------------------------------------------------------------------------


def test_rooms_of_one_daemon_beat_spread_over_the_interval() -> None:
    offsets = [heartbeat_offset(f"room-{index}") for index in range(ROOMS)]
    assert all(0.0 <= offset < HEARTBEAT_S for offset in offsets)
    per_part = Counter(int(offset / HEARTBEAT_S * PARTS) for offset in offsets)
    # 20 rooms a part on average; all at one instant would put 200 in one part.
    assert len(per_part) == PARTS
    assert max(per_part.values()) <= 2 * ROOMS // PARTS


def test_distinct_rooms_get_distinct_phases() -> None:
    offsets = [heartbeat_offset(f"room-{index}") for index in range(ROOMS)]
    # Phases fall on 1000 slots: 200 rooms share a few by chance (about 20 pairs), never
    # most of them; one phase for all, or a handful, would leave a few distinct values.
    assert len(set(offsets)) >= 0.8 * ROOMS
    # Ids that differ in one character, as a site's rooms do, are told apart.
    assert heartbeat_offset("room-1") != heartbeat_offset("room-2")
    assert heartbeat_offset("ward-a") != heartbeat_offset("ward-b")


def test_a_room_beats_at_the_same_phase_in_every_process() -> None:
    # Python randomises str hashes per process: a phase derived from hash() would move
    # at every restart, and this comparison with a fresh interpreter would catch it.
    ids = ["room-7", "clinic-3-therapy", "test-room"]
    script = (
        "import sys; from roomctl.runtime.worker import heartbeat_offset; "
        "print(*(repr(heartbeat_offset(i)) for i in sys.argv[1:]))"
    )
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", script, *ids],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        )
        assert [float(v) for v in result.stdout.split()] == [heartbeat_offset(i) for i in ids]


def test_the_heartbeat_starts_at_the_rooms_phase_and_repeats_every_interval() -> None:
    clock, runtime = Clock(), RecordingRuntime()
    worker, pool = started(runtime, clock)
    first = T0 + heartbeat_offset("room-w")
    try:
        advance(pool, clock, first)
        wait_for(lambda: kinds(runtime) == [Heartbeat], what="the first beat")
        advance(pool, clock, first + HEARTBEAT_S)
        wait_for(lambda: kinds(runtime) == [Heartbeat, Heartbeat], what="the second beat")
        # The machine slept through three beats: one beat now, then the phase is kept.
        advance(pool, clock, first + 4.5 * HEARTBEAT_S)
        wait_for(lambda: len(runtime.handled) == 3, what="the beat after the sleep")
        advance(pool, clock, first + 5 * HEARTBEAT_S)
        wait_for(lambda: len(runtime.handled) == 4, what="the beat back at its phase")
    finally:
        stop(worker, pool)
    times = [now for item, now in runtime.handled if isinstance(item, Heartbeat)]
    assert times == [first, first + HEARTBEAT_S, first + 4.5 * HEARTBEAT_S, first + 5 * HEARTBEAT_S]


def test_the_calendar_applies_its_scene_at_the_cron_time() -> None:
    clock, runtime = Clock(), RecordingRuntime()
    trigger = CronTrigger.from_crontab("0 22 * * *")
    due = trigger.get_next_fire_time(None, datetime.fromtimestamp(T0, tz=trigger.timezone))
    assert due is not None
    worker, pool = started(runtime, clock)
    try:
        advance(pool, clock, due.timestamp() - 1.0)
        advance(pool, clock, due.timestamp())
        wait_for(lambda: SceneDue in kinds(runtime), what="the calendar's scene")
    finally:
        stop(worker, pool)
    [(scene, at)] = [(i, now) for i, now in runtime.handled if isinstance(i, SceneDue)]
    assert scene == SceneDue("night")
    assert at == due.timestamp()
    assert datetime.fromtimestamp(at, tz=UTC).astimezone(trigger.timezone).hour == 22


# -- the queue -------------------------------------------------------------------------------


def test_an_emergency_put_behind_queued_commands_is_handled_first() -> None:
    clock, runtime = Clock(), RecordingRuntime()
    runtime.gate.clear()  # the room is busy: everything put now waits in the queue
    worker, pool = started(runtime, clock)
    worker.put(command(b'{"action":"pause","request_id":"busy"}'))
    wait_for(runtime.entered.is_set, what="the room to take the first command")
    for index in range(QUEUED):
        worker.put(command(f'{{"action":"pause","request_id":"q{index}"}}'.encode()))
    worker.put(command(b'{"action":"emergency","request_id":"sos"}'))
    worker.put(command(b'{"action":"resume","request_id":"after"}'))
    runtime.gate.set()
    stop(worker, pool)
    # The one in hand finishes; then the emergency; then the rest in the order they came.
    expected = ["busy", "sos", *(f"q{index}" for index in range(QUEUED)), "after"]
    assert request_ids(runtime) == expected
    assert isinstance(runtime.handled[-1][0], Shutdown)


def test_each_input_is_handled_at_the_clocks_time_and_a_failure_does_not_stop_the_room() -> None:
    clock, runtime = Clock(), RecordingRuntime()
    runtime.fail_on = Heartbeat
    worker, pool = started(runtime, clock)
    worker.put(Heartbeat())
    wait_for(lambda: len(runtime.handled) == 1, what="the heartbeat")
    advance(pool, clock, T0 + 7.0)
    worker.put(Wake())
    stop(worker, pool)
    # The input after the one the room failed on is still handled.
    assert kinds(runtime) == [Heartbeat, Wake, Shutdown]
    # The room's `now` is the pool's clock (far from the real time) when it is handled.
    assert [now for _, now in runtime.handled] == [T0, T0 + 7.0, T0 + 7.0]


def test_the_wake_is_planned_at_the_rooms_next_wake_and_dropped_when_none() -> None:
    clock = Clock()
    runtime = RecordingRuntime(wakes=[T0 + 60.0, T0 + 90.0])
    worker, pool = started(runtime, clock)

    def woken() -> list[float]:
        return [now for item, now in list(runtime.handled) if isinstance(item, Wake)]

    try:
        worker.put(Heartbeat())  # after it, the room asks to be woken at T0 + 60
        wait_for(lambda: runtime.handled, what="the heartbeat")
        advance(pool, clock, T0 + 59.0)
        advance(pool, clock, T0 + 60.0)
        wait_for(lambda: len(woken()) == 1, what="the first wake")
        advance(pool, clock, T0 + 90.0)
        wait_for(lambda: len(woken()) == 2, what="the second wake")
        # No wake is planned after next_wake said None: a day passes and none comes (the
        # room's own heartbeat, due within it, is handled after any wake that were due).
        advance(pool, clock, T0 + 86_400.0)
        worker.put(Heartbeat())
        wait_for(lambda: runtime.handled[-1][1] == T0 + 86_400.0, what="the heartbeat after")
    finally:
        stop(worker, pool)
    assert woken() == [T0 + 60.0, T0 + 90.0]
