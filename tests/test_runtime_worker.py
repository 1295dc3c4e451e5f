"""The room worker without a broker: its heartbeat phases, its queue order and its wake-ups."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import cast

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from roomctl.api.messages import Inbound
from roomctl.models import RoomPreset
from roomctl.runtime.inputs import Heartbeat, RoomInput, SceneDue, Shutdown, Wake
from roomctl.runtime.intake import CommandIntake
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

    def next_wake(self, _now: float) -> float | None:
        """Return the next planned wake, then None once the plan runs out."""
        return self.wakes.pop(0) if self.wakes else None


class Clock:
    """An explicit clock, far from the real time: each reading is one second after the last."""

    def __init__(self) -> None:
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        return T0 + self.readings


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


@pytest.fixture
def scheduler() -> Iterator[BackgroundScheduler]:
    """Return a scheduler that holds jobs as a running one does but never fires them."""
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def started(
    runtime: RecordingRuntime, scheduler: BackgroundScheduler, clock: Clock | None = None
) -> RoomWorker:
    """Return a worker for the runtime, on an explicit clock, with its thread started."""
    worker = RoomWorker(cast(RoomRuntime, runtime), scheduler, clock=clock or Clock())
    worker.start()
    return worker


def stop(worker: RoomWorker) -> None:
    """Stop the worker and check its thread ended."""
    worker.request_stop()
    assert worker.join(JOIN_TIMEOUT_S), "the worker's thread did not stop"


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


def test_the_heartbeat_starts_at_the_rooms_phase_and_repeats_every_interval(
    scheduler: BackgroundScheduler,
) -> None:
    before = datetime.now(UTC).timestamp()
    worker = started(RecordingRuntime(), scheduler)
    after = datetime.now(UTC).timestamp()
    try:
        job = scheduler.get_job("room-room-w-heartbeat")
        assert job is not None
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval.total_seconds() == HEARTBEAT_S
        first = job.trigger.start_date.timestamp()
        offset = heartbeat_offset("room-w")
        assert before + offset <= first <= after + offset
        assert job.args == (Heartbeat(),)
        [calendar] = [j for j in scheduler.get_jobs() if "schedule" in j.id]
        assert calendar.args == (SceneDue("night"),)
    finally:
        stop(worker)
    assert scheduler.get_jobs() == [], "request_stop leaves none of the room's jobs behind"


# -- the queue -------------------------------------------------------------------------------


def test_an_emergency_put_behind_queued_commands_is_handled_first(
    scheduler: BackgroundScheduler,
) -> None:
    runtime = RecordingRuntime()
    runtime.gate.clear()  # the room is busy: everything put now waits in the queue
    worker = started(runtime, scheduler)
    worker.put(command(b'{"action":"pause","request_id":"busy"}'))
    wait_for(runtime.entered.is_set, what="the worker to take the first command")
    for index in range(QUEUED):
        worker.put(command(f'{{"action":"pause","request_id":"q{index}"}}'.encode()))
    worker.put(command(b'{"action":"emergency","request_id":"sos"}'))
    worker.put(command(b'{"action":"resume","request_id":"after"}'))
    runtime.gate.set()
    stop(worker)
    # The one in hand finishes; then the emergency; then the rest in the order they came.
    expected = ["busy", "sos", *(f"q{index}" for index in range(QUEUED)), "after"]
    assert request_ids(runtime) == expected
    assert isinstance(runtime.handled[-1][0], Shutdown)


def test_each_input_is_handled_at_the_clocks_time_and_a_failure_does_not_stop_the_room(
    scheduler: BackgroundScheduler,
) -> None:
    runtime = RecordingRuntime()
    runtime.fail_on = Heartbeat
    clock = Clock()
    worker = started(runtime, scheduler, clock)
    worker.put(Heartbeat())
    worker.put(Wake())
    stop(worker)
    # The input after the one the room failed on is still handled.
    assert [type(item) for item, _ in runtime.handled] == [Heartbeat, Wake, Shutdown]
    # The room's `now` is the worker's clock (far from the real time), read afresh each time.
    times = [now for _, now in runtime.handled]
    assert times == sorted(set(times))
    assert all(T0 < now <= T0 + clock.readings for now in times)


def test_the_wake_is_planned_at_the_rooms_next_wake_and_dropped_when_none(
    scheduler: BackgroundScheduler,
) -> None:
    runtime = RecordingRuntime(wakes=[T0 + 60.0, T0 + 90.0, None])

    def planned_wake() -> float | None:
        job = scheduler.get_job("room-room-w-wake")
        return None if job is None else float(job.trigger.run_date.timestamp())

    runtime.look = planned_wake  # each input sees the wake planned after the one before
    worker = started(runtime, scheduler)
    for item in (Wake(), Wake(), Wake(), Heartbeat()):
        worker.put(item)
    stop(worker)
    assert runtime.looked[:5] == [None, T0 + 60.0, T0 + 90.0, None, None]
