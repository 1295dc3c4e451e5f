"""A Shelly Gen2 light (Light or RGB component) over MQTT RPC.

Source: the Shelly Gen2 API documentation (shelly-api-docs.shelly.cloud/gen2:
ComponentsAndServices/Light and /RGB, the RPC protocol, Notifications and the MQTT
component) and Home Assistant's Shelly integration (const.py: RPC transitions run from
0.5 s to 10800 s). Requests are JSON-RPC frames on `<topic>/rpc`:
`{"id": N, "src": "roomctl", "method": "RGB.Set" | "Light.Set", "params": {"id": channel,
"on": true, "brightness": 1..100, "rgb": [r, g, b], "transition_duration": seconds}}`;
answers go to `<src>/rpc`. The device announces `true`/`false` on `<topic>/online`
(retained), notifies changes as `NotifyStatus` on `<topic>/events/rpc`, and publishes
full component status on `<topic>/status/<component>:<id>` when status notifications
are on. `refresh` asks with `RGB.GetStatus` / `Light.GetStatus` and reads the answer on
`roomctl-<topic>/rpc` (a source of the light's own) by its request id.

Maximum native transition: 10800 s (3 h). The shortest the device takes is 0.5 s, and
a Set without `transition_duration` runs the component's configured default (3 s from
the factory), so an instant change or an off sends 0.5 s explicitly.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any, ClassVar, Literal, Self

from pydantic import Field

from roomctl.api.messages import Message
from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel, Rgb
from roomctl.devices._convert import (
    as_float,
    brightness_units,
    clamp,
    json_object,
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
from roomctl.devices.spec import Capability, LightSpec, Topic

_LOGGER = logging.getLogger(__name__)

SOURCE = "roomctl"
BRIGHTNESS_FULL = 100
MIN_TRANSITION_S = 0.5
MAX_TRANSITION_S = 10800.0
TRANSITION_STEP_S = 0.1
# Shelly Gen2 has no colour temperature on Light or RGB; the range only keeps the
# capabilities well formed.
MIREDS_RANGE = (153.0, 500.0)
# Each Shelly is its own Wi-Fi device and runs fades natively; two RPC calls a second
# leaves room for its answers and notifications.
DEFAULT_RATE_HZ = 2.0
# RPC request ids, unique across every Shelly adapter of this process, so an answer
# reaches the request that asked for it.
_REQUEST_IDS = itertools.count(1)
_RGB_CHANNELS = 3
# A Shelly in `light` mode drives a single white channel: brightness only.
LIGHT_MODE_CAPABILITIES: frozenset[Capability] = frozenset({"brightness"})


class ShellySpec(LightSpec):
    """A Shelly Gen2 light: JSON-RPC Light.Set or RGB.Set goes to <topic>/rpc."""

    # The RGB component has no colour temperature.
    DEFAULT_CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset({"brightness", "color"})

    type: Literal["shelly"]
    topic: Topic
    mode: Literal["light", "rgb"] = "rgb"
    channel: int = Field(default=0, ge=0)

    def default_capabilities(self) -> frozenset[Capability]:
        """Return brightness alone in `light` mode (one white channel), else the RGB default."""
        return LIGHT_MODE_CAPABILITIES if self.mode == "light" else self.DEFAULT_CAPABILITIES


class ShellyLight(LightAdapter):
    """A Shelly Gen2 Light or RGB component: JSON-RPC on `<topic>/rpc`."""

    def __init__(self, name: str, spec: ShellySpec) -> None:
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
        # Answers come back on `<src>/rpc`: a source of the light's own keeps every other
        # room on the broker from receiving (and parsing) this light's answers.
        self._source = f"{SOURCE}-{spec.topic.replace('/', '-')}"
        self.channel = spec.channel
        self._namespace = "RGB" if spec.mode == "rgb" else "Light"
        self.component = f"{spec.mode}:{spec.channel}"
        self._asked: set[int] = set()
        self._echo = LightLevel(on=False)

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec) -> Self:
        """Return the adapter for a Shelly spec."""
        return cls(name, expect_spec(spec, ShellySpec))

    def command(self, level: LightLevel, transition_s: float) -> list[Message]:
        """Return the `RGB.Set` or `Light.Set` request for a level."""
        params: dict[str, Any] = {"id": self.channel, "on": level.on}
        if level.on:
            if self.capabilities.brightness:
                params["brightness"] = brightness_units(level.brightness, BRIGHTNESS_FULL)
            if level.color is not None and self.capabilities.color:
                params["rgb"] = list(rgb_bytes(level.color))
        seconds = quantize(transition_s, TRANSITION_STEP_S, MAX_TRANSITION_S) if level.on else 0.0
        params["transition_duration"] = number(clamp(seconds, MIN_TRANSITION_S, MAX_TRANSITION_S))
        return [self._request(f"{self._namespace}.Set", params)]

    def subscriptions(self) -> list[str]:
        """Return the online, notification, status and RPC answer topics."""
        return [
            f"{self.topic}/online",
            f"{self.topic}/events/rpc",
            f"{self.topic}/status/{self.component}",
            f"{self._source}/rpc",
        ]

    def parse(self, topic: str, payload: bytes) -> DeviceHealth | DeviceEcho | None:
        """Return the health on `online`, or the level in a notification, status or answer."""
        if topic == f"{self.topic}/online":
            word = text(payload)
            if word in ("true", "false"):
                return DeviceHealth(self.name, word == "true")
            return None
        document = json_object(payload)
        status = self._status_in(topic, document) if document is not None else None
        return self._echoed(status) if isinstance(status, dict) else None

    def _status_in(self, topic: str, document: dict[str, Any]) -> object:
        """Return the component status a notification, status message or answer carries."""
        if topic == f"{self.topic}/status/{self.component}":
            return document
        if topic == f"{self._source}/rpc":
            return self._answer(document)
        if topic != f"{self.topic}/events/rpc":
            return None
        if document.get("method") not in ("NotifyStatus", "NotifyFullStatus"):
            return None
        params = document.get("params")
        return params.get(self.component) if isinstance(params, dict) else None

    def refresh(self) -> list[Message]:
        """Return a GetStatus request for the light's component."""
        request = self._request(f"{self._namespace}.GetStatus", {"id": self.channel})
        return [request]

    def _request(self, method: str, params: dict[str, Any]) -> Message:
        request_id = next(_REQUEST_IDS)
        if method.endswith(".GetStatus"):
            self._asked.add(request_id)
        frame = {"id": request_id, "src": self._source, "method": method, "params": params}
        return Message(f"{self.topic}/rpc", compact_json(frame))

    def _answer(self, document: dict[str, Any]) -> object:
        request_id = document.get("id")
        if not isinstance(request_id, int) or request_id not in self._asked:
            return None
        self._asked.discard(request_id)
        return document.get("result")

    def _echoed(self, status: dict[str, Any]) -> DeviceEcho | None:
        last = self._echo
        output = status.get("output")
        brightness = as_float(status.get("brightness"))
        rgb = status.get("rgb")
        if not isinstance(output, bool) and brightness is None and rgb is None:
            return None
        color = _rgb(rgb) or last.color
        level = LightLevel(
            on=output if isinstance(output, bool) else last.on,
            brightness=min(1.0, brightness / BRIGHTNESS_FULL)
            if brightness is not None
            else last.brightness,
            color=color,
        )
        self._echo = level
        _LOGGER.debug("%s: echo %s", self.name, level)
        return DeviceEcho(self.name, level)


def _rgb(value: object) -> Rgb | None:
    """Return a status `rgb` list as a colour, or None when it is not three numbers."""
    if not isinstance(value, list):
        return None
    numbers = [n for n in (as_float(v) for v in value) if n is not None]
    if len(numbers) != len(value) or len(numbers) != _RGB_CHANNELS:
        return None
    return (numbers[0], numbers[1], numbers[2])


DEVICE = DeviceType(spec=ShellySpec, adapter=ShellyLight)
