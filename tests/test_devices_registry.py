"""The registry: every light type of the contract has an adapter, built from its spec."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from roomctl.devices.base import Capabilities
from roomctl.devices.mqtt_json import MqttJsonLight
from roomctl.devices.registry import ADAPTERS, adapter_for
from roomctl.devices.shelly import ShellyLight
from roomctl.devices.tasmota import TasmotaLight
from roomctl.devices.wled import WledLight
from roomctl.devices.zigbee2mqtt import Zigbee2MqttLight
from roomctl.models.devices import LightSpec, TasmotaSpec, WledSpec

SPECS = TypeAdapter(LightSpec)


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"type": "zigbee2mqtt", "topic": "zigbee2mqtt/room1/ceiling"}, Zigbee2MqttLight),
        ({"type": "tasmota", "topic": "room1-lamp"}, TasmotaLight),
        ({"type": "wled", "topic": "wled/room1"}, WledLight),
        ({"type": "shelly", "topic": "shellyprorgbwpm-room1"}, ShellyLight),
        ({"type": "mqtt_json", "command_topic": "room1/cove/set"}, MqttJsonLight),
    ],
)
def test_adapter_for_each_type(fields: dict[str, str], kind: type) -> None:
    adapter = adapter_for("x", SPECS.validate_python(fields))
    assert isinstance(adapter, kind)
    assert adapter.name == "x"
    assert ADAPTERS[fields["type"]] is kind


def test_every_contract_type_is_registered() -> None:
    assert set(ADAPTERS) == {"zigbee2mqtt", "tasmota", "wled", "shelly", "mqtt_json"}


def test_an_adapter_refuses_another_types_spec() -> None:
    with pytest.raises(TypeError, match="TasmotaSpec"):
        TasmotaLight.from_spec("x", WledSpec(type="wled", topic="w"))


def test_spec_capabilities_override_the_type_default() -> None:
    spec = TasmotaSpec.model_validate(
        {"type": "tasmota", "topic": "t", "capabilities": ["brightness"]}
    )
    caps = adapter_for("x", spec).capabilities
    assert (caps.brightness, caps.color_temp, caps.color) == (True, False, False)


def test_capabilities_refuse_nonsense() -> None:
    good = dict(
        brightness=True,
        color_temp=True,
        color=False,
        max_transition_s=10.0,
        transition_step_s=0.1,
        mireds_range=(153.0, 500.0),
        network="n",
        default_rate_hz=1.0,
    )
    assert Capabilities(**good).brightness_step == 0.01  # type: ignore[arg-type]
    for bad in (
        {"mireds_range": (500.0, 153.0)},
        {"default_rate_hz": 0.0},
        {"brightness_step": 0.0},
        {"max_transition_s": -1.0},
    ):
        with pytest.raises(ValueError):
            Capabilities(**{**good, **bad})  # type: ignore[arg-type]
