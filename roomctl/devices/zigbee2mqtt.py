"""A Zigbee light behind zigbee2mqtt.

Source: the zigbee2mqtt MQTT topics and messages documentation (zigbee2mqtt.io, "MQTT
topics and messages" and the light device pages) and zigbee-herdsman-converters' light
converters. Commands are JSON on `<topic>/set`: `state` ON/OFF, `brightness` 0-254,
`color_temp` in mireds, `color` as `{"hex": "#rrggbb"}`, `transition` in seconds.
Availability is `<topic>/availability`: `{"state":"online"}` (zigbee2mqtt 2.x) or the
legacy plain `online`/`offline`; it is off unless zigbee2mqtt's `availability` option is
set, and even then a mains-powered light is pinged only after 10 minutes of silence, so a
power cycle seldom shows there. What does show it is the Zigbee device announce a bulb
sends when it boots: zigbee2mqtt publishes `{"type": "device_announce", "data":
{"friendly_name": ...}}` on `<base>/bridge/event` and then reads and publishes the
bulb's state. The base topic is taken to be the first level of `<topic>` (zigbee2mqtt's
default `zigbee2mqtt`). State is published as JSON on `<topic>`; `<topic>/get` asks the
light to report it.

Maximum native transition: 6553.5 s. The Zigbee Cluster Library carries a transition as
a 16-bit count of tenths of a second, so zigbee2mqtt rounds to 0.1 s and stops there.
An off never carries a transition: with one, zigbee2mqtt switches off through
moveToLevelWithOnOff and the light forgets its level; plain OFF keeps it.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal, Self

from roomctl.api.messages import Message
from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel, Rgb
from roomctl.devices._color import hs_to_rgb, parse_hex, to_hex, xy_to_rgb
from roomctl.devices._convert import (
    as_float,
    brightness_units,
    json_object,
    mireds_units,
    number,
    quantize,
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

BRIGHTNESS_FULL = 254
# ZCL transition time: uint16 tenths of a second.
MAX_TRANSITION_S = 6553.5
TRANSITION_STEP_S = 0.1
# zigbee2mqtt's own documentation of color_temp on most bulbs; the light clamps further.
MIREDS_RANGE = (153.0, 500.0)
# A Zigbee network takes about 5 commands a second before its queues back up; every
# zigbee2mqtt light of a room shares that budget.
DEFAULT_RATE_HZ = 5.0


class Zigbee2MqttSpec(LightSpec):
    """A Zigbee light behind zigbee2mqtt: commands go to <topic>/set."""

    DEFAULT_CAPABILITIES: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES

    type: Literal["zigbee2mqtt"]
    topic: Topic


class Zigbee2MqttLight(LightAdapter):
    """A zigbee2mqtt light: JSON on `<topic>/set`, state on `<topic>`."""

    def __init__(self, name: str, spec: Zigbee2MqttSpec) -> None:
        super().__init__(
            name,
            light_capabilities(
                spec,
                max_transition_s=MAX_TRANSITION_S,
                transition_step_s=TRANSITION_STEP_S,
                mireds_range=MIREDS_RANGE,
                network=Network(spec.type),
                default_rate_hz=DEFAULT_RATE_HZ,
                brightness_step=1.0 / BRIGHTNESS_FULL,
            ),
        )
        self.topic = spec.topic
        base, _, self.friendly_name = spec.topic.partition("/")
        self.bridge_events = f"{base}/bridge/event"
        self._echo = LightLevel(on=False)

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec) -> Self:
        """Return the adapter for a zigbee2mqtt spec."""
        return cls(name, expect_spec(spec, Zigbee2MqttSpec))

    def command(self, level: LightLevel, transition_s: float) -> list[Message]:
        """Return the `<topic>/set` message for a level."""
        caps = self.capabilities
        if not level.on:
            return [Message(f"{self.topic}/set", compact_json({"state": "OFF"}))]
        payload: dict[str, Any] = {"state": "ON"}
        if caps.brightness:
            payload["brightness"] = brightness_units(level.brightness, BRIGHTNESS_FULL)
        if level.color is not None and caps.color:
            payload["color"] = {"hex": to_hex(level.color)}
        elif level.mireds is not None and caps.color_temp:
            payload["color_temp"] = mireds_units(level.mireds, caps.mireds_range)
        payload["transition"] = number(quantize(transition_s, TRANSITION_STEP_S, MAX_TRANSITION_S))
        return [Message(f"{self.topic}/set", compact_json(payload))]

    def subscriptions(self) -> list[str]:
        """Return the state and availability topics, and the bridge's events (announces)."""
        return [self.topic, f"{self.topic}/availability", self.bridge_events]

    def parse(self, topic: str, payload: bytes) -> DeviceHealth | DeviceEcho | None:
        """Return the health in an availability message or the level in a state message."""
        if topic == f"{self.topic}/availability":
            return self._availability(payload)
        if topic == self.bridge_events:
            return self._announce(payload)
        if topic != self.topic:
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

    def refresh(self) -> list[Message]:
        """Return a `<topic>/get` asking for the attributes the light has."""
        wanted: dict[str, str] = {"state": ""}
        if self.capabilities.brightness:
            wanted["brightness"] = ""
        if self.capabilities.color_temp:
            wanted["color_temp"] = ""
        if self.capabilities.color:
            wanted["color"] = ""
        return [Message(f"{self.topic}/get", compact_json(wanted))]

    def _announce(self, payload: bytes) -> DeviceHealth | None:
        """Return a rejoin when the bridge says this light announced itself (it booted)."""
        event = json_object(payload)
        if event is None or event.get("type") != "device_announce":
            return None
        data = event.get("data")
        if not isinstance(data, dict) or data.get("friendly_name") != self.friendly_name:
            return None
        return DeviceHealth(self.name, True, rejoined=True)

    def _availability(self, payload: bytes) -> DeviceHealth | None:
        document = json_object(payload)
        word = document.get("state") if document is not None else text(payload)
        if word == "online":
            return DeviceHealth(self.name, True)
        if word == "offline":
            return DeviceHealth(self.name, False)
        return None

    def _level(self, state: dict[str, Any]) -> LightLevel | None:
        if not any(key in state for key in ("state", "brightness", "color_temp", "color")):
            return None
        last = self._echo
        on = last.on
        if isinstance(state.get("state"), str):
            on = state["state"].upper() == "ON"
        raw = as_float(state.get("brightness"))
        brightness = raw / BRIGHTNESS_FULL if raw is not None else last.brightness
        mireds, color = last.mireds, last.color
        mode = state.get("color_mode")
        temp = as_float(state.get("color_temp"))
        shown = _color_of(state.get("color"))
        if mode == "color_temp" or (mode is None and temp is not None and shown is None):
            mireds, color = (temp, None) if temp is not None else (mireds, None)
        elif shown is not None:
            mireds, color = None, shown
        return LightLevel(on=on, brightness=min(1.0, brightness), mireds=mireds, color=color)


def _color_of(value: object) -> Rgb | None:
    """Return the colour in a zigbee2mqtt `color` object: xy, hue/saturation, rgb or hex."""
    if not isinstance(value, dict):
        return None
    x, y = as_float(value.get("x")), as_float(value.get("y"))
    if x is not None and y is not None:
        return xy_to_rgb(x, y)
    hue, sat = as_float(value.get("hue")), as_float(value.get("saturation"))
    if hue is not None and sat is not None:
        return hs_to_rgb(hue, sat)
    r, g, b = (as_float(value.get(k)) for k in ("r", "g", "b"))
    if r is not None and g is not None and b is not None:
        return (r, g, b)
    if isinstance(value.get("hex"), str):
        return parse_hex(value["hex"])
    return None


DEVICE = DeviceType(spec=Zigbee2MqttSpec, adapter=Zigbee2MqttLight)
