"""The timeline on a worked example: levels, segments, phases, cues and changes by value."""

from __future__ import annotations

from typing import cast

import pytest

from roomctl.core.levels import OFF, SILENCE, LightFade, LightLevel, SoundFade, Voice, db_to_gain
from roomctl.core.timeline import CueFiring, PhaseInfo, SessionClock, SessionPlan, Timeline
from roomctl.models import RoomPreset, SessionProfile


def near(value: float) -> float:
    """Return pytest.approx(value), typed as the float it compares equal to."""
    return cast(float, pytest.approx(value))


ROOM = RoomPreset.model_validate(
    {
        "id": "room-1",
        "devices": {
            "ceiling": {"type": "zigbee2mqtt", "topic": "z2m/ceiling"},
            "lamp": {"type": "tasmota", "topic": "lamp"},
            "speaker": {"type": "audio"},
        },
        "limits": {"min_brightness": "5%", "max_volume": "-12 dB"},
    }
)

PROFILE = SessionProfile.model_validate(
    {
        "title": "Worked example",
        "phases": [
            {
                "name": "arrival",
                "duration": "10m",
                "fade": "60s",
                "easing": "linear",
                "lights": {"all": {"brightness": "60%", "color_temp": "3000K"}},
                "sound": {"source": "noise:brown", "volume": "-30 dB"},
                "cues": [{"at": "5m", "notify": "Welcome the client"}],
            },
            {
                "name": "onset",
                "duration": "20m",
                "fade": "2m",
                "lights": {"all": {"brightness": "20%", "color_temp": "2200K"}, "lamp": "off"},
                "sound": {"source": "noise:pink", "volume": "-6 dB"},
                "cues": [
                    {"at": "0s", "notify": "Dose given"},
                    {"at": "15m", "notify": "Check blood pressure"},
                ],
            },
            {
                "name": "return",
                "duration": "10m",
                "fade": "30s",
                "easing": "linear",
                "lights": {"all": {"brightness": "2%"}, "lamp": {"color": "#ff8800"}},
                "sound": "off",
                "cues": [{"at": "5m", "notify": "Reorient"}],
            },
        ],
    }
)

INITIAL = {"lamp": LightLevel(True, 0.4, 250.0)}
M3000, M2200 = 1e6 / 3000, 1e6 / 2200
BROWN = db_to_gain(-30.0)
PINK_CAPPED = db_to_gain(-12.0)


def timeline(plan: SessionPlan | None = None) -> Timeline:
    return Timeline(PROFILE, ROOM, plan or SessionPlan.from_profile(PROFILE), INITIAL, SILENCE)


def test_first_phase_fades_from_the_room_as_it_was() -> None:
    tl = timeline()
    fades = tl.light_fades_at(0.0)
    # The ceiling was off: it switches on at the minimum, in the target colour, and fades up.
    assert fades["ceiling"] == LightFade(
        0.0, 60.0, LightLevel(True, 0.05, M3000), LightLevel(True, 0.6, M3000), "linear"
    )
    assert fades["lamp"] == LightFade(
        0.0, 60.0, LightLevel(True, 0.4, 250.0), LightLevel(True, 0.6, M3000), "linear"
    )
    halfway = tl.lights_at(30.0)
    assert halfway["ceiling"].brightness == pytest.approx(0.325)
    assert halfway["ceiling"].mireds == pytest.approx(M3000)
    assert halfway["lamp"].brightness == pytest.approx(0.5)
    assert halfway["lamp"].mireds == pytest.approx((250.0 + M3000) / 2)
    (voice,) = tl.sound_at(30.0)
    assert voice.source == "noise:brown"
    assert voice.gain == pytest.approx(BROWN * 2**-0.5)
    assert tl.sound_fade_at(10.0) == SoundFade(0.0, 60.0, SILENCE, (Voice("noise:brown", BROWN),))


