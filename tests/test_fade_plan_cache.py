"""The plan cache: a fresh fade's plan is its shape's plan from its start, shifted in time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from roomctl.core.easing import Easing
from roomctl.core.levels import LightFade, LightLevel
from roomctl.devices import Capabilities, LightStep, Network, adapter_for, plan_fade
from roomctl.devices.plan_cache import FRESH_S, PlanCache
from roomctl.devices.tasmota import TasmotaSpec
from roomctl.devices.zigbee2mqtt import Zigbee2MqttSpec

ZIGBEE = adapter_for("c", Zigbee2MqttSpec(type="zigbee2mqtt", topic="z/c")).capabilities
TASMOTA = adapter_for("l", TasmotaSpec(type="tasmota", topic="lamp")).capabilities
T0 = 1_800_000_000.0
# Another room's phase starts this much later: its plan is the same, shifted.
LATER = 1.7
DIM = LightLevel(True, 0.2, 370.0)
BRIGHT = LightLevel(True, 0.8, 250.0)
INTERVAL_S = 0.4


def _fade(start: float, easing: Easing = "s-curve") -> LightFade:
    return LightFade(start, start + 12.0, DIM, BRIGHT, easing)


def _pairs(steps: list[LightStep]) -> list[tuple[float, LightLevel, float]]:
    return [(s.at, s.level, s.transition_s) for s in steps]


@pytest.mark.parametrize("caps", [ZIGBEE, TASMOTA])
def test_a_hit_returns_the_same_plan_shifted_in_time(caps: Capabilities) -> None:
    cache = PlanCache()
    first = cache.queue(_fade(T0), T0, caps, INTERVAL_S).remaining()
    assert _pairs(first) == _pairs(plan_fade(_fade(T0), T0, caps, INTERVAL_S))
    # Another light of another network (room), the same kind: the same plan, later.
    other_caps = replace(caps, network=Network("another-room"))
    again = cache.queue(_fade(T0 + LATER), T0 + LATER, other_caps, INTERVAL_S).remaining()
    assert (cache.hits, cache.misses) == (1, 1)
    assert len(again) == len(first) > 1
    for a, b in zip(first, again, strict=True):
        assert b.at == pytest.approx(a.at + LATER, abs=1e-6)
        assert (b.level, b.transition_s) == (a.level, a.transition_s)


def test_a_room_woken_late_sends_its_first_step_now_and_keeps_the_rest_on_time() -> None:
    cache = PlanCache()
    on_time = cache.queue(_fade(T0), T0, ZIGBEE, INTERVAL_S).remaining()
    late = FRESH_S / 2
    steps = cache.queue(_fade(T0), T0 + late, ZIGBEE, INTERVAL_S).remaining()
    assert cache.hits == 1
    assert steps[0].at == T0 + late
    assert steps[0].level == on_time[0].level
    # The first transition ends where it did: the later steps are untouched.
    assert steps[0].at + steps[0].transition_s == pytest.approx(on_time[1].at)
    assert _pairs(steps[1:]) == _pairs(on_time[1:])


def test_a_different_fade_or_light_misses() -> None:
    cache = PlanCache()
    cache.queue(_fade(T0), T0, ZIGBEE, INTERVAL_S).remaining()
    linear = cache.queue(_fade(T0, "linear"), T0, ZIGBEE, INTERVAL_S).remaining()
    stepped = cache.queue(_fade(T0), T0, TASMOTA, INTERVAL_S).remaining()
    assert (cache.hits, cache.misses) == (0, 3)
    assert _pairs(linear) == _pairs(plan_fade(_fade(T0, "linear"), T0, ZIGBEE, INTERVAL_S))
    assert _pairs(stepped) == _pairs(plan_fade(_fade(T0), T0, TASMOTA, INTERVAL_S))
    assert len(linear) != len(stepped)


def test_a_fade_joined_later_is_planned_from_now() -> None:
    cache = PlanCache()
    mid = T0 + 5.0  # a resume or a light that came back: not a fresh fade
    steps = cache.queue(_fade(T0), mid, ZIGBEE, INTERVAL_S).remaining()
    assert (cache.hits, cache.misses) == (0, 0)
    assert _pairs(steps) == _pairs(plan_fade(_fade(T0), mid, ZIGBEE, INTERVAL_S))


def test_the_least_recently_used_plan_goes_first() -> None:
    cache = PlanCache(size=1)
    cache.queue(_fade(T0), T0, ZIGBEE, INTERVAL_S).remaining()
    cache.queue(_fade(T0, "linear"), T0, ZIGBEE, INTERVAL_S).remaining()
    cache.queue(_fade(T0), T0, ZIGBEE, INTERVAL_S).remaining()
    assert (cache.hits, cache.misses) == (0, 3)


def test_a_room_woken_after_the_plans_second_step_plans_from_now() -> None:
    cache = PlanCache()
    on_time = cache.queue(_fade(T0), T0, TASMOTA, INTERVAL_S).remaining()
    past = on_time[1].at + 0.01
    assert past - T0 < FRESH_S
    steps = cache.queue(_fade(T0), past, TASMOTA, INTERVAL_S).remaining()
    assert _pairs(steps) == _pairs(plan_fade(_fade(T0), past, TASMOTA, INTERVAL_S))
    assert steps[0].at == past
