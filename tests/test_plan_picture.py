"""A profile's plan as level points: the timeline's levels, sampled finely enough to draw."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from roomctl.core.levels import db_to_gain
from roomctl.core.plan_picture import (
    FADE_TOLERANCE,
    MAX_FADE_SAMPLES,
    PhasePicture,
    Point,
    plan_picture,
    room_point,
)
from roomctl.core.timeline import SessionPlan, Timeline
from roomctl.models import RoomPreset, SessionProfile

# Standby off and no floor: a fade on starts from 0, so its levels are easy to tell.
DARK_ROOM = RoomPreset.model_validate(
    {
        "id": "room-1",
        "devices": {
            "ceiling": {"type": "zigbee2mqtt", "topic": "z2m/ceiling"},
            "lamp": {"type": "tasmota", "topic": "lamp"},
            "speaker": {"type": "audio"},
        },
        "standby": {"lights": {"all": "off"}, "sound": "off"},
        "limits": {"max_volume": "-12 dB"},
    }
)
# How close a sampled value must be to the one computed by hand: the picture takes a
# fade's ends a microsecond inside it, which moves a 10-s fade's level by 1e-7.
EXACT = 1e-6


def _profile(*phases: dict[str, Any]) -> SessionProfile:
    return SessionProfile.model_validate({"title": "Test", "phases": list(phases)})


def _at(points: tuple[Point, ...], t: float) -> Point:
    (point,) = [p for p in points if abs(p.t_s - t) < EXACT]
    return point


def _drawn_at(phases: tuple[PhasePicture, ...], t: float) -> tuple[float, float]:
    """Return the brightness and volume a straight-line drawing of the points shows at t."""
    points = [p for phase in phases for p in phase.points]
    for a, b in pairwise(points):
        if a.t_s <= t <= b.t_s and b.t_s > a.t_s:
            f = (t - a.t_s) / (b.t_s - a.t_s)
            return (
                a.brightness + (b.brightness - a.brightness) * f,
                a.volume + (b.volume - a.volume) * f,
            )
    raise AssertionError(f"no points around {t}")


def test_a_linear_fade_from_dark_to_60_percent_is_at_30_percent_halfway() -> None:
    rise: dict[str, Any] = {"name": "rise", "duration": "60s", "fade": "10s", "easing": "linear"}
    rise["lights"] = {"all": {"brightness": "60%", "color_temp": "3000K"}}
    (phase,) = plan_picture(_profile(rise), DARK_ROOM)
    assert (phase.start_s, phase.end_s, phase.fade_s) == (0.0, 60.0, 10.0)
    # A straight line is drawn exactly by its ends: no samples inside.
    assert [p.t_s for p in phase.points] == [0.0, 10.0, 60.0]
    assert _drawn_at((phase,), 5.0)[0] == pytest.approx(0.3, abs=EXACT)
    assert _at(phase.points, 10.0).brightness == pytest.approx(0.6, abs=EXACT)
    assert _at(phase.points, 60.0).brightness == pytest.approx(0.6, abs=EXACT)
    # 3000 K is 333 mireds, on both lights.
    assert round(_at(phase.points, 60.0).mireds or 0) == 333


@pytest.mark.parametrize("easing", ["s-curve", "ease-in", "ease-out"])
def test_an_eased_fade_drawn_straight_between_points_keeps_within_2_percent(easing: str) -> None:
    first: dict[str, Any] = {"name": "up", "duration": "2m", "fade": "90s", "easing": easing}
    first["lights"] = {"all": {"brightness": "90%", "color_temp": "2700K"}}
    first["sound"] = {"source": "noise:brown", "volume": "-12 dB"}
    second: dict[str, Any] = {"name": "down", "duration": "3m", "fade": "2m", "easing": easing}
    second["lights"] = {"all": {"brightness": "10%", "color_temp": "2200K"}, "lamp": "off"}
    second["sound"] = {"source": "noise:pink", "volume": "-24 dB"}
    profile = _profile(first, second)
    phases = plan_picture(profile, DARK_ROOM)
    timeline = Timeline(profile, DARK_ROOM, SessionPlan.from_profile(profile), {}, ())
    for phase in phases:
        inside = [p for p in phase.points if phase.start_s < p.t_s < phase.start_s + phase.fade_s]
        assert 1 <= len(inside) <= MAX_FADE_SAMPLES  # eased: sampled, and never more than 24
    checked = 0
    for step in range(1, 3000):
        t = step * 0.1  # every tenth of a second of both phases
        real = room_point(t, timeline.lights_at(t), timeline.sound_at(t))
        brightness, volume = _drawn_at(phases, t)
        # 2 % of each fade's travel (0.9 and 0.8 of brightness, 0.25 and 0.19 of gain).
        assert abs(brightness - real.brightness) <= FADE_TOLERANCE * 0.9, t
        assert abs(volume - real.volume) <= FADE_TOLERANCE * db_to_gain(-12), t
        checked += 1
    assert checked > 2000


def test_an_s_curve_of_the_lights_alone_is_sampled_though_its_middle_is_on_the_line() -> None:
    rise: dict[str, Any] = {"name": "rise", "duration": "60s", "fade": "40s", "easing": "s-curve"}
    rise["lights"] = {"all": {"brightness": "100%"}}
    (phase,) = plan_picture(_profile(rise), DARK_ROOM)
    inside = [p for p in phase.points if 0.0 < p.t_s < 40.0]
    assert len(inside) >= 6  # 7 segments at least for 2 % of a smoothstep
    for step in range(1, 400):
        t = step * 0.1
        x = t / 40.0
        assert abs(_drawn_at((phase,), t)[0] - x * x * (3 - 2 * x)) <= FADE_TOLERANCE, t


def test_a_light_that_is_off_counts_zero_and_has_no_colour_temperature() -> None:
    half: dict[str, Any] = {
        "name": "half",
        "duration": "1m",
        "lights": {"ceiling": {"brightness": "80%"}},
    }
    half["lights"]["lamp"] = "off"
    (phase,) = plan_picture(_profile(half), DARK_ROOM)
    # A jump: the phase's start already shows its target, held to the end.
    assert [(p.t_s, p.brightness, p.mireds) for p in phase.points] == [
        (0.0, pytest.approx(0.4), None),
        (60.0, pytest.approx(0.4), None),
    ]


def test_mireds_are_the_mean_of_the_lit_lights_in_colour_temperature() -> None:
    scene: dict[str, Any] = {"ceiling": {"brightness": "50%", "color_temp": "2000K"}}
    scene["lamp"] = {"brightness": "50%", "color_temp": "4000K"}
    (phase,) = plan_picture(_profile({"name": "two", "duration": "1m", "lights": scene}), DARK_ROOM)
    assert phase.points[0].mireds == pytest.approx((500.0 + 250.0) / 2)
    coloured: dict[str, Any] = {"ceiling": {"brightness": "50%", "color_temp": "2000K"}}
    coloured["lamp"] = {"brightness": "50%", "color": "#ff0000"}
    (phase,) = plan_picture(
        _profile({"name": "one", "duration": "1m", "lights": coloured}), DARK_ROOM
    )
    assert phase.points[0].mireds == pytest.approx(500.0)  # the red lamp does not count


def test_volume_is_the_linear_gain_after_the_rooms_cap() -> None:
    loud: dict[str, Any] = {
        "name": "loud",
        "duration": "1m",
        "sound": {"source": "noise:brown", "volume": "0 dB"},
    }
    quiet: dict[str, Any] = {"name": "quiet", "duration": "1m", "sound": {"source": "noise:brown"}}
    quiet["sound"]["volume"] = "-20 dB"
    silent: dict[str, Any] = {"name": "silent", "duration": "1m", "sound": "off"}
    phases = plan_picture(_profile(loud, quiet, silent), DARK_ROOM)
    assert [p.volume for p in phases[0].points] == [pytest.approx(db_to_gain(-12.0))] * 2
    assert phases[0].points[0].volume == pytest.approx(0.2512, abs=1e-4)  # -12 dB, not 0 dB
    assert [p.volume for p in phases[1].points] == [pytest.approx(0.1)] * 2
    assert [p.volume for p in phases[2].points] == [0.0, 0.0]


def test_cues_have_phase_and_cue_ids_at_session_times() -> None:
    first: dict[str, Any] = {
        "name": "arrival",
        "duration": "1m",
        "cues": [{"at": "30s", "notify": "Baseline"}],
    }
    second: dict[str, Any] = {"name": "peak", "duration": "2m"}
    second["cues"] = [{"at": "0s", "notify": "Dose"}, {"at": "90s", "notify": "Pulse"}]
    phases = plan_picture(_profile(first, second), DARK_ROOM)
    assert [(c.id, c.at_s, c.notify) for p in phases for c in p.cues] == [
        ("0.0", 30.0, "Baseline"),
        ("1.0", 60.0, "Dose"),
        ("1.1", 150.0, "Pulse"),
    ]
    assert [(p.name, p.start_s, p.end_s) for p in phases] == [
        ("arrival", 0.0, 60.0),
        ("peak", 60.0, 180.0),
    ]


def test_a_session_starts_from_the_rooms_standby_and_keeps_its_floor() -> None:
    room = DARK_ROOM.model_copy(
        update={
            "standby": DARK_ROOM.standby.model_validate(
                {"lights": {"all": {"brightness": "40%", "color_temp": "3500K"}}}
            ),
            "limits": DARK_ROOM.limits.model_validate({"min_brightness": "5%"}),
        }
    )
    dim: dict[str, Any] = {"name": "dim", "duration": "1m", "fade": "20s", "easing": "linear"}
    dim["lights"] = {"all": {"brightness": "1%"}}
    (phase,) = plan_picture(_profile(dim), room)
    assert phase.points[0].brightness == pytest.approx(0.4)
    assert round(phase.points[0].mireds or 0) == 286  # 3500 K
    assert phase.points[-1].brightness == pytest.approx(0.05)  # 1 % clamped to the floor


def test_a_light_fading_off_goes_dark_at_the_fades_end_in_the_picture() -> None:
    on: dict[str, Any] = {"name": "on", "duration": "1m", "lights": {"all": {"brightness": "50%"}}}
    off: dict[str, Any] = {"name": "off", "duration": "1m", "fade": "10s", "easing": "linear"}
    off["lights"] = {"lamp": "off"}
    room = DARK_ROOM.model_copy(
        update={"limits": DARK_ROOM.limits.model_validate({"min_brightness": "10%"})}
    )
    phases = plan_picture(_profile(on, off), room)
    points = phases[1].points
    # Lit at the floor (10 %) until the fade's end, then off: both sides at 70 s.
    at_end = [p.brightness for p in points if p.t_s == 70.0]
    assert at_end == [pytest.approx((0.5 + 0.1) / 2), pytest.approx(0.25)]
    assert points[-1].t_s == 120.0
