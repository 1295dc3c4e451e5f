"""Shared timelines: sessions alike get one timeline; anything a timeline reads tells them apart."""

from __future__ import annotations

from roomctl.core.levels import SILENCE, LightLevel
from roomctl.core.timeline import SessionPlan, Timeline
from roomctl.core.timeline.shared import SharedTimelines
from roomctl.models import Limits, RoomPreset
from tests.test_timeline_timeline import INITIAL, PROFILE, ROOM

PLAN = SessionPlan.from_profile(PROFILE)


def _room(**changes: object) -> RoomPreset:
    return ROOM.model_copy(update=changes)


def test_rooms_alike_share_one_timeline_that_plays_as_a_built_one() -> None:
    shared = SharedTimelines()
    first = shared.timeline(PROFILE, ROOM, PLAN, INITIAL, SILENCE)
    twin = _room(id="room-2", name="Room two")
    second = shared.timeline(PROFILE, twin, PLAN, dict(INITIAL), SILENCE)
    assert second is first
    built = Timeline(PROFILE, twin, PLAN, INITIAL, SILENCE)
    for t in (0.0, 61.0, 300.0, 1234.5, built.end):
        assert second.lights_at(t) == built.lights_at(t)
        assert second.sound_at(t) == built.sound_at(t)
    assert second.cues_between(0.0, built.end) == built.cues_between(0.0, built.end)


def test_what_a_timeline_reads_gives_sessions_their_own() -> None:
    shared = SharedTimelines()
    base = shared.timeline(PROFILE, ROOM, PLAN, INITIAL, SILENCE)
    brighter_floor = _room(limits=Limits(min_brightness=0.2, max_volume=-12.0))
    grouped = _room(groups={"warm": ["lamp"]})
    reparsed = PROFILE.model_copy()  # equal, but another object: an edited file's
    others = [
        shared.timeline(PROFILE, brighter_floor, PLAN, INITIAL, SILENCE),
        shared.timeline(PROFILE, grouped, PLAN, INITIAL, SILENCE),
        shared.timeline(PROFILE, ROOM, PLAN, {"lamp": LightLevel(True, 0.9)}, SILENCE),
        shared.timeline(PROFILE, ROOM, PLAN.extend(0, 60.0), INITIAL, SILENCE),
        shared.timeline(reparsed, ROOM, PLAN, INITIAL, SILENCE),
    ]
    assert all(other is not base for other in others)
    # The floor is the room's: the shared timeline of a room with another one differs.
    assert others[0].lights_at(1800.0) != base.lights_at(1800.0)


def test_past_its_size_the_store_starts_afresh() -> None:
    shared = SharedTimelines(size=1)
    first = shared.timeline(PROFILE, ROOM, PLAN, INITIAL, SILENCE)
    shared.timeline(PROFILE, ROOM, PLAN, {}, SILENCE)
    assert shared.timeline(PROFILE, ROOM, PLAN, INITIAL, SILENCE) is not first
