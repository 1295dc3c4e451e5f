"""A Tasmota light.

Source: the Tasmota command reference (tasmota.github.io/docs/Commands, "Light" and
"Control") and its MQTT page. Commands go to `cmnd/<topic>/<Command>`; one `Backlog`
runs several in order, 200 ms apart by default (SetOption34). Used here: `Power ON|OFF`,
`Dimmer 0..100` (0 would switch off, so an on level is at least 1), `CT 153..500`
(mireds), `Color2 r,g,b` (a colour that keeps the current dimmer; plain `Color` would
set the dimmer from the strongest channel and flash), `Fade 0` and `Speed2 1..40`: a
fade for the next change only, in 0.5 s units for a full 0-100 % change. A Backlog
runs its commands 200 ms apart, and a change made without fade while a fade runs
jumps to the end of it. So an instant command is `Fade 0; Dimmer; CT|Color2; Power
ON` (the dimmer lands 200 ms in; Power ON last, for lights set by SetOption20 not to
switch on with a dimmer change), and a softened one is `Power ON; CT|Color2; Speed2 N;
Dimmer` (Speed2 spent by the dimmer, nothing after it). Every off is `Fade 0; Power
OFF`. Health is the
retained LWT `tele/<topic>/LWT` (`Online`/`Offline`); state arrives as JSON on
`stat/<topic>/RESULT` and `tele/<topic>/STATE`, and an empty `cmnd/<topic>/State` asks
for it. `stat/<topic>/POWER` says ON or OFF alone, on every power change and on boot
(the state PowerOnState leaves it in).

Maximum native transition: 20 s (`Speed2 40`) for a full 0-100 % change. Speed is a
slew rate (unless SetOption117 is set): Tasmota fades for Speed x 0.5 s x the largest
PWM channel change, so a small change finishes sooner. The adapter remembers the level
it last commanded and picks the Speed2 that makes each change last the time asked (a
1 % change can last at most 0.2 s). Too short and too loose for session fades: the
planner steps Tasmota lights in just-noticeable steps and uses Speed2 only to soften
each step.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, ClassVar, Literal, Self

from roomctl.api.messages import Message
from roomctl.core.levels import LightLevel, Rgb
from roomctl.devices._color import hs_to_rgb, normalized, parse_hex
from roomctl.devices._convert import (
    as_float,
    brightness_units,
    json_object,
    mireds_units,
    rgb_bytes,
    text,
)
from roomctl.devices.base import (
    DeviceEcho,
    DeviceHealth,
    DeviceType,
    LightAdapter,
    Network,
    expect_spec,
    light_capabilities,
)
from roomctl.devices.spec import ALL_CAPABILITIES, Capability, LightSpec, Topic

_LOGGER = logging.getLogger(__name__)

DIMMER_FULL = 100
# Speed2 counts half seconds for a full-range fade, up to 40.
SPEED_UNIT_S = 0.5
SPEED_MAX = 40
MAX_TRANSITION_S = SPEED_MAX * SPEED_UNIT_S
# CT takes 153 (cold) to 500 (warm) mireds.
MIREDS_RANGE = (153.0, 500.0)
# A Backlog of five commands takes 0.8 s to run (200 ms between commands), so one
# Backlog a second per light keeps its queue empty.
DEFAULT_RATE_HZ = 1.0
_HSB_PARTS = 3
_RGB_PARTS = 3


class TasmotaSpec(LightSpec):
    """A Tasmota light: commands go to cmnd/<topic>/<Command>."""

    DEFAULT_CAPABILITIES: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES

    type: Literal["tasmota"]
    topic: Topic


class TasmotaLight(LightAdapter):
    """A Tasmota light: Backlog commands on `cmnd/<topic>/Backlog`."""

    def __init__(self, name: str, spec: TasmotaSpec) -> None:
        super().__init__(
            name,
            light_capabilities(
                spec,
                max_transition_s=MAX_TRANSITION_S,
                transition_step_s=SPEED_UNIT_S,
                mireds_range=MIREDS_RANGE,
                network=Network(spec.type, spec.topic),
                default_rate_hz=DEFAULT_RATE_HZ,
                brightness_step=1.0 / DIMMER_FULL,
            ),
        )
        self.topic = spec.topic
        self._echo = LightLevel(on=False)
        # The level last commanded, as the light shows it: where its next fade starts.
        self._sent: LightLevel | None = None

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec) -> Self:
        """Return the adapter for a Tasmota spec."""
        return cls(name, expect_spec(spec, TasmotaSpec))

    def command(self, level: LightLevel, transition_s: float) -> list[Message]:
        """Return one Backlog: instant (Fade 0, dimmer first) or with a softened dimmer last."""
        caps = self.capabilities
        topic = f"cmnd/{self.topic}/Backlog"
        last, self._sent = self._sent, self._shown(level)
        if not level.on:
            return [Message(topic, "Fade 0; Power OFF")]
        dimmer: list[str] = []
        if caps.brightness:
            dimmer.append(f"Dimmer {brightness_units(level.brightness, DIMMER_FULL)}")
        shade: list[str] = []
        if level.color is not None and caps.color:
            r, g, b = rgb_bytes(level.color)
            shade.append(f"Color2 {r},{g},{b}")
        elif level.mireds is not None and caps.color_temp:
            shade.append(f"CT {mireds_units(level.mireds, caps.mireds_range)}")
        speed = _speed(transition_s, _distance(last, self._sent) if last is not None else 1.0)
        if speed > 0 and (dimmer or shade):
            changes = [*shade, *dimmer]
            changes.insert(len(changes) - 1, f"Speed2 {speed}")
            return [Message(topic, "; ".join(["Power ON", *changes]))]
        return [Message(topic, "; ".join(["Fade 0", *dimmer, *shade, "Power ON"]))]

    def subscriptions(self) -> list[str]:
        """Return the LWT, command result and telemetry state topics."""
        return [
            f"tele/{self.topic}/LWT",
            f"stat/{self.topic}/RESULT",
            f"tele/{self.topic}/STATE",
            f"stat/{self.topic}/POWER",
        ]

    def parse(self, topic: str, payload: bytes) -> DeviceHealth | DeviceEcho | None:
        """Return the health in the LWT, or the level in a RESULT or STATE message."""
        if topic == f"tele/{self.topic}/LWT":
            word = text(payload).lower()
            is_word = word in ("online", "offline")
            return DeviceHealth(self.name, word == "online") if is_word else None
        if topic == f"stat/{self.topic}/POWER":
            return self._power(payload)
        if topic not in (f"stat/{self.topic}/RESULT", f"tele/{self.topic}/STATE"):
            return None
        state = json_object(payload)
        if state is None:
            _LOGGER.debug("%s: result is not a JSON object: %r", self.name, payload[:80])
            return None
        level = self._level(state)
        if level is None:
            return None
        self._echo = level
        return DeviceEcho(self.name, level)

    def _power(self, payload: bytes) -> DeviceEcho | None:
        """Return the level a bare `stat/<topic>/POWER` ON or OFF leaves the light at."""
        word = text(payload).upper()
        if word not in ("ON", "OFF"):
            return None
        self._echo = replace(self._echo, on=word == "ON")
        return DeviceEcho(self.name, self._echo)

    def refresh(self) -> list[Message]:
        """Return an empty `State` command: Tasmota answers with its state on RESULT."""
        return [Message(f"cmnd/{self.topic}/State", "")]

    def _shown(self, level: LightLevel) -> LightLevel:
        """Return a level as the light shows it: whole dimmer steps, CT in range."""
        caps = self.capabilities
        if not level.on:
            return LightLevel(on=False)
        brightness = brightness_units(level.brightness, DIMMER_FULL) / DIMMER_FULL
        if not caps.brightness:
            brightness = self._sent.brightness if self._sent is not None else 1.0
        color = level.color if caps.color else None
        mireds = level.mireds if caps.color_temp and color is None else None
        if mireds is not None:
            mireds = float(mireds_units(mireds, caps.mireds_range))
        return LightLevel(True, brightness, mireds, color)

    def _level(self, state: dict[str, Any]) -> LightLevel | None:
        power = state.get("POWER", state.get("POWER1"))
        keys = ("Dimmer", "CT", "Color", "HSBColor")
        if not isinstance(power, str) and not any(key in state for key in keys):
            return None
        last = self._echo
        on = power.upper() == "ON" if isinstance(power, str) else last.on
        dimmer = as_float(state.get("Dimmer"))
        brightness = dimmer / DIMMER_FULL if dimmer is not None else last.brightness
        mireds, color = last.mireds, last.color
        shown = _color_of(state)
        ct = as_float(state.get("CT"))
        if shown is not None:
            mireds, color = None, shown
        elif ct is not None:
            mireds, color = ct, None
        return LightLevel(on=on, brightness=min(1.0, brightness), mireds=mireds, color=color)


def _speed(transition_s: float, distance: float) -> int:
    """Return the Speed2 (0 for none) that makes a fade over `distance` last transition_s."""
    if distance <= 0.0 or transition_s <= 0.0:
        return 0
    return min(SPEED_MAX, round(transition_s / (SPEED_UNIT_S * distance)))


def _distance(source: LightLevel, target: LightLevel) -> float:
    """Return the largest PWM channel change (0..1) between two levels: what a fade travels."""
    pairs = zip(_pwm(source), _pwm(target), strict=True)
    return max(abs(a - b) for a, b in pairs)


def _pwm(level: LightLevel) -> tuple[float, float, float, float, float]:
    """Return the five channels (R, G, B, cold, warm; 0..1) Tasmota drives for a level."""
    if not level.on:
        return (0.0, 0.0, 0.0, 0.0, 0.0)
    b = level.brightness
    if level.color is not None:
        r, g, bl = (c * b / 255.0 for c in normalized(level.color) or (0.0, 0.0, 0.0))
        return (r, g, bl, 0.0, 0.0)
    low, high = MIREDS_RANGE
    mireds = level.mireds if level.mireds is not None else low
    warm = (mireds - low) / (high - low)
    cold = 1.0 - warm
    peak = max(warm, cold)
    return (0.0, 0.0, 0.0, cold / peak * b, warm / peak * b)


def _color_of(state: dict[str, Any]) -> Rgb | None:
    """Return the colour a Tasmota state shows, or None in white (CT) mode."""
    channels = _channels(state.get("Color"))
    if channels is None or max(channels) <= 0.0:
        return None
    hsb = state.get("HSBColor")
    if isinstance(hsb, str):
        parts = hsb.split(",")
        if len(parts) == _HSB_PARTS:
            try:
                return hs_to_rgb(float(parts[0]), float(parts[1]))
            except ValueError:
                pass
    return normalized(channels)


def _channels(value: object) -> Rgb | None:
    """Return the RGB channels of a Tasmota `Color` (hex, or decimal with SetOption17)."""
    if not isinstance(value, str):
        return None
    if "," in value:
        parts = value.split(",")
        if len(parts) < _RGB_PARTS:
            return None
        try:
            r, g, b = (float(p) for p in parts[:_RGB_PARTS])
        except ValueError:
            return None
        return (r, g, b)
    digits = value.strip().lstrip("#")
    return parse_hex(digits[:6]) if len(digits) >= 6 else None


DEVICE = DeviceType(spec=TasmotaSpec, adapter=TasmotaLight)
