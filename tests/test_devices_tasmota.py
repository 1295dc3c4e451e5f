"""The Tasmota adapter: exact Backlog commands, Speed2 units, LWT and RESULT echoes."""

from __future__ import annotations

import pytest

from roomctl.api.messages import Message
from roomctl.core.levels import LightLevel
from roomctl.devices import DeviceEcho, DeviceHealth, Network
from roomctl.devices.tasmota import TasmotaLight, TasmotaSpec


def light(capabilities: tuple[str, ...] | None = None) -> TasmotaLight:
    spec = TasmotaSpec.model_validate(
        {"type": "tasmota", "topic": "room1-lamp", "capabilities": capabilities}
    )
    return TasmotaLight("lamp", spec)


def backlog(messages: list[Message]) -> str:
    assert len(messages) == 1
    assert messages[0].topic == "cmnd/room1-lamp/Backlog"
    return messages[0].payload


def test_instant_on_with_color_temp() -> None:
    assert backlog(light().command(LightLevel(True, 0.4, 300.0), 0.0)) == (
        "Fade 0; Dimmer 40; CT 300; Power ON"
    )


def test_speed2_in_half_seconds_right_before_the_dimmer_it_softens() -> None:
    # Speed2 is spent by the next change, and an unfaded change after it would cut the
    # fade short: so Speed2 and the dimmer come last.
    assert backlog(light().command(LightLevel(True, 0.4, 300.0), 3.2)) == (
        "Power ON; CT 300; Speed2 6; Dimmer 40"
    )
    # Speed2 tops out at 40 = 20 s; anything shorter than a unit is instant.
    assert backlog(light().command(LightLevel(True, 0.4), 600.0)) == (
        "Power ON; Speed2 40; Dimmer 40"
    )
    assert backlog(light().command(LightLevel(True, 0.4), 0.2)) == "Fade 0; Dimmer 40; Power ON"


def test_speed2_makes_a_partial_change_last_the_time_asked() -> None:
    # Speed counts half seconds for a full-range fade: 40 % -> 60 % in 2 s is Speed2 20.
    lamp = light()
    lamp.command(LightLevel(True, 0.4, 300.0), 0.0)
    assert backlog(lamp.command(LightLevel(True, 0.6, 300.0), 2.0)) == (
        "Power ON; CT 300; Speed2 20; Dimmer 60"
    )
    # A 1 % step cannot be stretched past 0.2 s: Speed2 40 is the slowest.
    assert "Speed2 40; Dimmer 61" in backlog(lamp.command(LightLevel(True, 0.61, 300.0), 10.0))
    # No change at all needs no fade.
    assert backlog(lamp.command(LightLevel(True, 0.61, 300.0), 10.0)).startswith("Fade 0;")
    # A warm-white CT change moves the warm channel: 500 -> 153 mireds at full is 100 %.
    lamp.command(LightLevel(True, 1.0, 500.0), 0.0)
    assert "Speed2 4;" in backlog(lamp.command(LightLevel(True, 1.0, 153.0), 2.0))


def test_colour_keeps_the_dimmer_so_it_never_flashes() -> None:
    level = LightLevel(True, 0.25, color=(255.0, 100.2, 0.0))
    assert backlog(light().command(level, 1.0)) == (
        "Power ON; Color2 255,100,0; Speed2 2; Dimmer 25"
    )


def test_off_is_instant() -> None:
    assert backlog(light().command(LightLevel(False), 10.0)) == "Fade 0; Power OFF"


def test_clamped_to_dimmer_and_ct_ranges() -> None:
    assert backlog(light().command(LightLevel(True, 0.001, 100.0), 0.0)) == (
        "Fade 0; Dimmer 1; CT 153; Power ON"
    )
    assert backlog(light().command(LightLevel(True, 1.5, 700.0), 0.0)) == (
        "Fade 0; Dimmer 100; CT 500; Power ON"
    )


