"""The WLED adapter: exact JSON API calls, `tt` units and its cap, status, g and c echoes."""

from __future__ import annotations

import json

import pytest

from roomctl.api.messages import Message
from roomctl.core.levels import LightLevel, kelvin_to_mireds
from roomctl.devices import DeviceEcho, DeviceHealth, Network
from roomctl.devices.wled import WledLight, WledSpec


def strip(capabilities: tuple[str, ...] | None = None) -> WledLight:
    fields = {"type": "wled", "topic": "wled/room1", "capabilities": capabilities}
    spec = WledSpec.model_validate(fields)
    return WledLight("strip", spec)


def sent(messages: list[Message]) -> dict[str, object]:
    assert len(messages) == 1
    assert messages[0].topic == "wled/room1/api"
    payload: dict[str, object] = json.loads(messages[0].payload)
    return payload


def test_colour_with_transition_in_tenths() -> None:
    payload = sent(strip().command(LightLevel(True, 0.5, color=(255.0, 160.0, 0.0)), 2.5))
    assert payload == {"on": True, "bri": 128, "tt": 25, "seg": [{"col": [[255, 160, 0]]}]}


def test_color_temp_goes_as_kelvin_cct_and_its_rgb_white_point() -> None:
    payload = sent(strip().command(LightLevel(True, 1.0, kelvin_to_mireds(3000.0)), 0.0))
    assert payload == {
        "on": True,
        "bri": 255,
        "tt": 0,
        "seg": [{"col": [[255, 177, 110]], "cct": 3000}],
    }


def test_kelvin_and_brightness_are_clamped() -> None:
    payload = sent(strip().command(LightLevel(True, 0.0, kelvin_to_mireds(1000.0)), 0.0))
    assert payload == {
        "on": True,
        "bri": 1,
        "tt": 0,
        "seg": [{"col": [[255, 132, 0]], "cct": 1900}],
    }


def test_transition_is_capped_where_the_firmware_wraps() -> None:
    # 100 ms units into a 16-bit millisecond count: 655 (65.5 s) is the last safe value.
    assert sent(strip().command(LightLevel(True, 0.5), 600.0))["tt"] == 655


def test_off_is_instant() -> None:
    assert sent(strip().command(LightLevel(False), 30.0)) == {"on": False, "tt": 0}


def test_fields_the_strip_lacks_are_dropped() -> None:
    rgb = strip(("brightness", "color"))
    payload = sent(rgb.command(LightLevel(True, 0.5, 300.0), 1.0))
    assert payload == {"on": True, "bri": 128, "tt": 10}


def test_capabilities() -> None:
    caps = strip().capabilities
    assert caps.max_transition_s == 65.5 and caps.transition_step_s == 0.1
    assert caps.mireds_range == pytest.approx((1e6 / 10091.0, 1e6 / 1900.0))
    assert caps.network == Network("wled", "wled/room1")


@pytest.mark.parametrize(("payload", "online"), [(b"online", True), (b"offline", False)])
def test_status(payload: bytes, online: bool) -> None:
    adapter = strip()
    assert "wled/room1/status" in adapter.subscriptions()
    assert adapter.parse("wled/room1/status", payload) == DeviceHealth("strip", online)


def test_brightness_and_colour_echoes_merge() -> None:
    adapter = strip()
    assert adapter.parse("wled/room1/g", b"128") == DeviceEcho(
        "strip", LightLevel(True, 128 / 255, None, None)
    )
    assert adapter.parse("wled/room1/c", b"#FFA000") == DeviceEcho(
        "strip", LightLevel(True, 128 / 255, None, (255.0, 160.0, 0.0))
    )
    # Zero brightness is off; the brightness it had is kept for when it comes back.
    assert adapter.parse("wled/room1/g", b"0") == DeviceEcho(
        "strip", LightLevel(False, 128 / 255, None, (255.0, 160.0, 0.0))
    )


def test_white_channel_colour_codes_read_the_rgb_part() -> None:
    echo = strip().parse("wled/room1/c", b"#80FF0000")
    assert isinstance(echo, DeviceEcho) and echo.level.color == (255.0, 0.0, 0.0)


def test_junk_says_nothing() -> None:
    adapter = strip()
    assert adapter.parse("wled/room1/g", b"bright") is None
    assert adapter.parse("wled/room1/c", b"#12") is None
    assert adapter.parse("wled/room1/status", b"rebooting") is None
    assert adapter.parse("wled/room1/v", b"<vs></vs>") is None
    assert adapter.refresh() == []
