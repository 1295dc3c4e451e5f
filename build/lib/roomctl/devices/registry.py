"""The adapter for each light type, and the one place a spec becomes an adapter."""

from __future__ import annotations

from roomctl.devices.base import LightAdapter
from roomctl.devices.mqtt_json import MqttJsonLight
from roomctl.devices.shelly import ShellyLight
from roomctl.devices.tasmota import TasmotaLight
from roomctl.devices.wled import WledLight
from roomctl.devices.zigbee2mqtt import Zigbee2MqttLight
from roomctl.models.devices import LightSpec

ADAPTERS: dict[str, type[LightAdapter]] = {
    "zigbee2mqtt": Zigbee2MqttLight,
    "tasmota": TasmotaLight,
    "wled": WledLight,
    "shelly": ShellyLight,
    "mqtt_json": MqttJsonLight,
}


def adapter_for(name: str, spec: LightSpec) -> LightAdapter:
    """Return the adapter that drives the light `name` described by `spec`."""
    return ADAPTERS[spec.type].from_spec(name, spec)
