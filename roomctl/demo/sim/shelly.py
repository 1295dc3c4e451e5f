"""A Shelly Gen2 light (e.g. Pro RGBW PM): JSON-RPC on `<topic>/rpc`, replies on `<src>/rpc`."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Literal, Self

from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel, Rgb
from roomctl.demo.sim._color import normalized
from roomctl.demo.sim._device import SimDevice
from roomctl.demo.sim._json import is_int, is_number
from roomctl.devices.base import expect_spec
from roomctl.devices.shelly import ShellySpec
from roomctl.devices.spec import LightSpec

_LOGGER = logging.getLogger(__name__)

# Shelly's documented range for `transition_duration`: 0.5 s to 3 hours. A Set outside
# it is refused with an invalid-argument error and changes nothing.
MIN_TRANSITION_S = 0.5
MAX_TRANSITION_S = 10800.0
# The component's configured `transition_duration`, used by a Set that gives none: the
# factory default, so an adapter that leaves it out sees a fade, as it would in the field.
CONFIG_TRANSITION_S = 3.0
ERROR_INVALID_ARGUMENT = -103
ERROR_NOT_FOUND = -105
ERROR_NO_HANDLER = 404
Mode = Literal["light", "rgb"]


class RpcError(Exception):
    """A JSON-RPC error the device answers with instead of a result."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SimulatedShelly(SimDevice):
    """One Light (dimmer) or RGB component of a Shelly Gen2 device, driven over MQTT RPC.

    Modelled on Shelly's Gen2 API docs (RPC protocol, Light and RGB components, MQTT
    status and NotifyStatus notifications, `<id>/online`).
    """

    kind = "shelly"

    def __init__(
        self, name: str, broker_url: str, topic: str, mode: Mode = "rgb", channel: int = 0
    ) -> None:
        self.topic = topic
        self.mode: Mode = mode
        self.channel = channel
        self._on = False
        self._brightness = 100.0
        self._rgb: Rgb = (255.0, 255.0, 255.0)
        self._transition: dict[str, Any] | None = None
        super().__init__(name, broker_url)

    @property
    def component(self) -> str:
        """Return the component key, e.g. `rgb:0` or `light:0`."""
        return f"{self.mode}:{self.channel}"

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec, broker_url: str) -> Self:
        """Return the simulation of the light a room file's entry describes."""
        spec = expect_spec(spec, ShellySpec)
        return cls(name, broker_url, spec.topic, spec.mode, spec.channel)

    def _subscriptions(self) -> list[str]:
        return [f"{self.topic}/rpc"]

    def _will(self) -> tuple[str, str]:
        return (f"{self.topic}/online", "false")

    def _announce(self) -> None:
        self._publish(f"{self.topic}/online", "true", retain=True)
        self._publish(f"{self.topic}/status/{self.component}", compact_json(self._status()))

    def _handle(self, topic: str, payload: bytes, now: float) -> None:
        try:
            frame = json.loads(payload)
        except ValueError:
            _LOGGER.warning("shelly '%s': invalid JSON-RPC frame %r", self.name, payload[:80])
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("src"), str):
            _LOGGER.warning("shelly '%s': frame without src, nowhere to answer", self.name)
            return
        reply: dict[str, Any] = {"id": frame.get("id"), "src": self.topic, "dst": frame["src"]}
        params = frame.get("params")
        try:
            reply["result"] = self._call(
                str(frame.get("method", "")), params if isinstance(params, dict) else {}, now
            )
        except RpcError as error:
            reply["error"] = {"code": error.code, "message": error.message}
        self._publish(f"{frame['src']}/rpc", compact_json(reply))

    def _lose_power(self) -> None:
        self._on = False

    def _by_hand(self, level: LightLevel) -> tuple[str, bytes]:
        """Return the RPC the Shelly app sends for `level`."""
        namespace = "RGB" if self.mode == "rgb" else "Light"
        params = {"id": self.channel, "on": level.on, "brightness": round(level.brightness * 100)}
        frame = {"id": 1, "src": "app", "method": f"{namespace}.Set", "params": params}
        return f"{self.topic}/rpc", compact_json(frame).encode()

    def _call(self, method: str, params: dict[str, Any], now: float) -> object:
        namespace = "RGB" if self.mode == "rgb" else "Light"
        name = method.lower()
        if name == "shelly.getstatus":
            return {self.component: self._status()}
        if not name.startswith(namespace.lower() + "."):
            raise RpcError(ERROR_NO_HANDLER, f"No handler for {method}")
        if params.get("id") != self.channel:
            raise RpcError(ERROR_NOT_FOUND, f"Argument 'id', value {params.get('id')} not found!")
        action = name.split(".", 1)[1]
        if action == "getstatus":
            return self._status()
        if action == "set":
            self._set(params, now)
            return None
        if action == "toggle":
            self._set({"on": not self._on}, now)
            return None
        raise RpcError(ERROR_NO_HANDLER, f"No handler for {method}")

    def _set(self, params: dict[str, Any], now: float) -> None:
        """Validate every argument first, then apply them all and start the transition."""
        on = params.get("on", self._on)
        brightness = params.get("brightness", self._brightness)
        rgb = params.get("rgb", [round(c) for c in self._rgb])
        duration = params.get("transition_duration", CONFIG_TRANSITION_S)
        if not isinstance(on, bool):
            raise RpcError(ERROR_INVALID_ARGUMENT, "Argument 'on', expected bool")
        if not is_number(brightness) or not 0 <= brightness <= 100:
            raise RpcError(ERROR_INVALID_ARGUMENT, "Argument 'brightness', expected 0..100")
        if "rgb" in params and self.mode != "rgb":
            raise RpcError(ERROR_INVALID_ARGUMENT, "Argument 'rgb' is not supported")
        if not isinstance(rgb, list) or len(rgb) != 3 or not all(_byte(c) for c in rgb):
            raise RpcError(ERROR_INVALID_ARGUMENT, "Argument 'rgb', expected [r, g, b] 0..255")
        if not is_number(duration) or not MIN_TRANSITION_S <= duration <= MAX_TRANSITION_S:
            raise RpcError(
                ERROR_INVALID_ARGUMENT,
                f"Argument 'transition_duration', expected {MIN_TRANSITION_S}..{MAX_TRANSITION_S}",
            )
        self._on, self._brightness = on, float(brightness)
        self._rgb = (float(rgb[0]), float(rgb[1]), float(rgb[2]))
        self._output.go(self._target(), float(duration), now)
        self._transition = {
            "target": self._target_status(),
            "started_at": round(time.time(), 2),
            "duration": float(duration),
        }
        self._call_later(float(duration), self._transition_done)
        self._notify()

    def _transition_done(self) -> None:
        if self._transition is not None and not self._output.fading(time.monotonic()):
            self._transition = None
            self._notify()

    def _target(self) -> LightLevel:
        if self.mode == "light":
            return LightLevel(on=self._on, brightness=self._brightness / 100.0 if self._on else 0.0)
        peak = max(self._rgb) / 255.0
        color = normalized(self._rgb)
        brightness = self._brightness / 100.0 * peak if self._on else 0.0
        return LightLevel(on=self._on, brightness=brightness, color=color)

    def _target_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {"output": self._on, "brightness": round(self._brightness)}
        if self.mode == "rgb":
            status["rgb"] = [round(c) for c in self._rgb]
        return status

    def _status(self) -> dict[str, Any]:
        """Return the component status; during a transition, the level it shows right now."""
        now = time.monotonic()
        status: dict[str, Any] = {"id": self.channel, "source": "MQTT", **self._target_status()}
        if self._transition is not None and self._output.fading(now):
            shown = self._output.at(now)
            peak = max(self._rgb) / 255.0 if self.mode == "rgb" else 1.0
            status["output"] = shown.on
            status["brightness"] = round(shown.brightness / peak * 100.0) if peak else 0
            status["transition"] = self._transition
        return status

    def _notify(self) -> None:
        """Publish the status and a NotifyStatus event, as the device does on every change."""
        status = self._status()
        self._publish(f"{self.topic}/status/{self.component}", compact_json(status))
        event = {
            "src": self.topic,
            "dst": f"{self.topic}/events",
            "method": "NotifyStatus",
            "params": {"ts": round(time.time(), 2), self.component: status},
        }
        self._publish(f"{self.topic}/events/rpc", compact_json(event))


def _byte(value: object) -> bool:
    return is_int(value) and 0 <= value <= 255
