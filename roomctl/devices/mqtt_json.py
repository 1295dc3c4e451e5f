"""A light that speaks Home Assistant's MQTT JSON light schema.

Source: Home Assistant's MQTT Light documentation (home-assistant.io/integrations/
light.mqtt, "JSON schema") and its light service (transition clamped to 0..6553 s). A
command is one JSON object on `command_topic`: `state` ON/OFF, `brightness` 0-255 (the
schema's default brightness_scale), `color_temp` in mireds, `color` as `{"r","g","b"}`
and `transition` in seconds. The device reports the same fields, plus `color_mode`, on
`state_topic`, and `online`/`offline` on `availability_topic`. The schema has no state
query, so `refresh` sends nothing.

Maximum native transition: 6553 s, the longest Home Assistant itself ever sends, so a
device written for the schema is sure to take it. An off carries `transition: 0`: the
schema's lights (ESPHome among them) otherwise apply their default transition to it.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal, Self

from roomctl.api.messages import Message
from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel, Rgb
from roomctl.devices._color import hs_to_rgb, xy_to_rgb
from roomctl.devices._convert import (
    as_float,
    brightness_units,
    json_object,
    mireds_units,
    number,
    quantize,
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

BRIGHTNESS_FULL = 255
MAX_TRANSITION_S = 6553.0
TRANSITION_STEP_S = 0.1
# Home Assistant's default min_mireds and max_mireds for a light.
MIREDS_RANGE = (153.0, 500.0)
# Each light is its own device on the broker and runs fades natively; two commands a
# second is plenty.
DEFAULT_RATE_HZ = 2.0
_COLOR_MODES = ("rgb", "xy", "hs", "rgbw", "rgbww")


class MqttJsonSpec(LightSpec):
    """A Home Assistant MQTT JSON light."""

    DEFAULT_CAPABILITIES: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES

    type: Literal["mqtt_json"]
    command_topic: Topic
    state_topic: Topic | None = None
    availability_topic: Topic | None = None


class MqttJsonLight(LightAdapter):
    """A Home Assistant JSON-schema light: one JSON object per command."""

    def __init__(self, name: str, spec: MqttJsonSpec) -> None:
        super().__init__(
            name,
            light_capabilities(
                spec,
                max_transition_s=MAX_TRANSITION_S,
                transition_step_s=TRANSITION_STEP_S,
                mireds_range=MIREDS_RANGE,
                network=Network(spec.type, spec.command_topic),
                default_rate_hz=DEFAULT_RATE_HZ,
                brightness_step=1.0 / BRIGHTNESS_FULL,
            ),
        )
        self.command_topic = spec.command_topic
        self.state_topic = spec.state_topic
        self.availability_topic = spec.availability_topic
        self.has_availability = spec.availability_topic is not None
        self._echo = LightLevel(on=False)

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec) -> Self:
        """Return the adapter for an MQTT JSON spec."""
        return cls(name, expect_spec(spec, MqttJsonSpec))

    def command(self, level: LightLevel, transition_s: float) -> list[Message]:
        """Return the JSON command for a level."""
        caps = self.capabilities
        if not level.on:
            return [Message(self.command_topic, compact_json({"state": "OFF", "transition": 0}))]
        payload: dict[str, Any] = {"state": "ON"}
        if caps.brightness:
            payload["brightness"] = brightness_units(level.brightness, BRIGHTNESS_FULL)
        if level.color is not None and caps.color:
            r, g, b = rgb_bytes(level.color)
            payload["color"] = {"r": r, "g": g, "b": b}
        elif level.mireds is not None and caps.color_temp:
            payload["color_temp"] = mireds_units(level.mireds, caps.mireds_range)
        payload["transition"] = number(quantize(transition_s, TRANSITION_STEP_S, MAX_TRANSITION_S))
        return [Message(self.command_topic, compact_json(payload))]

    def subscriptions(self) -> list[str]:
        """Return the state and availability topics the spec names."""
        return [t for t in (self.state_topic, self.availability_topic) if t is not None]

    def parse(self, topic: str, payload: bytes) -> DeviceHealth | DeviceEcho | None:
        """Return the health on the availability topic or the level on the state topic."""
        if topic == self.availability_topic:
            word = text(payload)
            if word in ("online", "offline"):
                return DeviceHealth(self.name, word == "online")
            return None
        if topic != self.state_topic:
            return None
        state = json_object(payload)
        if state is None:
            _LOGGER.debug("%s: state is not a JSON object: %r", self.name, payload[:80])
            return None
        level = self._level(state)
        if level is None:
            return None
        self._echo = level
        return DeviceEcho(self.name, level)

    def _level(self, state: dict[str, Any]) -> LightLevel | None:
        if not any(key in state for key in ("state", "brightness", "color_temp", "color")):
            return None
        last = self._echo
        on = state["state"].upper() == "ON" if isinstance(state.get("state"), str) else last.on
        raw = as_float(state.get("brightness"))
        brightness = raw / BRIGHTNESS_FULL if raw is not None else last.brightness
        mireds, color = last.mireds, last.color
        mode = state.get("color_mode")
        temp = as_float(state.get("color_temp"))
        shown = _color_of(state.get("color"))
        if temp is not None and (mode == "color_temp" or (mode is None and shown is None)):
            mireds, color = temp, None
        elif shown is not None and (mode in _COLOR_MODES or mode is None):
            mireds, color = None, shown
        return LightLevel(on=on, brightness=min(1.0, brightness), mireds=mireds, color=color)


def _color_of(value: object) -> Rgb | None:
    """Return the colour in a JSON-schema `color` object: r/g/b, x/y or h/s."""
    if not isinstance(value, dict):
        return None
    r, g, b = (as_float(value.get(k)) for k in ("r", "g", "b"))
    if r is not None and g is not None and b is not None:
        return (r, g, b)
    x, y = as_float(value.get("x")), as_float(value.get("y"))
    if x is not None and y is not None:
        return xy_to_rgb(x, y)
    h, s = as_float(value.get("h")), as_float(value.get("s"))
    if h is not None and s is not None:
        return hs_to_rgb(h, s)
    return None


DEVICE = DeviceType(spec=MqttJsonSpec, adapter=MqttJsonLight)
