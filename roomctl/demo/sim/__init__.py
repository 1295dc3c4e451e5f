"""Simulated lights that behave like the real ones on MQTT, for demos, rehearsals and tests."""

from __future__ import annotations

from roomctl.demo.sim._device import Received, SimDevice
from roomctl.demo.sim.mqtt_json import MqttJsonLight
from roomctl.demo.sim.room import SimulatedRoom, create_sim_device
from roomctl.demo.sim.shelly import ShellyLight
from roomctl.demo.sim.tasmota import TasmotaLight
from roomctl.demo.sim.wled import WledLight
from roomctl.demo.sim.zigbee2mqtt import Zigbee2MqttLight

__all__ = [
    "MqttJsonLight",
    "Received",
    "ShellyLight",
    "SimDevice",
    "SimulatedRoom",
    "TasmotaLight",
    "WledLight",
    "Zigbee2MqttLight",
    "create_sim_device",
]
