"""The light floor counts colour: what a level emits, clamped to min_brightness, on fades too."""

from __future__ import annotations

from roomctl.core.levels import (
    BLACK_SHOWN_AS,
    LightFade,
    LightLevel,
    as_shown,
    interpolate_light,
    light_output,
)
from roomctl.core.timeline import apply_limits, scene_lights
from roomctl.devices import Capabilities, adapter_for, plan_fade
from roomctl.models import LightSetting, Limits, RoomPreset

FLOOR = Limits.model_validate({"min_brightness": "5%", "max_volume": "-12 dB"})
RED = (255.0, 0.0, 0.0)
CYAN = (0.0, 255.0, 255.0)
ROOM = RoomPreset.model_validate(
    {"id": "room-1", "devices": {"strip": {"type": "wled", "topic": "wled/strip"}}}
)


def test_a_colours_value_scales_the_light_it_emits() -> None:
    assert light_output(LightLevel(True, 0.5, color=(0.0, 0.0, 0.0))) == 0.0
    assert abs(light_output(LightLevel(True, 0.5, color=(16.0, 16.0, 16.0))) - 0.0314) < 1e-4
    assert light_output(LightLevel(True, 0.5, mireds=300.0)) == 0.5
    assert light_output(LightLevel(False, 0.5, color=RED)) == 0.0


def test_shown_colours_carry_their_value_as_brightness() -> None:
    shown = as_shown(LightLevel(True, 1.0, color=(128.0, 64.0, 0.0)))
    assert shown.color == (255.0, 127.5, 0.0)
    assert abs(shown.brightness - 128 / 255) < 1e-12
    assert as_shown(LightLevel(True, 0.5, color=(0.0, 0.0, 0.0))) == LightLevel(
        True, 0.0, color=BLACK_SHOWN_AS
    )


def test_black_at_half_brightness_lights_at_the_floor_in_white() -> None:
    level = apply_limits(LightLevel(True, 0.5, color=(0.0, 0.0, 0.0)), FLOOR)
    assert level == LightLevel(True, 0.05, color=(255.0, 255.0, 255.0))


def test_a_dark_grey_is_raised_to_the_floor_keeping_its_hue() -> None:
    level = apply_limits(LightLevel(True, 0.5, color=(16.0, 0.0, 8.0)), FLOOR)
    assert level == LightLevel(True, 0.05, color=(255.0, 0.0, 127.5))
    assert light_output(level) == 0.05


def test_a_colour_above_the_floor_only_moves_its_value_into_brightness() -> None:
    level = apply_limits(LightLevel(True, 1.0, color=(128.0, 0.0, 0.0)), FLOOR)
    assert level.color == RED
    assert abs(level.brightness - 128 / 255) < 1e-12


def test_an_explicit_off_is_not_clamped() -> None:
    assert apply_limits(LightLevel(False, 0.0), FLOOR) == LightLevel(False, 0.0)


def test_a_black_scene_resolves_to_a_light_that_emits_nothing_before_the_limits() -> None:
    scene = scene_lights(ROOM, {"strip": _setting("#000000", 0.5)}, {})
    assert light_output(scene["strip"]) == 0.0
    assert light_output(apply_limits(scene["strip"], FLOOR)) == 0.05


def test_a_fade_between_complementary_colours_at_the_floor_never_dips_below_it() -> None:
    source, target = LightLevel(True, 0.05, color=RED), LightLevel(True, 0.05, color=CYAN)
    for i in range(101):
        level = interpolate_light(source, target, i / 100)
        # A straight mix would pass (127.5, 127.5, 127.5) at 5 %: 2.5 % emitted.
        assert light_output(level) >= 0.05 - 1e-12, i


def test_a_fade_from_an_unshown_colour_moves_along_what_each_end_emits() -> None:
    source = LightLevel(True, 1.0, color=(25.5, 0.0, 0.0))  # emits 10 %
    target = LightLevel(True, 0.3, color=RED)  # emits 30 %
    halfway = interpolate_light(source, target, 0.5)
    assert abs(light_output(halfway) - 0.2) < 1e-12


FIVE = RoomPreset.model_validate(
    {
        "id": "room-5",
        "devices": {
            "zigbee2mqtt": {"type": "zigbee2mqtt", "topic": "z2m/x"},
            "tasmota": {"type": "tasmota", "topic": "x"},
            "wled": {"type": "wled", "topic": "wled/x"},
            "shelly": {"type": "shelly", "topic": "shelly-x"},
            "mqtt_json": {"type": "mqtt_json", "command_topic": "x/set", "state_topic": "x"},
        },
    }
)


def _caps(kind: str) -> Capabilities:
    return adapter_for(kind, FIVE.lights()[kind]).capabilities


def test_every_planned_step_of_a_fade_from_black_keeps_to_the_floor() -> None:
    # A source that was never limited (a light reported black) fading to red at the floor.
    black = LightLevel(True, 0.8, color=(0.0, 0.0, 0.0))
    fade = LightFade(0.0, 120.0, black, LightLevel(True, 0.05, color=RED), "s-curve")
    for kind in ("wled", "shelly", "zigbee2mqtt", "tasmota", "mqtt_json"):
        steps = plan_fade(fade, 0.0, _caps(kind), 1.0, floor_brightness=0.05)
        assert steps, kind
        assert min(light_output(step.level) for step in steps) >= 0.05 - 1e-12, kind


def _setting(color: str, brightness: float) -> LightSetting:
    return LightSetting.model_validate({"color": color, "brightness": f"{brightness * 100:g}%"})