def test_fields_the_light_lacks_are_dropped() -> None:
    rgb = light(("brightness", "color"))
    assert backlog(rgb.command(LightLevel(True, 0.5, 300.0), 0.0)) == "Fade 0; Dimmer 50; Power ON"
    relay = light(())
    assert backlog(relay.command(LightLevel(True, 0.5, color=(1.0, 2.0, 3.0)), 5.0)) == (
        "Fade 0; Power ON"
    )
    white = light(("color_temp",))
    assert backlog(white.command(LightLevel(True, 0.5, 250.0), 5.0)) == (
        "Power ON; Speed2 10; CT 250"
    )


def test_capabilities_step_tasmota_on_its_own_wifi_bucket() -> None:
    caps = light().capabilities
    assert caps.max_transition_s == 20.0 and caps.transition_step_s == 0.5
    assert caps.mireds_range == (153.0, 500.0)
    assert caps.network == Network("tasmota", "room1-lamp") and caps.default_rate_hz == 1.0
    assert caps.brightness_step == 0.01


@pytest.mark.parametrize(("payload", "online"), [(b"Online", True), (b"Offline", False)])
def test_lwt(payload: bytes, online: bool) -> None:
    adapter = light()
    assert "tele/room1-lamp/LWT" in adapter.subscriptions()
    assert adapter.parse("tele/room1-lamp/LWT", payload) == DeviceHealth("lamp", online)


def test_result_echo_in_ct_mode() -> None:
    adapter = light()
    payload = b'{"POWER":"ON","Dimmer":40,"Color":"0000006699","HSBColor":"0,0,0","CT":300}'
    echo = adapter.parse("stat/room1-lamp/RESULT", payload)
    assert echo == DeviceEcho("lamp", LightLevel(True, 0.4, 300.0, None))


def test_state_echo_in_colour_mode_uses_hsb() -> None:
    payload = b'{"POWER":"ON","Dimmer":60,"Color":"99330000","HSBColor":"20,100,60","CT":153}'
    echo = light().parse("tele/room1-lamp/STATE", payload)
    assert isinstance(echo, DeviceEcho)
    assert echo.level.on and echo.level.brightness == 0.6 and echo.level.mireds is None
    assert echo.level.color == pytest.approx((255.0, 85.0, 0.0))


def test_partial_results_merge_and_others_say_nothing() -> None:
    adapter = light()
    adapter.parse("stat/room1-lamp/RESULT", b'{"POWER":"ON","Dimmer":70,"CT":250}')
    assert adapter.parse("stat/room1-lamp/RESULT", b'{"POWER":"OFF"}') == DeviceEcho(
        "lamp", LightLevel(False, 0.7, 250.0, None)
    )
    assert adapter.parse("stat/room1-lamp/RESULT", b'{"Fade":"ON"}') is None
    assert adapter.parse("stat/room1-lamp/RESULT", b"garbage") is None
    assert adapter.parse("tele/room1-lamp/LWT", b"Sleeping") is None


def test_refresh_asks_for_state() -> None:
    assert light().refresh() == [Message("cmnd/room1-lamp/State", "")]


def test_a_bare_power_report_keeps_the_rest_of_the_last_state() -> None:
    adapter = light()
    assert "stat/room1-lamp/POWER" in adapter.subscriptions()
    adapter.parse("stat/room1-lamp/RESULT", b'{"POWER":"ON","Dimmer":70,"CT":250}')
    echo = adapter.parse("stat/room1-lamp/POWER", b"OFF")
    assert echo == DeviceEcho("lamp", LightLevel(False, 0.7, 250.0))
    assert adapter.parse("stat/room1-lamp/POWER", b"ON") == DeviceEcho(
        "lamp", LightLevel(True, 0.7, 250.0)
    )
    assert adapter.parse("stat/room1-lamp/POWER", b"TOGGLE") is None
