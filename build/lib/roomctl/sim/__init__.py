"""Simulated lights that behave like the real ones on MQTT, for demos, rehearsals and tests."""

from __future__ import annotations

from roomctl.sim._device import Received, SimDevice
from roomctl.sim.mqtt_json import MqttJsonLight
from roomctl.sim.room import SimulatedRoom, create_sim_device
from roomctl.sim.shelly import ShellyLight
from roomctl.sim.tasmota import TasmotaLight
from roomctl.sim.wled import WledLight
from roomctl.sim.zigbee2mqtt import Zigbee2MqttLight

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
