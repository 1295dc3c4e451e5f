"""Simulated lights that behave like the real ones on MQTT, for demos, rehearsals and tests."""

from __future__ import annotations

from roomctl.demo.sim._device import Received, SimDevice
from roomctl.demo.sim._output import SimOutput
from roomctl.demo.sim.mqtt_json import SimulatedMqttJson
from roomctl.demo.sim.room import SIMULATORS, SimulatedRoom, create_sim_device
from roomctl.demo.sim.shelly import SimulatedShelly
from roomctl.demo.sim.tasmota import SimulatedTasmota
from roomctl.demo.sim.wled import SimulatedWled
from roomctl.demo.sim.zigbee2mqtt import SimulatedZigbee2Mqtt

__all__ = [
    "SIMULATORS",
    "Received",
    "SimDevice",
    "SimOutput",
    "SimulatedMqttJson",
    "SimulatedRoom",
    "SimulatedShelly",
    "SimulatedTasmota",
    "SimulatedWled",
    "SimulatedZigbee2Mqtt",
    "create_sim_device",
]
