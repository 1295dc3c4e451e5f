"""The registry: every device type's one module gives a spec, capabilities and an adapter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from roomctl.config.library import load_room, read_room
from roomctl.core.levels import LightLevel
from roomctl.demo.sim import SIMULATORS, SimDevice, create_sim_device
from roomctl.devices import (
    ADAPTERS,
    ALL_CAPABILITIES,
    DEFAULT_CAPABILITIES,
    DEVICE_MODULES,
    DEVICE_TYPES,
    Capabilities,
    DeviceType,
    LightSpec,
    Network,
    adapter_for,
    capabilities_of,
)
from roomctl.models import AudioSpec

# One room-file entry per type, as a clinic writes it: a new type fails
# test_every_type_has_an_example until it has one here.
EXAMPLES: dict[str, str] = {
    "zigbee2mqtt": "{type: zigbee2mqtt, topic: zigbee2mqtt/room1/ceiling}",
    "tasmota": "{type: tasmota, topic: room1-lamp}",
    "wled": "{type: wled, topic: wled/room1}",
    "shelly": "{type: shelly, topic: shellyprorgbwpm-room1, channel: 1}",
    "mqtt_json": "{type: mqtt_json, command_topic: room1/cove/set, state_topic: room1/cove}",
}
WARM_HALF = LightLevel(True, 0.5, mireds=370.0)
RED_FULL = LightLevel(True, 1.0, color=(255.0, 0.0, 0.0))
TYPES = [pytest.param(t, id=t.name) for t in DEVICE_TYPES]


def room_file(tmp_path: Path, light: str, extra: str = "") -> Path:
    """Write a room file with one light (and a speaker) and return its path."""
    path = tmp_path / "rooms" / "room1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"id: room1\ndevices:\n  light: {light[:-1]}{extra}}}\n  speaker: {{type: audio}}\n"
    )
    return path


def loaded(tmp_path: Path, device: DeviceType, extra: str = "") -> LightSpec:
    """Return the spec the room loader makes of the type's example entry."""
    room = load_room(room_file(tmp_path, EXAMPLES[device.name], extra))
    assert isinstance(room.devices["speaker"], AudioSpec)
    return room.lights()["light"]


def address(spec: LightSpec) -> str:
    """Return the topic a light's entry names: where its commands go, under one name or another."""
    fields = spec.model_dump()
    topic = fields.get("topic") or fields.get("command_topic")
    assert isinstance(topic, str)
    return topic


def test_a_room_file_takes_the_listed_types_in_order(tmp_path: Path) -> None:
    path = room_file(tmp_path, "{type: nope, topic: x}", "")
    path.write_text(path.read_text() + "rates: {zz: 1}\n")
    _room, problems = read_room(path)
    assert [p.message for p in problems] == [
        f"unknown device type 'nope' (the types are {', '.join(DEVICE_MODULES)}, audio)",
        f"unknown network 'zz' (the networks are {', '.join(DEVICE_MODULES)})",
    ]
    assert tuple(ADAPTERS) == DEVICE_MODULES == tuple(DEFAULT_CAPABILITIES)


def test_every_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(DEVICE_MODULES)


@pytest.mark.parametrize("device", TYPES)
def test_a_type_lives_in_its_one_module(device: DeviceType) -> None:
    module = f"roomctl.devices.{device.name}"
    assert device.spec.__module__ == module
    assert device.adapter.__module__ == module


@pytest.mark.parametrize("device", TYPES)
def test_a_room_file_entry_loads_into_its_types_spec(tmp_path: Path, device: DeviceType) -> None:
    spec = loaded(tmp_path, device)
    assert type(spec) is device.spec
    assert spec.type == device.name
    assert address(spec) in EXAMPLES[device.name]


@pytest.mark.parametrize("device", TYPES)
def test_a_type_shows_its_default_capabilities_unless_the_entry_says(
    tmp_path: Path, device: DeviceType
) -> None:
    shows = DEFAULT_CAPABILITIES[device.name]
    assert shows and shows <= ALL_CAPABILITIES
    assert capabilities_of(loaded(tmp_path, device)) == shows
    narrowed = loaded(tmp_path / "narrowed", device, ", capabilities: [brightness]")
    caps = adapter_for("light", narrowed).capabilities
    assert (caps.brightness, caps.color_temp, caps.color) == (True, False, False)


@pytest.mark.parametrize("device", TYPES)
def test_an_adapter_turns_levels_into_messages_on_its_lights_topics(
    tmp_path: Path, device: DeviceType
) -> None:
    spec = loaded(tmp_path, device)
    adapter = adapter_for("light", spec)
    assert type(adapter) is device.adapter and adapter.name == "light"
    assert adapter.capabilities.network.device_type == device.name
    sent = {
        level: adapter.command(level, 2.0) for level in (WARM_HALF, RED_FULL, LightLevel(False))
    }
    for messages in sent.values():
        assert messages, "every level is at least one message"
        assert all(address(spec) in m.topic for m in messages)
    payloads = {level: [m.payload for m in messages] for level, messages in sent.items()}
    assert len({str(p) for p in payloads.values()}) == len(payloads), "levels look alike"


@pytest.mark.parametrize("device", TYPES)
def test_an_adapter_refuses_another_types_spec(tmp_path: Path, device: DeviceType) -> None:
    for other in DEVICE_TYPES:
        if other is not device:
            spec = loaded(tmp_path / other.name, other)
            with pytest.raises(TypeError, match=device.spec.__name__):
                device.adapter.from_spec("light", spec)


@pytest.mark.parametrize("simulator", SIMULATORS, ids=lambda s: s.kind)
def test_a_simulation_plays_a_registered_types_entry(
    tmp_path: Path, simulator: type[SimDevice]
) -> None:
    device = next(t for t in DEVICE_TYPES if t.name == simulator.kind)
    simulated = create_sim_device("light", loaded(tmp_path, device), "mqtt://127.0.0.1:1")
    assert type(simulated) is simulator


@pytest.mark.parametrize(
    "package",
    ["roomctl.devices", "roomctl.models", "roomctl.api", "roomctl.core", "roomctl.demo.sim"],
)
def test_each_package_imports_first_without_a_cycle(package: str) -> None:
    first = f"import {package}; import roomctl.devices.zigbee2mqtt, roomctl.models"
    done = subprocess.run(
        [sys.executable, "-c", first], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_capabilities_refuse_nonsense() -> None:
    good = dict(
        brightness=True,
        color_temp=True,
        color=False,
        max_transition_s=10.0,
        transition_step_s=0.1,
        mireds_range=(153.0, 500.0),
        network=Network("n"),
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
