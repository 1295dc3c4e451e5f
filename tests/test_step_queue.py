"""The step queue: a shared plan read in place at its own wall times, never changed."""

from __future__ import annotations

from roomctl.core.levels import LightLevel
from roomctl.devices.fade_plan import LightStep
from roomctl.devices.step_queue import StepQueue

START = 1_800_000_000.0
PLAN = tuple(LightStep(float(i), LightLevel(True, 0.1 * (i + 1)), 1.0) for i in range(5))


def test_steps_come_at_their_wall_times_and_the_shared_plan_is_untouched() -> None:
    queue = StepQueue(PLAN, START)
    assert len(queue) == 5 and queue.next_at() == START
    assert queue.pop_due(START - 0.001) is None
    assert queue.pop_due(START) == LightStep(START, PLAN[0].level, 1.0)
    assert queue.next_at() == START + 1.0
    assert queue.remaining() == [LightStep(START + i, PLAN[i].level, 1.0) for i in range(1, 5)]
    assert PLAN[1].at == 1.0  # read, not shifted in place: other rooms share it


def test_a_late_turn_sends_only_the_last_step_due() -> None:
    queue = StepQueue(PLAN, START)
    assert queue.pop_due(START + 2.5) == LightStep(START + 2.0, PLAN[2].level, 1.0)
    assert len(queue) == 2 and queue.next_at() == START + 3.0
    assert queue.pop_due(START + 10.0) == LightStep(START + 4.0, PLAN[4].level, 1.0)
    assert not queue and queue.pop_due(START + 20.0) is None


def test_a_first_step_given_replaces_the_plans_first() -> None:
    now = START + 0.3
    first = LightStep(now, PLAN[0].level, 0.7)
    queue = StepQueue(PLAN, START, first)
    assert queue.next_at() == now
    assert queue.remaining()[0] is first and queue.remaining()[1].at == START + 1.0
    assert queue.pop_due(now) is first


def test_cleared_it_sends_nothing_more() -> None:
    queue = StepQueue(PLAN, START, LightStep(START, PLAN[0].level))
    queue.clear()
    assert not queue and len(queue) == 0 and queue.remaining() == []
    assert queue.pop_due(START + 100.0) is None
