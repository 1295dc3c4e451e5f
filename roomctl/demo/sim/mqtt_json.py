"""A light on Home Assistant's MQTT JSON schema: JSON commands in, retained JSON state out."""

from __future__ import annotations

import json
import logging
from typing import Any, Self

from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel, Rgb
from roomctl.demo.sim._color import hs_to_rgb, normalized, xy_to_rgb
from roomctl.demo.sim._device import SimDevice
from roomctl.demo.sim._json import is_number
from roomctl.devices.base import expect_spec
from roomctl.devices.mqtt_json import MqttJsonSpec
from roomctl.devices.spec import LightSpec

_LOGGER = logging.getLogger(__name__)

# Home Assistant's default `brightness_scale`: brightness travels as 0-255.
BRIGHTNESS_SCALE = 255
# The colour-temperature range Home Assistant assumes for an MQTT light (min/max_mireds).
MIREDS_MIN = 153
MIREDS_MAX = 500
ONLINE = "online"
OFFLINE = "offline"


class SimulatedMqttJson(SimDevice):
    """A colour light with colour temperature on the JSON schema, with native transitions.

    Modelled on Home Assistant's MQTT light documentation (JSON schema): the firmware
    publishes its target state, retained, as soon as it takes a command.
    """

    kind = "mqtt_json"

    def __init__(
        self,
        name: str,
        broker_url: str,
        command_topic: str,
        state_topic: str | None = None,
        availability_topic: str | None = None,
    ) -> None:
        self.command_topic = command_topic
        self.state_topic = state_topic
        self.availability_topic = availability_topic
        self._on = False
        self._brightness = BRIGHTNESS_SCALE
        self._mireds = 370
        self._rgb: Rgb = (255.0, 255.0, 255.0)
        self._color_mode = "color_temp"
        super().__init__(name, broker_url)

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec, broker_url: str) -> Self:
        """Return the simulation of the light a room file's entry describes."""
        spec = expect_spec(spec, MqttJsonSpec)
        return cls(name, broker_url, spec.command_topic, spec.state_topic, spec.availability_topic)

    def _subscriptions(self) -> list[str]:
        return [self.command_topic]

    def _will(self) -> tuple[str, str] | None:
        return (self.availability_topic, OFFLINE) if self.availability_topic else None

    def _announce(self) -> None:
        if self.availability_topic:
            self._publish(self.availability_topic, ONLINE, retain=True)
        self._publish_state()

    def _handle(self, topic: str, payload: bytes, now: float) -> None:
        try:
            command = json.loads(payload)
        except ValueError:
            _LOGGER.warning("mqtt_json '%s': invalid JSON %r", self.name, payload[:80])
            return
        if not isinstance(command, dict):
            return
        self._apply(command)
        transition = command.get("transition")
        duration = float(transition) if is_number(transition) and transition > 0 else 0.0
        self._output.go(self._target(), duration, now)
        self._publish_state()

    def _lose_power(self) -> None:
        self._on = False

    def _by_hand(self, level: LightLevel) -> tuple[str, bytes]:
        """Return the command Home Assistant sends for `level` (no transition)."""
        brightness = round(level.brightness * BRIGHTNESS_SCALE)
        command = {"state": "ON" if level.on else "OFF", "brightness": brightness}
        return self.command_topic, compact_json(command).encode()

    def _apply(self, command: dict[str, Any]) -> None:
        state = command.get("state")
        if isinstance(state, str) and state.upper() in ("ON", "OFF"):
            self._on = state.upper() == "ON"
        brightness = command.get("brightness")
        if is_number(brightness):
            self._brightness = max(0, min(BRIGHTNESS_SCALE, round(brightness)))
        color_temp = command.get("color_temp")
        if is_number(color_temp):
            self._mireds = max(MIREDS_MIN, min(MIREDS_MAX, round(color_temp)))
            self._color_mode = "color_temp"
        rgb = _parse_color(command.get("color"))
        if rgb is not None:
            self._rgb, self._color_mode = normalized(rgb), "rgb"

    def _target(self) -> LightLevel:
        color = self._rgb if self._color_mode == "rgb" else None
        mireds = float(self._mireds) if color is None else None
        on = self._on and self._brightness > 0
        brightness = self._brightness / BRIGHTNESS_SCALE if on else 0.0
        return LightLevel(on=on, brightness=brightness, mireds=mireds, color=color)

    def _publish_state(self) -> None:
        if not self.state_topic:
            return
        state: dict[str, Any] = {
            "state": "ON" if self._on else "OFF",
            "brightness": self._brightness,
            "color_mode": self._color_mode,
        }
        if self._color_mode == "color_temp":
            state["color_temp"] = self._mireds
        else:
            state["color"] = dict(zip("rgb", (round(c) for c in self._rgb), strict=True))
        self._publish(self.state_topic, compact_json(state), retain=True)


def _parse_color(value: object) -> Rgb | None:
    """Parse the schema's colour object: {r, g, b}, {x, y} or {h, s}."""
    if not isinstance(value, dict):
        return None
    if all(is_number(value.get(k)) for k in "rgb"):
        return (float(value["r"]), float(value["g"]), float(value["b"]))
    if all(is_number(value.get(k)) for k in "xy"):
        return xy_to_rgb(float(value["x"]), float(value["y"]))
    if all(is_number(value.get(k)) for k in "hs"):
        return hs_to_rgb(float(value["h"]), float(value["s"]))
    return None
