"""The fade planner: message counts, step sizes and timing per device type and easing.

A plan is replayed the way a light runs it (each step moves linearly from where the
light is to the step's level over its transition) and compared with the eased curve.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomctl.core.easing import EASINGS, Easing
from roomctl.core.levels import OFF, LightFade, LightLevel
from roomctl.devices import (
    Capabilities,
    LightStep,
    Network,
    adapter_for,
    freeze_step,
    plan_fade,
    uses_native_fades,
)
from roomctl.devices.mqtt_json import MqttJsonSpec
from roomctl.devices.shelly import ShellySpec
from roomctl.devices.tasmota import TasmotaSpec
from roomctl.devices.wled import WledSpec
from roomctl.devices.zigbee2mqtt import Zigbee2MqttSpec

ZIGBEE = adapter_for("c", Zigbee2MqttSpec(type="zigbee2mqtt", topic="z/c")).capabilities
TASMOTA = adapter_for("l", TasmotaSpec(type="tasmota", topic="lamp")).capabilities
WLED = adapter_for("s", WledSpec(type="wled", topic="w")).capabilities
SHELLY = adapter_for("p", ShellySpec(type="shelly", topic="p", mode="light")).capabilities
HA_JSON = adapter_for("j", MqttJsonSpec(type="mqtt_json", command_topic="j/set")).capabilities
# A light with no native transition at all: it can only be stepped.
PLAIN = replace(TASMOTA, max_transition_s=0.0, network=Network("plain"))
NATIVE = [ZIGBEE, WLED, SHELLY, HA_JSON]
TWENTY_MINUTES = 1200.0
ONE_PERCENT = 0.01


def replay(steps: list[LightStep], start: LightLevel, t: float) -> tuple[float, float | None]:
    """Return (brightness, mireds) a light running `steps` shows at t (0 brightness when off)."""
    b_from, b_to = _b(start), _b(start)
    m_from = m_to = start.mireds
    t_from, t_to = 0.0, 0.0
    for step in steps:
        if step.at > t:
            break
        b_now = _lerp(b_from, b_to, t_from, t_to, step.at)
        m_now = (
            None if m_from is None or m_to is None else _lerp(m_from, m_to, t_from, t_to, step.at)
        )
        b_from, b_to = b_now, _b(step.level)
        m_from = m_now if m_now is not None else step.level.mireds
        m_to = step.level.mireds if step.level.mireds is not None else m_from
        t_from, t_to = step.at, step.at + step.transition_s
    m = None if m_from is None or m_to is None else _lerp(m_from, m_to, t_from, t_to, t)
    return _lerp(b_from, b_to, t_from, t_to, t), m


def _b(level: LightLevel) -> float:
    return level.brightness if level.on else 0.0


def _lerp(a: float, b: float, t0: float, t1: float, t: float) -> float:
    if t >= t1 or t1 <= t0:
        return b
    return a + (b - a) * max(0.0, (t - t0) / (t1 - t0))


def worst_error(
    fade: LightFade, steps: list[LightStep], caps: Capabilities, now: float, samples: int = 2000
) -> float:
    """Return the largest gap, in % of full scale, between the replayed plan and the curve."""
    shown = held(fade, caps.brightness_step)
    worst = 0.0
    start = shown.at(now)
    for i in range(samples + 1):
        t = now + (fade.end - now) * i / samples
        want = shown.at(t)
        got_b, got_m = replay(steps, start, t)
        want_b = want.brightness if want.on else 0.0
        worst = max(worst, abs(got_b - want_b))
        if caps.color_temp and want.mireds is not None and got_m is not None:
            span = caps.mireds_range[1] - caps.mireds_range[0]
            worst = max(worst, abs(got_m - want.mireds) / span)
    return worst


def held(fade: LightFade, lowest: float) -> LightFade:
    """Return the fade as a light shows it: on throughout, no dimmer than its lowest level."""

    def lit(level: LightLevel, other: LightLevel) -> LightLevel:
        if not level.on:
            return LightLevel(True, lowest, other.mireds, other.color)
        return level.with_brightness(max(lowest, level.brightness))

    return replace(fade, source=lit(fade.source, fade.target), target=lit(fade.target, fade.source))


def travel_percent(fade: LightFade, caps: Capabilities) -> float:
    """Return the largest change of the fade in % of full scale, over the channels it moves."""
    db = abs(fade.target.brightness - fade.source.brightness)
    dm = 0.0
    if caps.color_temp and fade.source.mireds is not None and fade.target.mireds is not None:
        dm = abs(fade.target.mireds - fade.source.mireds) / (
            caps.mireds_range[1] - caps.mireds_range[0]
        )
    return 100.0 * max(db, dm)


DIM = LightLevel(True, 0.2, 370.0)
BRIGHT = LightLevel(True, 0.8, 250.0)


def test_tasmota_is_stepped_the_others_fade_natively() -> None:
    assert not uses_native_fades(TASMOTA) and not uses_native_fades(PLAIN)
    assert all(uses_native_fades(caps) for caps in NATIVE)


@pytest.mark.parametrize("caps", [ZIGBEE, SHELLY, HA_JSON], ids=["zigbee", "shelly", "ha"])
def test_a_linear_twenty_minute_fade_is_one_message(caps: Capabilities) -> None:
    fade = LightFade(100.0, 100.0 + TWENTY_MINUTES, DIM, BRIGHT, "linear")
    assert plan_fade(fade, 100.0, caps, 0.2) == [LightStep(100.0, BRIGHT, TWENTY_MINUTES)]


def test_an_s_curve_over_full_scale_takes_about_ten_messages_within_one_percent() -> None:
    fade = LightFade(
        0.0, TWENTY_MINUTES, LightLevel(True, 0.0, 370.0), LightLevel(True, 1.0, 370.0), "s-curve"
    )
    steps = plan_fade(fade, 0.0, ZIGBEE, 1.2)
    assert 5 <= len(steps) <= 12
    assert worst_error(fade, steps, ZIGBEE, 0.0) <= ONE_PERCENT + 1e-4
    # Each step's transition lasts exactly to the next step; the last ends with the fade.
    for step, after in itertools.pairwise(steps):
        assert step.transition_s == pytest.approx(after.at - step.at)
    assert steps[-1].at + steps[-1].transition_s == pytest.approx(TWENTY_MINUTES)
    assert steps[-1].level == fade.target


def test_long_fades_are_chunked_to_the_longest_native_transition() -> None:
    fade = LightFade(0.0, TWENTY_MINUTES, DIM, BRIGHT, "linear")
    steps = plan_fade(fade, 0.0, WLED, 0.5)
    assert len(steps) == 19  # ceil(1200 / 65.5)
    assert all(s.transition_s <= 65.5 for s in steps)
    assert sum(s.transition_s for s in steps) == pytest.approx(TWENTY_MINUTES)
    assert worst_error(fade, steps, WLED, 0.0) <= 1e-6
    hours = LightFade(0.0, 4 * 3600.0, DIM, BRIGHT, "linear")
    assert [s.transition_s for s in plan_fade(hours, 0.0, SHELLY, 0.5)] == [
        pytest.approx(10800.0),
        pytest.approx(3600.0),
    ]


def test_tasmota_steps_at_most_one_per_percent_and_never_above_its_rate() -> None:
    fade = LightFade(0.0, TWENTY_MINUTES, LightLevel(True, 0.2), LightLevel(True, 0.8), "s-curve")
    steps = plan_fade(fade, 0.0, TASMOTA, 1.0)
    assert len(steps) <= 60  # 60 % travelled
    assert len(steps) >= 55  # and not needlessly coarse
    times = [s.at for s in steps]
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))
    levels = [fade.source.brightness] + [s.level.brightness for s in steps]
    assert all(abs(b - a) <= ONE_PERCENT + 1e-9 for a, b in itertools.pairwise(levels))
    # Speed2 softens each step over the time to the next one (20 s at most).
    assert all(0.0 < s.transition_s <= 20.0 for s in steps)
    assert worst_error(fade, steps, TASMOTA, 0.0) <= ONE_PERCENT + 1e-4


def test_a_fast_stepped_fade_is_held_to_the_rate() -> None:
    fade = LightFade(0.0, 10.0, LightLevel(True, 0.0), LightLevel(True, 1.0), "linear")
    steps = plan_fade(fade, 0.0, PLAIN, 1.0)
    times = [s.at for s in steps]
    assert len(steps) <= 10
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))
    # Each step leads to the next one's level, so the last lands on the target at 9 s.
    assert steps[-1].at == pytest.approx(9.0)
    assert (steps[-1].level, steps[-1].transition_s) == (fade.target, 0.0)


def test_a_light_without_transitions_steps_ahead_to_the_curve_at_the_next_step() -> None:
    fade = LightFade(0.0, 600.0, LightLevel(True, 0.5), LightLevel(True, 0.3), "linear")
    steps = plan_fade(fade, 0.0, PLAIN, 1.0)
    assert len(steps) == 20
    assert [s.at for s in steps] == pytest.approx([30.0 * i for i in range(20)])
    for step, after in itertools.pairwise(steps):
        assert step.transition_s == 0.0
        assert step.level.brightness == pytest.approx(fade.at(after.at).brightness)
    assert steps[-1].level == fade.target
    assert worst_error(fade, steps, PLAIN, 0.0) <= ONE_PERCENT + 1e-6


@pytest.mark.parametrize("caps", [ZIGBEE, WLED, TASMOTA, PLAIN], ids=["zb", "wled", "tas", "plain"])
def test_a_fade_to_off_ends_at_the_lowest_level_then_switches_off(caps: Capabilities) -> None:
    fade = LightFade(0.0, 120.0, LightLevel(True, 0.6, 300.0), OFF, "s-curve")
    steps = plan_fade(fade, 0.0, caps, 1.0)
    assert steps[-1] == LightStep(120.0, OFF, 0.0)
    before = steps[-2]
    assert before.level.on and before.level.brightness == pytest.approx(caps.brightness_step)
    assert before.level.mireds == 300.0
    assert all(s.level.on for s in steps[:-1])
    assert steps[-1].at - before.at >= 1.0 - 1e-9


@pytest.mark.parametrize("easing", EASINGS)
@pytest.mark.parametrize(
    "caps",
    [ZIGBEE, WLED, SHELLY, HA_JSON, TASMOTA, PLAIN],
    ids=["zb", "wled", "sh", "ha", "tas", "plain"],
)
def test_fades_from_and_to_off_follow_the_curve(easing: Easing, caps: Capabilities) -> None:
    warm = LightLevel(True, 0.7, 370.0)
    up = LightFade(0.0, 900.0, OFF, warm, easing)
    # The light stays at its lowest level for the first 1.2 s: within 1 % + that lag.
    assert worst_error(up, plan_fade(up, 0.0, caps, 1.2), caps, 0.0, samples=600) <= 0.012
    down = LightFade(0.0, 900.0, warm, OFF, easing)
    steps = plan_fade(down, 0.0, caps, 1.2)
    assert worst_error(down, steps, caps, 0.0, samples=600) <= ONE_PERCENT + 1e-4
    assert steps[-1] == LightStep(900.0, OFF, 0.0)


def test_a_fade_to_off_respects_the_floor() -> None:
    fade = LightFade(0.0, 60.0, LightLevel(True, 0.6), OFF, "linear")
    steps = plan_fade(fade, 0.0, ZIGBEE, 1.0, floor_brightness=0.05)
    assert steps[-2].level.brightness == 0.05
    assert min(s.level.brightness for s in steps[:-1]) == 0.05


def test_a_fade_from_off_switches_on_at_the_lowest_level_first() -> None:
    fade = LightFade(0.0, 300.0, OFF, BRIGHT, "s-curve")
    steps = plan_fade(fade, 0.0, ZIGBEE, 2.0)
    first, second = steps[0], steps[1]
    assert first == LightStep(0.0, LightLevel(True, 1 / 254, 250.0, None), 0.0)
    assert second.at == pytest.approx(2.0) and second.transition_s > 0.0
    assert steps[-1].at + steps[-1].transition_s == pytest.approx(300.0)
    assert steps[-1].level == BRIGHT


def test_a_light_known_to_be_off_is_switched_on_before_a_fade_up() -> None:
    # The timeline fades up from the lowest level; the light itself is still off.
    lit = LightLevel(True, 0.05, 250.0)
    fade = LightFade(0.0, 300.0, lit, BRIGHT, "linear")
    steps = plan_fade(fade, 0.0, ZIGBEE, 1.0, current=OFF)
    assert steps[0] == LightStep(0.0, lit, 0.0)
    assert steps[1].at == pytest.approx(1.0)
    assert plan_fade(fade, 0.0, ZIGBEE, 1.0) == [LightStep(0.0, BRIGHT, 300.0)]


def test_a_hold_is_one_step_now_without_transition() -> None:
    hold = LightFade(0.0, 500.0, DIM, DIM, "s-curve")
    assert plan_fade(hold, 42.0, ZIGBEE, 1.0) == [LightStep(42.0, DIM, 0.0)]
    off = LightFade(0.0, 500.0, OFF, LightLevel(False, 0.3), "linear")
    assert plan_fade(off, 42.0, TASMOTA, 1.0) == [LightStep(42.0, off.target, 0.0)]


def test_a_jump_or_a_finished_fade_is_one_step_to_the_target() -> None:
    assert plan_fade(LightFade(10.0, 10.0, DIM, BRIGHT), 3.0, ZIGBEE, 1.0) == [
        LightStep(10.0, BRIGHT, 0.0)
    ]
    assert plan_fade(LightFade(0.0, 60.0, DIM, BRIGHT), 61.0, TASMOTA, 1.0) == [
        LightStep(61.0, BRIGHT, 0.0)
    ]


def test_mid_fade_plans_the_rest_from_now() -> None:
    fade = LightFade(0.0, TWENTY_MINUTES, DIM, BRIGHT, "linear")
    assert plan_fade(fade, 900.0, ZIGBEE, 1.0) == [LightStep(900.0, BRIGHT, 300.0)]
    curve = LightFade(0.0, TWENTY_MINUTES, DIM, BRIGHT, "s-curve")
    rest = plan_fade(curve, 300.0, ZIGBEE, 1.0)
    assert rest[0].at == 300.0
    assert worst_error(curve, rest, ZIGBEE, 300.0) <= ONE_PERCENT + 1e-4


def test_a_fade_that_has_not_started_begins_at_its_start() -> None:
    fade = LightFade(50.0, 110.0, DIM, BRIGHT, "linear")
    assert plan_fade(fade, 20.0, ZIGBEE, 1.0) == [LightStep(50.0, BRIGHT, 60.0)]


def test_colour_fades_stay_within_one_percent_per_channel() -> None:
    red, blue = (
        LightLevel(True, 0.5, color=(255.0, 0.0, 0.0)),
        LightLevel(True, 0.5, color=(0.0, 0.0, 255.0)),
    )
    fade = LightFade(0.0, 600.0, red, blue, "ease-in")
    steps = plan_fade(fade, 0.0, ZIGBEE, 1.0)
    # The path bends through magenta at full value: a handful more steps than a straight one.
    assert 3 <= len(steps) <= 24
    darkest = 1.0
    for i in range(601):
        t = float(i)
        # Find the straight run the light makes at t and check every channel against the curve.
        step = max((s for s in steps if s.at <= t), key=lambda s: s.at)
        index = steps.index(step)
        start = red if index == 0 else steps[index - 1].level
        assert start.color is not None and step.level.color is not None
        share = min(1.0, (t - step.at) / step.transition_s)
        shown = [a + (b - a) * share for a, b in zip(start.color, step.level.color, strict=True)]
        want = fade.at(t).color
        assert want is not None
        for channel in range(3):
            assert abs(shown[channel] - want[channel]) <= 2.55 + 1e-6, (t, channel)
        # What a light that reads the colour's value (WLED, Shelly) emits on the way.
        darkest = min(darkest, 0.5 * max(shown) / 255.0)
    # Never the dim purple (127, 0, 127) a straight red-to-blue run passes through.
    assert darkest >= 0.5 * 0.99


def test_freeze_step_holds_without_transition() -> None:
    assert freeze_step(DIM, 12.5) == LightStep(12.5, DIM, 0.0)


@settings(max_examples=40, deadline=None)
@given(
    b0=st.floats(0.0, 1.0),
    b1=st.floats(0.0, 1.0),
    m0=st.floats(153.0, 500.0),
    m1=st.floats(153.0, 500.0),
    easing=st.sampled_from(EASINGS),
    duration=st.floats(600.0, 3600.0),
    into=st.floats(0.0, 0.9),
    caps=st.sampled_from([ZIGBEE, WLED, SHELLY, HA_JSON, TASMOTA, PLAIN]),
)
def test_every_plan_stays_within_one_percent_of_the_curve(
    b0: float,
    b1: float,
    m0: float,
    m1: float,
    easing: Easing,
    duration: float,
    into: float,
    caps: Capabilities,
) -> None:
    fade = LightFade(0.0, duration, LightLevel(True, b0, m0), LightLevel(True, b1, m1), easing)
    now = into * duration
    steps = plan_fade(fade, now, caps, 1.2)
    assert worst_error(fade, steps, caps, now, samples=400) <= ONE_PERCENT + 1e-3
    if not uses_native_fades(caps):
        assert len(steps) <= travel_percent(fade, caps) + 2
