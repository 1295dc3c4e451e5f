"""Session plan: phase boundaries from a profile, after extends and skips."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomctl.core.timeline import SessionPlan
from roomctl.core.timeline.plan import MAX_EXTENSION_S
from roomctl.models import SessionProfile

PROFILE = SessionProfile.model_validate(
    {
        "title": "Three phases",
        "phases": [
            {"name": "arrival", "duration": "10m"},
            {"name": "onset", "duration": "20m"},
            {"name": "return", "duration": "01:30:00"},
        ],
    }
)


def test_bounds_follow_the_profile_durations() -> None:
    plan = SessionPlan.from_profile(PROFILE)
    assert plan.bounds == (0.0, 600.0, 1800.0, 7200.0)
    assert plan.phase_count == 3
    assert plan.end == 7200.0
    assert [plan.start_of(i) for i in range(3)] == [0.0, 600.0, 1800.0]
    assert [plan.end_of(i) for i in range(3)] == [600.0, 1800.0, 7200.0]
    assert plan.phase_index_at(-5.0) == 0
    assert plan.phase_index_at(0.0) == 0
    assert plan.phase_index_at(599.9) == 0
    assert plan.phase_index_at(600.0) == 1
    assert plan.phase_index_at(7199.0) == 2
    assert plan.phase_index_at(7200.0) is None
    with pytest.raises(IndexError):
        plan.start_of(3)


def test_extend_lengthens_one_phase_and_shifts_the_later_ones() -> None:
    plan = SessionPlan.from_profile(PROFILE).extend(1, 300.0)
    assert plan.bounds == (0.0, 600.0, 2100.0, 7500.0)
    with pytest.raises(ValueError, match="positive"):
        plan.extend(0, 0.0)


def test_skip_ends_the_current_phase_now_and_starts_the_next() -> None:
    plan = SessionPlan.from_profile(PROFILE).skip(700.0)
    assert plan.bounds == (0.0, 600.0, 700.0, 6100.0)
    assert plan.phase_index_at(700.0) == 2
    ended = plan.skip(6000.0)
    assert ended.bounds == (0.0, 600.0, 700.0, 6000.0)
    assert ended.phase_index_at(6000.0) is None
    with pytest.raises(ValueError, match="cannot skip"):
        ended.skip(6000.0)


def test_a_phase_skipped_at_its_start_is_never_current() -> None:
    plan = SessionPlan.from_profile(PROFILE).skip(600.0)
    assert plan.bounds == (0.0, 600.0, 600.0, 6000.0)
    assert plan.phase_index_at(600.0) == 2


def test_a_session_is_extended_by_at_most_its_cap_in_all() -> None:
    plan = SessionPlan.from_profile(PROFILE)
    for _ in range(3):
        plan = plan.extend(1, 4 * 3600.0)
    assert plan.extended_s == MAX_EXTENSION_S == 12 * 3600.0
    assert plan.end == 7200.0 + MAX_EXTENSION_S
    with pytest.raises(ValueError) as error:
        plan.extend(2, 1.0)
    assert str(error.value) == (
        "extend would take the session past 12h00m of extensions in all: at most 0s more"
    )


def test_the_cap_says_what_is_left_and_a_skip_gives_none_back() -> None:
    plan = SessionPlan.from_profile(PROFILE).extend(0, 11 * 3600.0).skip(700.0)
    assert plan.extended_s == 11 * 3600.0
    with pytest.raises(ValueError, match="at most 1h00m more"):
        plan.extend(2, 2 * 3600.0)
    assert plan.extend(2, 3600.0).extended_s == MAX_EXTENSION_S


def test_extending_by_huge_numbers_is_refused_not_overflowed() -> None:
    plan = SessionPlan.from_profile(PROFILE)
    with pytest.raises(ValueError, match="past 12h00m"):
        plan.extend(0, 1e308)
    with pytest.raises(ValueError, match="positive number"):
        plan.extend(0, float("inf"))


def test_a_snapshot_from_before_the_cap_has_no_extension_yet() -> None:
    assert SessionPlan.from_dict({"bounds": [0.0, 60.0]}) == SessionPlan((0.0, 60.0), 0.0)


def test_round_trips_through_json() -> None:
    plan = SessionPlan.from_profile(PROFILE).extend(0, 60.0).skip(1000.0)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data == {"bounds": [0.0, 660.0, 1000.0, 6400.0], "extended_s": 60.0}
    assert SessionPlan.from_dict(data) == plan


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"bounds": "0,1"},
        {"bounds": [0.0, "5"]},
        {"bounds": [0.0]},
        {"bounds": [1.0, 2.0]},
        {"bounds": [0.0, 1.0], "extended_s": "1h"},
        {"bounds": [0.0, 1.0], "extended_s": -1.0},
        {"bounds": [0.0, 1.0], "extended_s": 1e9},
    ],
)
def test_malformed_journal_data_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="session plan"):
        SessionPlan.from_dict(data)


def test_decreasing_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="decrease"):
        SessionPlan((0.0, 10.0, 5.0))


_DURATIONS = st.lists(st.floats(min_value=1.0, max_value=10_000.0), min_size=1, max_size=6)


@given(durations=_DURATIONS, data=st.data())
def test_extend_and_skip_leave_earlier_phases_and_later_lengths_alone(
    durations: list[float], data: st.DataObject
) -> None:
    bounds = [0.0]
    for duration in durations:
        bounds.append(bounds[-1] + duration)
    plan = SessionPlan(tuple(bounds))
    index = data.draw(st.integers(0, plan.phase_count - 1))
    by = data.draw(st.floats(min_value=0.5, max_value=5_000.0))
    extended = plan.extend(index, by)
    for i in range(plan.phase_count):
        length = extended.end_of(i) - extended.start_of(i)
        expected = durations[i] + (by if i == index else 0.0)
        assert length == pytest.approx(expected)
        shift = by if i > index else 0.0
        assert extended.start_of(i) == pytest.approx(plan.start_of(i) + shift)

    at = data.draw(st.floats(min_value=0.0, max_value=plan.end, exclude_max=True))
    current = plan.phase_index_at(at)
    assert current is not None
    skipped = plan.skip(at)
    assert skipped.end_of(current) == at
    for i in range(current):
        assert skipped.end_of(i) == plan.end_of(i)
    for i in range(current + 1, plan.phase_count):
        assert skipped.end_of(i) - skipped.start_of(i) == pytest.approx(durations[i])
    if current == plan.phase_count - 1:
        assert skipped.end == at
    else:
        assert skipped.start_of(current + 1) == at
