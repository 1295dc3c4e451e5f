"""Session clock: session time from wall time through offset, speed and pauses."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomctl.core.timeline import SessionClock
from roomctl.core.timeline.clock import SAME_INSTANT

WALL0 = 1_700_000_000.0


def test_runs_from_the_offset_at_the_speed() -> None:
    clock = SessionClock.start(WALL0, offset=720.0, speed=60.0)
    assert clock.session_time(WALL0) == 720.0
    assert clock.session_time(WALL0 + 2.5) == pytest.approx(720.0 + 150.0)
    assert clock.session_time(WALL0 - 10.0) == 720.0
    assert clock.wall_at(720.0 + 150.0) == pytest.approx(WALL0 + 2.5)
    assert clock.wall_at(719.0) is None


def test_pause_freezes_and_resume_shifts_by_the_pause() -> None:
    clock = SessionClock.start(WALL0)
    paused = clock.pause(WALL0 + 100.0)
    assert paused.paused
    assert not clock.paused
    assert paused.session_time(WALL0 + 100.0) == 100.0
    assert paused.session_time(WALL0 + 130.0) == 100.0
    assert paused.paused_total(WALL0 + 130.0) == 30.0
    assert paused.wall_at(200.0) is None
    resumed = paused.resume(WALL0 + 145.0)
    assert not resumed.paused
    assert resumed.session_time(WALL0 + 145.0) == 100.0
    assert resumed.session_time(WALL0 + 245.0) == 200.0
    assert resumed.paused_total(WALL0 + 1000.0) == 45.0
    assert resumed.wall_at(200.0) == WALL0 + 245.0
    # A time reached before the pause keeps its wall time; the pause start is the first
    # instant the paused session time was reached.
    assert resumed.wall_at(50.0) == WALL0 + 50.0
    assert resumed.wall_at(100.0) == WALL0 + 100.0


def test_pausing_twice_or_resuming_a_running_clock_is_refused() -> None:
    clock = SessionClock.start(WALL0)
    with pytest.raises(ValueError, match="not paused"):
        clock.resume(WALL0 + 1.0)
    paused = clock.pause(WALL0 + 1.0)
    with pytest.raises(ValueError, match="already paused"):
        paused.pause(WALL0 + 2.0)
    with pytest.raises(ValueError, match="not paused"):
        paused.resume(WALL0 + 3.0).resume(WALL0 + 4.0)


def test_a_wall_clock_stepping_back_never_runs_session_time_backwards() -> None:
    clock = SessionClock.start(WALL0).pause(WALL0 + 50.0).resume(WALL0 + 60.0)
    again = clock.pause(WALL0 + 55.0)
    assert again.pauses[-1] == (WALL0 + 60.0, None)
    assert again.session_time(WALL0 + 100.0) == 50.0
    back = SessionClock.start(WALL0).pause(WALL0 + 10.0).resume(WALL0 + 5.0)
    assert back.pauses == ((WALL0 + 10.0, WALL0 + 10.0),)
    assert back.session_time(WALL0 + 20.0) == 20.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"started_at": WALL0, "speed": 0.0}, "speed"),
        ({"started_at": WALL0, "offset": -1.0}, "offset"),
        ({"started_at": WALL0, "pauses": ((WALL0 - 1.0, WALL0),)}, "order"),
        ({"started_at": WALL0, "pauses": ((WALL0 + 1.0, None), (WALL0 + 2.0, None))}, "last"),
        ({"started_at": WALL0, "pauses": ((WALL0 + 5.0, WALL0 + 1.0),)}, "before"),
    ],
)
def test_inconsistent_clocks_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SessionClock(**kwargs)  # type: ignore[arg-type]


def test_round_trips_through_json() -> None:
    clock = (
        SessionClock.start(WALL0, offset=30.0, speed=2.0)
        .pause(WALL0 + 10.0)
        .resume(WALL0 + 20.0)
        .pause(WALL0 + 40.0)
    )
    data = json.loads(json.dumps(clock.to_dict()))
    assert data == {
        "started_at": WALL0,
        "offset": 30.0,
        "speed": 2.0,
        "pauses": [[WALL0 + 10.0, WALL0 + 20.0], [WALL0 + 40.0, None]],
    }
    restored = SessionClock.from_dict(data)
    assert restored == clock
    assert restored.paused
    assert restored.session_time(WALL0 + 99.0) == 30.0 + 2.0 * 30.0


@pytest.mark.parametrize(
    "data",
    [
        {"started_at": "now", "offset": 0, "speed": 1},
        {"started_at": 1.0, "offset": 0, "speed": True},
        {"started_at": 1.0, "offset": 0, "speed": 1, "pauses": "none"},
        {"started_at": 1.0, "offset": 0, "speed": 1, "pauses": [[2.0]]},
        {"started_at": 1.0, "offset": 0, "speed": 1, "pauses": [[2.0, "x"]]},
        {"offset": 0, "speed": 1},
    ],
)
def test_malformed_journal_data_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="session clock"):
        SessionClock.from_dict(data)


# Times in seconds, kept to a few days so float sums stay exact to well under a microsecond.
_TIME = st.floats(min_value=0.0, max_value=200_000.0, allow_nan=False)
_SPEED = st.sampled_from([1.0, 0.5, 2.0, 60.0])


# At least a millisecond, so that `WALL0 + pause_at + later` is a later float at all.
_LATER = st.floats(min_value=0.001, max_value=200_000.0)


@given(offset=_TIME, speed=_SPEED, pause_at=_TIME, pause_for=_TIME, later=_LATER)
def test_pause_then_resume_shifts_everything_after_by_exactly_the_pause(
    offset: float, speed: float, pause_at: float, pause_for: float, later: float
) -> None:
    plain = SessionClock.start(WALL0, offset=offset, speed=speed)
    paused = plain.pause(WALL0 + pause_at).resume(WALL0 + pause_at + pause_for)
    # Before the pause nothing moves.
    before = WALL0 + pause_at * 0.5
    assert paused.session_time(before) == pytest.approx(plain.session_time(before), abs=1e-6)
    # During it session time stands at the pause's start.
    during = WALL0 + pause_at + pause_for * 0.5
    assert paused.session_time(during) == pytest.approx(
        plain.session_time(WALL0 + pause_at), abs=1e-6
    )
    # After it everything happens exactly `pause_for` later.
    wall = WALL0 + pause_at + later
    shifted = paused.session_time(wall + pause_for)
    assert shifted == pytest.approx(plain.session_time(wall), abs=1e-6)
    target = plain.session_time(wall)
    plain_wall = plain.wall_at(target)
    paused_wall = paused.wall_at(target)
    assert plain_wall is not None
    assert paused_wall is not None
    assert paused_wall - plain_wall == pytest.approx(pause_for, abs=1e-6)


@given(
    offset=_TIME,
    speed=_SPEED,
    pauses=st.lists(st.tuples(_TIME, _TIME), max_size=4),
    probe=_TIME,
)
def test_wall_at_inverts_session_time(
    offset: float, speed: float, pauses: list[tuple[float, float]], probe: float
) -> None:
    clock = SessionClock.start(WALL0, offset=offset, speed=speed)
    wall = WALL0
    for run, pause in pauses:
        wall += run
        clock = clock.pause(wall)
        wall += pause
        clock = clock.resume(wall)
    session = clock.session_time(WALL0 + probe)
    reached = clock.wall_at(session)
    assert reached is not None
    assert reached <= WALL0 + probe + 1e-6
    # wall_at treats instants within SAME_INSTANT of a pause's start as that start.
    assert clock.session_time(reached) == pytest.approx(session, abs=2 * speed * SAME_INSTANT)
    assert clock.session_time(WALL0 + probe + 1.0) >= session
