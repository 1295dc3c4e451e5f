"""The fade planner's cost: a phase boundary plans every light of a room at once."""

from __future__ import annotations

import pytest

from roomctl.core.easing import Easing, ease
from roomctl.core.levels import LightFade, LightLevel
from roomctl.devices import curve_fit, fade_plan
from roomctl.devices.fade_plan import plan_fade
from roomctl.devices.registry import adapter_for
from roomctl.devices.zigbee2mqtt import Zigbee2MqttSpec

ZIGBEE = adapter_for("c", Zigbee2MqttSpec(type="zigbee2mqtt", topic="z/c")).capabilities
TWENTY_MINUTES = 1200.0
# A twenty-minute S-curve fits in six segments; locating each end to 2^-20 of the fade
# takes 20 bisection steps of up to 31 samples: about 2,500 evaluations in all. Locating
# them to 2^-40 (a precision no light can show) took about 5,000.
MAX_EVALUATIONS = 3500


def test_an_s_curve_plan_takes_a_few_thousand_easing_evaluations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0

    def counted(easing: Easing, x: float) -> float:
        nonlocal calls
        calls += 1
        return ease(easing, x)

    monkeypatch.setattr(fade_plan, "ease", counted)
    monkeypatch.setattr(curve_fit, "ease", counted)
    curve_fit.fit.cache_clear()
    fade = LightFade(
        0.0, TWENTY_MINUTES, LightLevel(True, 0.05, 333.0), LightLevel(True, 1.0, 333.0), "s-curve"
    )
    # Planned a little after the fade's start, as a late timer does: no cached knots.
    steps = plan_fade(fade, 0.0123, ZIGBEE, 0.2)
    assert 5 <= len(steps) <= 8
    assert steps[-1].level == fade.target
    assert 1000 < calls <= MAX_EVALUATIONS