def test_after_the_fade_each_light_holds_to_the_phase_end() -> None:
    tl = timeline()
    assert tl.light_fades_at(60.0)["ceiling"] == LightFade(
        60.0, 600.0, LightLevel(True, 0.6, M3000), LightLevel(True, 0.6, M3000)
    )
    assert tl.lights_at(599.0)["lamp"] == LightLevel(True, 0.6, M3000)
    assert tl.sound_fade_at(300.0) == SoundFade(
        60.0, 600.0, (Voice("noise:brown", BROWN),), (Voice("noise:brown", BROWN),)
    )


def test_a_light_fading_off_dims_to_the_minimum_then_switches_off() -> None:
    tl = timeline()
    assert tl.light_fades_at(600.0)["lamp"] == LightFade(
        600.0, 720.0, LightLevel(True, 0.6, M3000), LightLevel(True, 0.05, M3000), "s-curve"
    )
    # Halfway along an s-curve is halfway.
    assert tl.lights_at(660.0)["lamp"].brightness == pytest.approx(0.325)
    assert tl.lights_at(660.0)["ceiling"].brightness == pytest.approx(0.4)
    assert tl.lights_at(660.0)["ceiling"].mireds == pytest.approx((M3000 + M2200) / 2)
    assert tl.lights_at(719.999)["lamp"].on
    assert tl.lights_at(720.0)["lamp"] == OFF
    assert tl.light_fades_at(720.0)["lamp"] == LightFade(720.0, 1800.0, OFF, OFF)


def test_each_phase_enters_from_where_the_previous_one_left_the_room() -> None:
    tl = timeline()
    assert tl.lights_entering(0) == {"ceiling": OFF, "lamp": LightLevel(True, 0.4, 250.0)}
    assert tl.sound_entering(0) == SILENCE
    assert tl.lights_entering(2)["lamp"] == OFF
    assert tl.lights_entering(2)["ceiling"] == LightLevel(True, 0.2, near(M2200))
    assert tl.sound_entering(2) == (Voice("noise:pink", PINK_CAPPED),)
    with pytest.raises(IndexError):
        tl.lights_entering(3)


def test_sound_crossfades_and_the_room_limit_caps_it() -> None:
    tl = timeline()
    brown, pink = tl.sound_at(660.0)
    assert brown == Voice("noise:brown", near(BROWN * 2**-0.5))
    assert pink == Voice("noise:pink", near(PINK_CAPPED * 2**-0.5))
    assert tl.sound_at(1000.0) == (Voice("noise:pink", PINK_CAPPED),)
    assert tl.sound_at(1815.0) == (Voice("noise:pink", near(PINK_CAPPED * 2**-0.5)),)
    assert tl.sound_at(1830.0) == SILENCE


def test_limits_hold_a_scene_below_the_minimum() -> None:
    tl = timeline()
    final = tl.lights_at(2000.0)
    assert final["ceiling"] == LightLevel(True, 0.05, near(M2200))
    # The lamp was off: it switches on at the minimum in its colour; the `all` brightness
    # of 2% is raised to the room's 5%.
    assert final["lamp"] == LightLevel(True, 0.05, None, (255.0, 136.0, 0.0))
    assert tl.light_fades_at(1800.0)["lamp"].source == LightLevel(True, 0.05, None, (255, 136, 0))


def test_after_the_end_everything_holds_at_the_final_levels() -> None:
    tl = timeline()
    assert tl.end == 2400.0
    assert tl.ended(2400.0)
    assert not tl.ended(2399.0)
    assert tl.remaining(2000.0) == 400.0
    assert tl.remaining(5000.0) == 0.0
    assert tl.phase_at(2400.0) is None
    level = LightLevel(True, 0.05, near(M2200))
    assert tl.lights_at(9999.0)["ceiling"] == level
    assert tl.light_fades_at(9999.0)["ceiling"] == LightFade(2400.0, 2400.0, level, level)
    assert tl.sound_at(9999.0) == SILENCE
    assert tl.sound_fade_at(9999.0) == SoundFade(2400.0, 2400.0, SILENCE, SILENCE)
    assert tl.next_change(2400.0) is None


def test_phase_info_counts_time_in_and_left_in_the_phase() -> None:
    tl = timeline()
    assert tl.phase_count == 3
    assert tl.phase_at(0.0) == PhaseInfo(0, "arrival", 0.0, 600.0, 0.0, 600.0)
    assert tl.phase_at(812.5) == PhaseInfo(1, "onset", 600.0, 1800.0, 212.5, 987.5)


