"""A whole room of simulated lights, one per light of a room preset, on one broker."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType

from roomctl.core.levels import LightLevel
from roomctl.demo.sim._device import SimDevice
from roomctl.demo.sim.mqtt_json import SimulatedMqttJson
from roomctl.demo.sim.shelly import SimulatedShelly
from roomctl.demo.sim.tasmota import SimulatedTasmota
from roomctl.demo.sim.wled import SimulatedWled
from roomctl.demo.sim.zigbee2mqtt import SimulatedZigbee2Mqtt
from roomctl.devices import LightSpec
from roomctl.models import RoomPreset

_LOGGER = logging.getLogger(__name__)

# The simulation of each light type, found by its `kind` (the type's tag).
SIMULATORS: tuple[type[SimDevice], ...] = (
    SimulatedZigbee2Mqtt,
    SimulatedTasmota,
    SimulatedWled,
    SimulatedShelly,
    SimulatedMqttJson,
)
_BY_KIND: dict[str, type[SimDevice]] = {simulator.kind: simulator for simulator in SIMULATORS}


def create_sim_device(name: str, spec: LightSpec, broker_url: str) -> SimDevice:
    """Return the simulated device that plays one light of a room preset."""
    simulator = _BY_KIND.get(spec.type)
    if simulator is None:
        raise ValueError(f"light '{name}': no simulation of '{spec.type}' lights")
    return simulator.from_spec(name, spec, broker_url)


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
