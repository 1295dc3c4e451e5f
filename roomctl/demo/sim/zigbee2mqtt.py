"""A Zigbee light behind zigbee2mqtt: JSON on `<topic>/set`, full state echoed on `<topic>`."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Self

from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel, Rgb
from roomctl.demo.sim._color import normalized, parse_hex, rgb_to_xy, xy_to_rgb
from roomctl.demo.sim._device import SimDevice
from roomctl.demo.sim._json import is_number
from roomctl.devices.base import expect_spec
from roomctl.devices.spec import LightSpec
from roomctl.devices.zigbee2mqtt import Zigbee2MqttSpec

_LOGGER = logging.getLogger(__name__)

# Zigbee carries a transition as a 16-bit count of tenths of a second, so zigbee2mqtt
# rounds every transition to 0.1 s and the longest one a light can run is 6553.5 s.
TRANSITION_STEP_S = 0.1
MAX_TRANSITION_S = 6553.5
BRIGHTNESS_MAX = 254
# The colour-temperature range of a typical white-spectrum bulb, which clamps requests.
MIREDS_MIN = 153
MIREDS_MAX = 500
COLOR_TEMP_PRESETS = {"coolest": 153, "cool": 250, "neutral": 370, "warm": 454, "warmest": 500}
ONLINE = compact_json({"state": "online"})
OFFLINE = compact_json({"state": "offline"})


class SimulatedZigbee2Mqtt(SimDevice):
    """A zigbee2mqtt colour light with colour temperature, taking zigbee2mqtt's `set` JSON.

    Modelled on zigbee2mqtt's device pages (light exposes, `transition` option) and its
    availability feature: state echoes the target at once, transitions run on the bulb.
    """

    kind = "zigbee2mqtt"

    def __init__(self, name: str, broker_url: str, topic: str) -> None:
        self.topic = topic
        self._on = False
        self._brightness = BRIGHTNESS_MAX
        self._mireds = 370
        self._xy: tuple[float, float] | None = None
        self._rgb: Rgb | None = None
        self._color_mode = "color_temp"
        super().__init__(name, broker_url)

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec, broker_url: str) -> Self:
        """Return the simulation of the light a room file's entry describes."""
        spec = expect_spec(spec, Zigbee2MqttSpec)
        return cls(name, broker_url, spec.topic)

    def _subscriptions(self) -> list[str]:
        return [f"{self.topic}/set", f"{self.topic}/get"]

    def _will(self) -> tuple[str, str]:
        return (f"{self.topic}/availability", OFFLINE)

    def _announce(self) -> None:
        self._publish(f"{self.topic}/availability", ONLINE, retain=True)
        self._publish_state()

    def _handle(self, topic: str, payload: bytes, now: float) -> None:
        if topic.endswith("/get"):
            self._publish_state()
            return
        try:
            command = json.loads(payload)
        except ValueError:
            _LOGGER.warning("zigbee2mqtt '%s': invalid JSON %r", self.name, payload[:80])
            return
        if not isinstance(command, dict):
            _LOGGER.warning("zigbee2mqtt '%s': expected a JSON object", self.name)
            return
        self._apply(command)
        self._output.go(self._target(), _transition(command.get("transition")), now)
        self._publish_state()

    def power_cycle(self) -> None:
        """Lose power and rejoin, as a bulb on a wall switch does; zigbee2mqtt stays connected.

        The bulb boots off (power_on_behavior `off`) and sends a Zigbee device announce:
        zigbee2mqtt publishes it on `<base>/bridge/event`, reads the bulb's state and
        publishes it. Availability stays online: zigbee2mqtt pings a mains-powered device
        only after 10 minutes of silence, far longer than a power cycle.
        """
        with self._lock:
            self._lose_power()
            self._output.go(self._target(), 0.0, time.monotonic())
            base, _, friendly = self.topic.partition("/")
            event = {
                "type": "device_announce",
                "data": {"friendly_name": friendly, "ieee_address": f"0x{self._client_id[-8:]}"},
            }
            self._publish(f"{base}/bridge/event", compact_json(event))
            self._publish_state()

    def _lose_power(self) -> None:
        self._on = False

    def _by_hand(self, level: LightLevel) -> tuple[str, bytes]:
        """Return the `set` Home Assistant sends through zigbee2mqtt for `level`."""
        brightness = round(level.brightness * BRIGHTNESS_MAX)
        command = {"state": "ON" if level.on else "OFF", "brightness": brightness}
        return f"{self.topic}/set", compact_json(command).encode()

    def _apply(self, command: dict[str, Any]) -> None:
        """Update the device state from one `set` payload, as zigbee2mqtt's converters do.

        A brightness above 0 switches the light on and 0 switches it off, but an explicit
        `state` wins: `{"state": "OFF", "brightness": 100}` stores 100 and stays off.
        """
        was_on = self._on
        brightness = command.get("brightness")
        step = command.get("brightness_step")
        if is_number(step):
            brightness = (self._brightness if self._on else 0) + step
        if is_number(brightness):
            level = max(0, min(BRIGHTNESS_MAX, round(brightness)))
            if level > 0:
                self._brightness = level
            self._on = level > 0
        state = command.get("state")
        word = state.upper() if isinstance(state, str) else ""
        if word == "TOGGLE":
            self._on = not was_on
        elif word in ("ON", "OFF"):
            self._on = word == "ON"
        self._apply_color_temp(command.get("color_temp"))
        self._apply_color(command.get("color"))

    def _apply_color_temp(self, value: object) -> None:
        if isinstance(value, str):
            value = COLOR_TEMP_PRESETS.get(value.lower())
        if is_number(value):
            self._mireds = max(MIREDS_MIN, min(MIREDS_MAX, round(value)))
            self._color_mode = "color_temp"

    def _apply_color(self, value: object) -> None:
        if not isinstance(value, dict):
            return
        rgb: Rgb | None = None
        if isinstance(value.get("hex"), str):
            rgb = parse_hex(value["hex"])
        elif all(is_number(value.get(k)) for k in ("r", "g", "b")):
            rgb = (float(value["r"]), float(value["g"]), float(value["b"]))
        elif all(is_number(value.get(k)) for k in ("x", "y")):
            rgb = xy_to_rgb(float(value["x"]), float(value["y"]))
        if rgb is None:
            _LOGGER.warning("zigbee2mqtt '%s': unsupported color %r", self.name, value)
            return
        # The bulb keeps only the chromaticity: brightness stays its own attribute.
        self._rgb, self._xy, self._color_mode = normalized(rgb), rgb_to_xy(rgb), "xy"

    def _target(self) -> LightLevel:
        mireds: float | None = None
        color = None
        if self._color_mode == "xy" and self._rgb is not None:
            color = self._rgb
        else:
            mireds = float(self._mireds)
        if not self._on:
            return LightLevel(on=False, brightness=0.0, mireds=mireds, color=color)
        return LightLevel(
            on=True, brightness=self._brightness / BRIGHTNESS_MAX, mireds=mireds, color=color
        )

    def _publish_state(self) -> None:
        state: dict[str, Any] = {
            "state": "ON" if self._on else "OFF",
            "brightness": self._brightness,
            "color_temp": self._mireds,
            "color_mode": self._color_mode,
        }
        if self._xy is not None:
            state["color"] = {"x": self._xy[0], "y": self._xy[1]}
        self._publish(self.topic, compact_json(state))


def _transition(value: object) -> float:
    """Return the transition zigbee2mqtt would send: whole tenths, 0..6553.5 s."""
    if not is_number(value):
        return 0.0
    tenths = round(max(0.0, min(MAX_TRANSITION_S, float(value))) / TRANSITION_STEP_S)
    return tenths * TRANSITION_STEP_S
