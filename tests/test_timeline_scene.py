"""Scene resolution: targets, off, kept levels, colours, sound gains and limits."""

from __future__ import annotations

from typing import cast

import pytest

from roomctl.core.levels import OFF, SILENCE, LightLevel, Voice, db_to_gain
from roomctl.core.timeline import apply_limits, cap_mix, scene_lights, scene_sound
from roomctl.models import Limits, RoomPreset, Scene


def near(value: float) -> float:
    """Return pytest.approx(value), typed as the float it compares equal to."""
    return cast(float, pytest.approx(value))


ROOM = RoomPreset.model_validate(
    {
        "id": "room-1",
        "devices": {
            "ceiling": {"type": "zigbee2mqtt", "topic": "z2m/ceiling"},
            "lamp": {"type": "tasmota", "topic": "lamp"},
            "strip": {"type": "wled", "topic": "wled/strip"},
            "speaker": {"type": "audio"},
        },
        "groups": {"ambient": ["lamp", "strip"]},
        "limits": {"min_brightness": "5%", "max_volume": "-12 dB"},
    }
)


def lights(spec: dict[str, object]) -> Scene:
    return Scene.model_validate({"lights": spec})


def test_more_specific_targets_win_field_by_field() -> None:
    scene = lights(
        {
            "all": {"brightness": "60%", "color_temp": "3000K"},
            "lamp": {"brightness": "20%"},
            "ambient": {"color": "#ff8000"},
        }
    )
    result = scene_lights(ROOM, scene.lights, {})
    assert set(result) == {"ceiling", "lamp", "strip"}
    assert result["ceiling"] == LightLevel(True, 0.6, near(1e6 / 3000), None)
    assert result["strip"] == LightLevel(True, 0.6, None, (255.0, 128.0, 0.0))
    assert result["lamp"] == LightLevel(True, 0.2, None, (255.0, 128.0, 0.0))


def test_off_wins_whole_below_a_more_specific_setting() -> None:
    previous = {"lamp": LightLevel(True, 0.4, 400.0), "strip": LightLevel(True, 0.7, 250.0)}
    scene = lights({"all": "off", "lamp": {"color_temp": "2500K"}})
    result = scene_lights(ROOM, scene.lights, previous)
    assert result["ceiling"] == OFF
    assert result["strip"] == OFF
    # The lamp is named after the off: on, in its new colour, at its previous brightness.
    assert result["lamp"] == LightLevel(True, 0.4, 400.0, None)
    again = scene_lights(ROOM, lights({"ambient": {"brightness": "30%"}, "lamp": "off"}).lights, {})
    assert again["lamp"] == OFF
    assert again["strip"] == LightLevel(True, 0.3, None, None)
    assert again["ceiling"] == OFF


def test_unnamed_lights_keep_their_level_and_a_bare_colour_switches_on_full() -> None:
    previous = {"ceiling": LightLevel(True, 0.5, 300.0)}
    result = scene_lights(ROOM, lights({"lamp": {"color_temp": "2700K"}}).lights, previous)
    assert result["ceiling"] == LightLevel(True, 0.5, 300.0)
    assert result["strip"] == OFF
    assert result["lamp"] == LightLevel(True, 1.0, near(1e6 / 2700), None)
    brighter = scene_lights(ROOM, lights({"ceiling": {"brightness": "80%"}}).lights, previous)
    assert brighter["ceiling"] == LightLevel(True, 0.8, 300.0)


def test_unknown_targets_are_ignored() -> None:
    result = scene_lights(ROOM, lights({"nowhere": {"brightness": "10%"}}).lights, {})
    assert result == {"ceiling": OFF, "lamp": OFF, "strip": OFF}


def test_sound_settings_keep_silence_or_play_capped() -> None:
    playing = (Voice("noise:pink", 0.1),)
    assert scene_sound(None, playing, -12.0) is playing
    assert scene_sound("off", playing, -12.0) == SILENCE
    quiet = Scene.model_validate({"sound": {"source": "noise:brown", "volume": "-30 dB"}}).sound
    assert scene_sound(quiet, playing, -12.0) == (Voice("noise:brown", db_to_gain(-30.0)),)
    loud = Scene.model_validate(
        {"sound": {"source": "tone:440", "volume": "-3 dB", "loop": False}}
    ).sound
    (voice,) = scene_sound(loud, SILENCE, -12.0)
    assert voice == Voice("tone:440", near(0.251188643), loop=False)


def test_limits_raise_dim_lights_and_leave_off_alone() -> None:
    limits = Limits.model_validate({"min_brightness": "5%", "max_volume": "-12 dB"})
    assert apply_limits(LightLevel(True, 0.01, 300.0), limits) == LightLevel(True, 0.05, 300.0)
    assert apply_limits(LightLevel(True, 0.5), limits) == LightLevel(True, 0.5)
    assert apply_limits(OFF, limits) == OFF
    capped = cap_mix((Voice("a", 1.0), Voice("b", 0.01)), -12.0)
    assert capped == (Voice("a", near(0.251188643)), Voice("b", 0.01))
