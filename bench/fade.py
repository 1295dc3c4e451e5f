"""Count the messages a 20-minute fade costs per light type and easing, and how close it stays.

Pure: roomctl's fade planner (plan_fade) and each type's adapter give the commands a
light gets for one fade from 5 % to 100 % at a fixed colour temperature. Each command
starts a straight ramp from where the light is to its level over its transition (as the
simulated lights play them); the largest gap between that path and the eased curve,
sampled finely, is the fade's error in % of full brightness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, get_args

from bench.rooms import ECONOMY_FADE_S, LIVE_ECONOMY_SOURCE, LIVE_ECONOMY_TARGET
from roomctl.core.easing import Easing, ease
from roomctl.core.levels import LightFade, LightLevel, kelvin_to_mireds
from roomctl.devices.base import LightAdapter
from roomctl.devices.fade_plan import LightStep, plan_fade, uses_native_fades
from roomctl.devices.registry import adapter_for
from roomctl.models.room import RoomPreset

# The hand-made fader the target compares with: one command a second.
ONE_PER_SECOND = round(ECONOMY_FADE_S)
# Samples of the light's path when measuring a fade's error: every 0.3 s of 20 minutes.
ERROR_SAMPLES = 4000
# A fade is within the target's 1 % when its error is no larger than this, in % of full
# brightness (the planner fits within 1 %; floating point adds nothing visible).
MAX_ERROR_PCT = 1.0
_KELVIN = 3000.0
# One light of each type, with the wire formats of the contract.
LIGHT_SPECS: dict[str, dict[str, Any]] = {
    "zigbee2mqtt": {"type": "zigbee2mqtt", "topic": "z"},
    "tasmota": {"type": "tasmota", "topic": "t"},
    "wled": {"type": "wled", "topic": "w"},
    "shelly": {"type": "shelly", "topic": "s", "mode": "rgb"},
    "mqtt_json": {"type": "mqtt_json", "command_topic": "m/set", "state_topic": "m"},
}


@dataclass(frozen=True)
class FadeCost:
    """What one fade costs one light: commands, MQTT messages, closeness and pacing."""

    light_type: str
    easing: str
    native: bool
    commands: int
    messages: int
    error_pct: float
    min_interval_s: float
    rate_hz: float

    def meets_target(self) -> bool:
        """Tell whether the fade meets issue 6's target for its kind of light."""
        if self.native:
            return self.error_pct <= MAX_ERROR_PCT
        travelled = round((LIVE_ECONOMY_TARGET - LIVE_ECONOMY_SOURCE) * 100)
        paced = self.min_interval_s >= 1.0 / self.rate_hz - 1e-6
        return self.commands <= travelled and paced

    def as_dict(self) -> dict[str, Any]:
        """Return the cost as JSON-able data."""
        return {
            "type": self.light_type,
            "easing": self.easing,
            "native_transition": self.native,
            "commands": self.commands,
            "messages": self.messages,
            "vs_one_per_second": round(self.messages / ONE_PER_SECOND, 4),
            "max_error_pct": round(self.error_pct, 3),
            "min_interval_s": round(self.min_interval_s, 3),
            "network_rate_hz": self.rate_hz,
            "meets_target": self.meets_target(),
        }


def adapters() -> dict[str, LightAdapter]:
    """Return one adapter of each light type."""
    room = RoomPreset.model_validate({"id": "bench-fade", "devices": LIGHT_SPECS})
    return {name: adapter_for(name, spec) for name, spec in room.lights().items()}


def economy_fade(easing: Easing, duration_s: float = ECONOMY_FADE_S) -> LightFade:
    """Return the bench's fade: 5 % to 100 % at 3000 K over `duration_s`, from time 0."""
    mireds = kelvin_to_mireds(_KELVIN)
    return LightFade(
        0.0,
        duration_s,
        LightLevel(True, LIVE_ECONOMY_SOURCE, mireds),
        LightLevel(True, LIVE_ECONOMY_TARGET, mireds),
        easing,
    )


def plan(adapter: LightAdapter, fade: LightFade) -> list[LightStep]:
    """Return the steps the daemon plans for one light alone on its network."""
    caps = adapter.capabilities
    return plan_fade(fade, fade.start, caps, 1.0 / caps.default_rate_hz)


def _error_pct(fade: LightFade, steps: list[LightStep]) -> float:
    """Return the largest gap between the light's path and the eased curve, in %."""
    worst = 0.0
    index = 0
    ramp = (fade.start, fade.start, fade.source.brightness, fade.source.brightness)
    duration = fade.end - fade.start
    for k in range(ERROR_SAMPLES + 1):
        t = fade.start + duration * k / ERROR_SAMPLES
        while index < len(steps) and steps[index].at <= t:
            step = steps[index]
            here = _on_ramp(ramp, step.at)
            ramp = (step.at, step.at + step.transition_s, here, step.level.brightness)
            index += 1
        ideal = fade.source.brightness + (fade.target.brightness - fade.source.brightness) * ease(
            fade.easing, k / ERROR_SAMPLES
        )
        worst = max(worst, abs(_on_ramp(ramp, t) - ideal))
    return worst * 100.0


def _on_ramp(ramp: tuple[float, float, float, float], t: float) -> float:
    start, end, a, b = ramp
    if t >= end or end <= start:
        return b
    return a + (b - a) * (t - start) / (end - start)


def fade_costs() -> list[FadeCost]:
    """Return the cost of the bench's 20-minute fade for every light type and easing."""
    costs: list[FadeCost] = []
    for light_type, adapter in adapters().items():
        caps = adapter.capabilities
        for easing in get_args(Easing):
            fade = economy_fade(easing)
            steps = plan(adapter, fade)
            gaps = [b.at - a.at for a, b in pairwise(steps)]
            costs.append(
                FadeCost(
                    light_type=light_type,
                    easing=easing,
                    native=uses_native_fades(caps),
                    commands=len(steps),
                    messages=sum(len(adapter.command(s.level, s.transition_s)) for s in steps),
                    error_pct=_error_pct(fade, steps),
                    min_interval_s=min(gaps, default=math.inf),
                    rate_hz=caps.default_rate_hz,
                )
            )
    return costs