def test_next_change_walks_boundaries_fade_ends_and_cues() -> None:
    tl = timeline()
    walked: list[float] = []
    change = tl.next_change(0.0)
    while change is not None:
        walked.append(change)
        change = tl.next_change(change)
    assert walked == [60.0, 300.0, 600.0, 720.0, 1500.0, 1800.0, 1830.0, 2100.0, 2400.0]
    assert tl.next_change(-1.0) == 0.0
    assert tl.next_change(59.9) == 60.0


def test_cues_fire_in_the_half_open_interval() -> None:
    tl = timeline()
    assert tl.cues_between(0.0, 600.0) == [
        CueFiring(300.0, 0, "arrival", "Welcome the client", "0.0"),
        CueFiring(600.0, 1, "onset", "Dose given", "1.0"),
    ]
    assert tl.cues_between(600.0, 1500.0) == [
        CueFiring(1500.0, 1, "onset", "Check blood pressure", "1.1")
    ]
    assert tl.cues_between(1500.0, 1500.0) == []
    assert tl.cues_between(2100.0, 9999.0) == []


def test_skip_mid_fade_starts_the_next_fade_from_where_the_room_is() -> None:
    tl = timeline()
    # 30 s into onset's 2-minute s-curve the fade has travelled 0.15625 of the way.
    before = tl.lights_at(630.0)
    assert before["ceiling"].brightness == pytest.approx(0.6 - 0.4 * 0.15625)
    skipped = tl.with_plan(tl.plan.skip(630.0))
    assert skipped.phase_at(630.0) == PhaseInfo(2, "return", 630.0, 1230.0, 0.0, 600.0)
    fade = skipped.light_fades_at(630.0)["ceiling"]
    assert fade.start == 630.0
    assert fade.end == 660.0
    assert fade.source == before["ceiling"]
    assert fade.target == LightLevel(True, 0.05, near(M2200))
    assert skipped.lights_at(630.0) == before
    assert skipped.lights_at(645.0)["ceiling"].brightness == pytest.approx(
        (before["ceiling"].brightness + 0.05) / 2
    )
    # The sound crossfade, cut at 0.15625, crossfades on to silence from there.
    assert skipped.sound_at(630.0) == tl.sound_at(630.0)
    # Nothing before the skip changed; the cue of the phase cut short is gone.
    assert skipped.lights_at(300.0) == tl.lights_at(300.0)
    assert [cue.at for cue in skipped.cues_between(0.0, 9999.0)] == [300.0, 600.0, 930.0]


def test_extend_shifts_everything_after_the_extended_phase() -> None:
    tl = timeline()
    longer = tl.with_plan(tl.plan.extend(1, 300.0))
    assert longer.end == 2700.0
    for t in (0.0, 30.0, 650.0, 1799.0):
        assert longer.lights_at(t) == tl.lights_at(t)
    for t in (1800.0, 1815.0, 1900.0, 2400.0):
        assert longer.lights_at(t + 300.0) == tl.lights_at(t)
        assert longer.sound_at(t + 300.0) == tl.sound_at(t)
    assert longer.lights_at(2050.0) == tl.lights_at(1799.0)
    assert [cue.at for cue in longer.cues_between(1500.0, 9999.0)] == [2400.0]


def test_load_to_time_and_rehearsal_speed_read_the_same_timeline() -> None:
    tl = timeline()
    wall = 1_700_000_000.0
    loaded = SessionClock.start(wall, offset=660.0)
    rehearsal = SessionClock.start(wall, speed=60.0)
    assert tl.lights_at(loaded.session_time(wall)) == tl.lights_at(660.0)
    assert tl.lights_at(rehearsal.session_time(wall + 11.0)) == tl.lights_at(660.0)
    assert loaded.wall_at(720.0) == wall + 60.0
    assert rehearsal.wall_at(720.0) == pytest.approx(wall + 12.0)


def test_a_plan_for_another_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="phases"):
        Timeline(PROFILE, ROOM, SessionPlan((0.0, 10.0)), {}, SILENCE)
