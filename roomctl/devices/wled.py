"""A WLED strip.

Source: WLED's MQTT and JSON API documentation (kno.wled.ge/interfaces/mqtt and
/interfaces/json-api) and its firmware (wled00/json.cpp, mqtt.cpp, FX.h). Commands are
JSON API calls on `<topic>/api`: `on`, `bri` 0-255 (0 means off, so an on level is at
least 1), `tt` (a transition for this call only, in 100 ms units) and `seg` with `col`
(RGB) and `cct` (accepted in kelvin, 1900-10091, since WLED 0.13). `cct` only moves a
strip's white channels, so a colour temperature also goes as its RGB white point (the
black-body fit WLED's own picker uses): RGB strips show it, white channels follow `cct`.
WLED publishes its brightness on `<topic>/g`, its primary colour as `#RRGGBB` (or
`#WWRRGGBB`) on `<topic>/c`, and `online`/`offline` (retained, also its last will) on
`<topic>/status`. MQTT offers no state query, so `refresh` sends nothing.

Maximum native transition: 65.5 s. The JSON field takes up to 65535 units, but the
firmware multiplies `tt` by 100 into a 16-bit millisecond count (`setTransition(uint16_t)`),
so anything above 655 units would wrap around; we clamp at 655.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal, Self

from roomctl.api.messages import Message
from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel, kelvin_to_mireds, mireds_to_kelvin
from roomctl.devices._color import kelvin_to_rgb, parse_hex
from roomctl.devices._convert import brightness_units, clamp, quantize, rgb_bytes, text
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

BRIGHTNESS_FULL = 255
# `tt` counts tenths of a second; the firmware keeps milliseconds in 16 bits.
TRANSITION_STEP_S = 0.1
MAX_TRANSITION_S = 65.5
# `cct` in kelvin: WLED accepts 1900-10091 K and maps it onto the strip's white range.
KELVIN_RANGE = (1900.0, 10091.0)
MIREDS_RANGE = (kelvin_to_mireds(KELVIN_RANGE[1]), kelvin_to_mireds(KELVIN_RANGE[0]))
# Each strip is its own Wi-Fi device; fades run natively, so two commands a second is
# plenty and keeps an ESP8266 from stalling its LED output while it parses JSON.
DEFAULT_RATE_HZ = 2.0


class WledSpec(LightSpec):
    """A WLED strip: JSON API commands go to <topic>/api."""

    DEFAULT_CAPABILITIES: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES

    type: Literal["wled"]
    topic: Topic


class WledLight(LightAdapter):
    """A WLED strip: JSON API calls on `<topic>/api`."""

    def __init__(self, name: str, spec: WledSpec) -> None:
        super().__init__(
            name,
            light_capabilities(
                spec,
                max_transition_s=MAX_TRANSITION_S,
                transition_step_s=TRANSITION_STEP_S,
                mireds_range=MIREDS_RANGE,
                network=Network(spec.type, spec.topic),
                default_rate_hz=DEFAULT_RATE_HZ,
                brightness_step=1.0 / BRIGHTNESS_FULL,
            ),
        )
        self.topic = spec.topic
        self._echo = LightLevel(on=False)

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec) -> Self:
        """Return the adapter for a WLED spec."""
        return cls(name, expect_spec(spec, WledSpec))

    def command(self, level: LightLevel, transition_s: float) -> list[Message]:
        """Return the `<topic>/api` JSON call for a level."""
        caps = self.capabilities
        topic = f"{self.topic}/api"
        if not level.on:
            return [Message(topic, compact_json({"on": False, "tt": 0}))]
        payload: dict[str, Any] = {"on": True}
        if caps.brightness:
            payload["bri"] = brightness_units(level.brightness, BRIGHTNESS_FULL)
        tenths = quantize(transition_s, TRANSITION_STEP_S, MAX_TRANSITION_S) / TRANSITION_STEP_S
        payload["tt"] = round(tenths)
        if level.color is not None and caps.color:
            payload["seg"] = [{"col": [list(rgb_bytes(level.color))]}]
        elif level.mireds is not None and caps.color_temp:
            kelvin = clamp(mireds_to_kelvin(level.mireds), KELVIN_RANGE[0], KELVIN_RANGE[1])
            white = list(rgb_bytes(kelvin_to_rgb(kelvin)))
            payload["seg"] = [{"col": [white], "cct": round(kelvin)}]
        return [Message(topic, compact_json(payload))]

    def subscriptions(self) -> list[str]:
        """Return the status, brightness and colour topics."""
        return [f"{self.topic}/status", f"{self.topic}/g", f"{self.topic}/c"]

    def parse(self, topic: str, payload: bytes) -> DeviceHealth | DeviceEcho | None:
        """Return the health on `status`, or the level after a `g` or `c` message."""
        word = text(payload)
        if topic == f"{self.topic}/status":
            if word in ("online", "offline"):
                return DeviceHealth(self.name, word == "online")
            return None
        last = self._echo
        if topic == f"{self.topic}/g":
            try:
                bri = int(word)
            except ValueError:
                _LOGGER.debug("%s: brightness is not a number: %r", self.name, word[:40])
                return None
            on = bri > 0
            brightness = min(1.0, bri / BRIGHTNESS_FULL) if on else last.brightness
            level = LightLevel(on, brightness, last.mireds, last.color)
        elif topic == f"{self.topic}/c":
            rgb = parse_hex(word)
            if rgb is None:
                return None
            # Black on the colour channels means the strip shows its white (CCT) channel.
            color = rgb if max(rgb) > 0.0 else None
            mireds = last.mireds if color is None else None
            level = LightLevel(last.on, last.brightness, mireds, color)
        else:
            return None
        self._echo = level
        return DeviceEcho(self.name, level)


DEVICE = DeviceType(spec=WledSpec, adapter=WledLight)
