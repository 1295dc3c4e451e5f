"""The zigbee2mqtt adapter: exact `<topic>/set` payloads, scales, availability and echoes."""

from __future__ import annotations

import json

import pytest

from roomctl.api.messages import Message
from roomctl.core.levels import LightLevel
from roomctl.devices import DeviceEcho, DeviceHealth, Network
from roomctl.devices.zigbee2mqtt import Zigbee2MqttLight, Zigbee2MqttSpec

TOPIC = "zigbee2mqtt/room1/ceiling"


def light(capabilities: tuple[str, ...] | None = None) -> Zigbee2MqttLight:
    spec = Zigbee2MqttSpec.model_validate(
        {"type": "zigbee2mqtt", "topic": TOPIC, "capabilities": capabilities}
    )
    return Zigbee2MqttLight("ceiling", spec)


def sent(messages: list[Message]) -> tuple[str, dict[str, object]]:
    assert len(messages) == 1
    return messages[0].topic, json.loads(messages[0].payload)


def test_on_with_brightness_color_temp_and_transition() -> None:
    topic, payload = sent(light().command(LightLevel(True, 0.4, 333.3), 12.34))
    assert topic == f"{TOPIC}/set"
    assert payload == {"state": "ON", "brightness": 102, "color_temp": 333, "transition": 12.3}


def test_colour_goes_as_hex_and_wins_over_color_temp() -> None:
    _, payload = sent(light().command(LightLevel(True, 1.0, 300.0, (255.0, 128.4, 0.0)), 0.0))
    assert payload == {
        "state": "ON",
        "brightness": 254,
        "color": {"hex": "#ff8000"},
        "transition": 0,
    }


def test_off_has_no_transition_even_when_asked() -> None:
    topic, payload = sent(light().command(LightLevel(False), 30.0))
    assert (topic, payload) == (f"{TOPIC}/set", {"state": "OFF"})


def test_values_are_clamped_to_the_device_scales() -> None:
    _, low = sent(light().command(LightLevel(True, 0.0, 90.0), 99999.0))
    assert low == {"state": "ON", "brightness": 1, "color_temp": 153, "transition": 6553.5}
    _, high = sent(light().command(LightLevel(True, 7.0, 900.0), -3.0))
    assert high == {"state": "ON", "brightness": 254, "color_temp": 500, "transition": 0}


def test_fields_the_light_lacks_are_dropped() -> None:
    dimmer = light(("brightness",))
    _, payload = sent(dimmer.command(LightLevel(True, 0.5, 300.0), 2.0))
    assert payload == {"state": "ON", "brightness": 127, "transition": 2}
    white = light(("brightness", "color_temp"))
    _, payload = sent(white.command(LightLevel(True, 0.5, color=(255.0, 0.0, 0.0)), 0.0))
    assert payload == {"state": "ON", "brightness": 127, "transition": 0}
    switch = light(())
    _, payload = sent(switch.command(LightLevel(True, 0.5, 300.0), 1.0))
    assert payload == {"state": "ON", "transition": 1}


def test_capabilities_describe_a_shared_zigbee_network() -> None:
    caps = light().capabilities
    assert (caps.brightness, caps.color_temp, caps.color) == (True, True, True)
    assert caps.native_transition and caps.max_transition_s == 6553.5
    assert caps.transition_step_s == 0.1
    assert caps.network == Network("zigbee2mqtt") and caps.default_rate_hz == 5.0
    assert caps.brightness_step == pytest.approx(1 / 254)


@pytest.mark.parametrize(
    ("payload", "online"),
    [
        (b'{"state":"online"}', True),
        (b'{"state":"offline"}', False),
        (b"online", True),
        (b"offline", False),
    ],
)
def test_availability_in_both_formats(payload: bytes, online: bool) -> None:
    adapter = light()
    assert f"{TOPIC}/availability" in adapter.subscriptions()
    assert adapter.parse(f"{TOPIC}/availability", payload) == DeviceHealth("ceiling", online)


def test_unknown_availability_and_foreign_topics_say_nothing() -> None:
    adapter = light()
    assert adapter.parse(f"{TOPIC}/availability", b"maybe") is None
    assert adapter.parse("zigbee2mqtt/other", b'{"state":"ON"}') is None
    assert adapter.parse(TOPIC, b"not json") is None
    assert adapter.parse(TOPIC, b'{"linkquality": 80}') is None


def test_state_echo_in_color_temp_mode() -> None:
    adapter = light()
    echo = adapter.parse(
        TOPIC, b'{"state":"ON","brightness":127,"color_temp":370,"color_mode":"color_temp"}'
    )
    assert echo == DeviceEcho("ceiling", LightLevel(True, 127 / 254, 370.0, None))


def test_state_echo_in_xy_mode_gives_the_colour() -> None:
    # The sRGB red primary, as zigbee2mqtt reports it.
    echo = light().parse(
        TOPIC, b'{"state":"ON","brightness":254,"color_mode":"xy","color":{"x":0.64,"y":0.33}}'
    )
    assert isinstance(echo, DeviceEcho)
    assert echo.level.on and echo.level.brightness == 1.0 and echo.level.mireds is None
    assert echo.level.color is not None
    r, g, b = echo.level.color
    assert r == pytest.approx(255.0) and g < 5.0 and b < 5.0


def test_partial_echo_keeps_what_was_known() -> None:
    adapter = light()
    adapter.parse(TOPIC, b'{"state":"ON","brightness":200,"color_temp":250}')
    echo = adapter.parse(TOPIC, b'{"state":"OFF"}')
    assert echo == DeviceEcho("ceiling", LightLevel(False, 200 / 254, 250.0, None))


def test_refresh_asks_for_each_attribute_it_has() -> None:
    (message,) = light(("brightness", "color_temp")).refresh()
    assert message.topic == f"{TOPIC}/get"
    assert json.loads(message.payload) == {"state": "", "brightness": "", "color_temp": ""}


def test_a_device_announce_of_this_light_is_a_rejoin() -> None:
    announce = {"type": "device_announce", "data": {"friendly_name": "room1/ceiling"}}
    assert "zigbee2mqtt/bridge/event" in light().subscriptions()
    news = light().parse("zigbee2mqtt/bridge/event", json.dumps(announce).encode())
    assert news == DeviceHealth("ceiling", True, rejoined=True)


@pytest.mark.parametrize(
    "event",
    [
        {"type": "device_announce", "data": {"friendly_name": "room1/lamp"}},
        {"type": "device_joined", "data": {"friendly_name": "room1/ceiling"}},
        {"type": "device_announce"},
    ],
)
def test_other_bridge_events_say_nothing(event: dict[str, object]) -> None:
    assert light().parse("zigbee2mqtt/bridge/event", json.dumps(event).encode()) is None
