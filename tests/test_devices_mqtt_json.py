"""The Home Assistant JSON-schema adapter: exact commands, availability and state echoes."""

from __future__ import annotations

import json

import pytest

from roomctl.api.messages import Message
from roomctl.core.levels import LightLevel
from roomctl.devices import DeviceEcho, DeviceHealth, Network
from roomctl.devices.mqtt_json import MqttJsonLight, MqttJsonSpec


def cove(**extra: object) -> MqttJsonLight:
    fields = {
        "type": "mqtt_json",
        "command_topic": "room1/cove/set",
        "state_topic": "room1/cove",
        "availability_topic": "room1/cove/availability",
        **extra,
    }
    return MqttJsonLight("cove", MqttJsonSpec.model_validate(fields))


def sent(messages: list[Message]) -> dict[str, object]:
    assert len(messages) == 1
    assert messages[0].topic == "room1/cove/set"
    payload: dict[str, object] = json.loads(messages[0].payload)
    return payload


def test_color_temp_command() -> None:
    assert sent(cove().command(LightLevel(True, 0.6, 285.7), 4.0)) == {
        "state": "ON",
        "brightness": 153,
        "color_temp": 286,
        "transition": 4,
    }


def test_colour_command() -> None:
    assert sent(cove().command(LightLevel(True, 1.0, color=(10.0, 20.0, 30.0)), 0.25)) == {
        "state": "ON",
        "brightness": 255,
        "color": {"r": 10, "g": 20, "b": 30},
        "transition": 0.2,
    }


def test_off_is_instant() -> None:
    assert sent(cove().command(LightLevel(False), 8.0)) == {"state": "OFF", "transition": 0}


def test_clamping_and_dropped_fields() -> None:
    assert sent(cove().command(LightLevel(True, 0.0001, 50.0), 9000.0)) == {
        "state": "ON",
        "brightness": 1,
        "color_temp": 153,
        "transition": 6553,
    }
    dimmer = cove(capabilities=["brightness"])
    assert sent(dimmer.command(LightLevel(True, 0.5, color=(1.0, 2.0, 3.0)), 0.0)) == {
        "state": "ON",
        "brightness": 128,
        "transition": 0,
    }


def test_subscriptions_follow_the_spec() -> None:
    assert cove().subscriptions() == ["room1/cove", "room1/cove/availability"]
    bare = MqttJsonLight(
        "bare", MqttJsonSpec.model_validate({"type": "mqtt_json", "command_topic": "x/set"})
    )
    assert bare.subscriptions() == []
    assert bare.refresh() == []
    assert bare.capabilities.network == Network("mqtt_json", "x/set")


@pytest.mark.parametrize(("payload", "online"), [(b"online", True), (b"offline", False)])
def test_availability(payload: bytes, online: bool) -> None:
    assert cove().parse("room1/cove/availability", payload) == DeviceHealth("cove", online)


def test_state_echoes_by_color_mode() -> None:
    adapter = cove()
    white = b'{"state":"ON","brightness":51,"color_mode":"color_temp","color_temp":400}'
    assert adapter.parse("room1/cove", white) == DeviceEcho(
        "cove", LightLevel(True, 0.2, 400.0, None)
    )
    rgb = b'{"state":"ON","color_mode":"rgb","color":{"r":255,"g":0,"b":10},"brightness":255}'
    assert adapter.parse("room1/cove", rgb) == DeviceEcho(
        "cove", LightLevel(True, 1.0, None, (255.0, 0.0, 10.0))
    )
    assert adapter.parse("room1/cove", b'{"state":"OFF"}') == DeviceEcho(
        "cove", LightLevel(False, 1.0, None, (255.0, 0.0, 10.0))
    )


def test_junk_says_nothing() -> None:
    adapter = cove()
    assert adapter.parse("room1/cove", b"[1,2]") is None
    assert adapter.parse("room1/cove", b'{"effect":"none"}') is None
    assert adapter.parse("room1/cove/availability", b"unknown") is None
    assert adapter.parse("elsewhere", b'{"state":"ON"}') is None
