"""A whole room of simulated lights, one per light of a room preset, on one broker."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType

from roomctl.core.levels import LightLevel
from roomctl.demo.sim._device import SimDevice
from roomctl.demo.sim.mqtt_json import MqttJsonLight
from roomctl.demo.sim.shelly import ShellyLight
from roomctl.demo.sim.tasmota import TasmotaLight
from roomctl.demo.sim.wled import WledLight
from roomctl.demo.sim.zigbee2mqtt import Zigbee2MqttLight
from roomctl.models import (
    LightSpec,
    MqttJsonSpec,
    RoomPreset,
    ShellySpec,
    TasmotaSpec,
    WledSpec,
    Zigbee2MqttSpec,
)

_LOGGER = logging.getLogger(__name__)


def create_sim_device(name: str, spec: LightSpec, broker_url: str) -> SimDevice:
    """Return the simulated device that plays one light of a room preset."""
    match spec:
        case Zigbee2MqttSpec():
            return Zigbee2MqttLight(name, broker_url, spec.topic)
        case TasmotaSpec():
            return TasmotaLight(name, broker_url, spec.topic)
        case WledSpec():
            return WledLight(name, broker_url, spec.topic)
        case ShellySpec():
            return ShellyLight(name, broker_url, spec.topic, spec.mode, spec.channel)
        case MqttJsonSpec():
            return MqttJsonLight(
                name, broker_url, spec.command_topic, spec.state_topic, spec.availability_topic
            )


class SimulatedRoom:
    """Every light of a room preset as a simulated device (audio outputs are not simulated)."""

    def __init__(
        self, room: RoomPreset, broker_url: str, broker_for: Mapping[str, str] | None = None
    ) -> None:
        """Make the devices; `broker_for` gives a device type its own URL (its account)."""
        self.room = room
        urls = broker_for or {}
        self.devices: dict[str, SimDevice] = {
            name: create_sim_device(name, spec, urls.get(spec.type, broker_url))
            for name, spec in room.lights().items()
        }

    def start(self) -> None:
        """Start every device; if one cannot connect, stop the others and raise."""
        started: list[SimDevice] = []
        try:
            for device in self.devices.values():
                device.start()
                started.append(device)
        except BaseException:
            for device in started:
                device.stop()
            raise
        _LOGGER.info("room %s: %d simulated lights online", self.room.id, len(started))

    def stop(self) -> None:
        """Stop every device: each says offline and disconnects."""
        for device in self.devices.values():
            device.stop()

    def levels(self) -> dict[str, LightLevel]:
        """Return what every light shows right now, by device name."""
        return {name: device.level() for name, device in self.devices.items()}

    def __enter__(self) -> SimulatedRoom:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
