from __future__ import annotations

from pathlib import Path

from roomctl.config import load_profile
from roomctl.models import LightSetting, RoomPreset, SessionProfile

REPO = Path(__file__).resolve().parent.parent


def _room(**extra: object) -> RoomPreset:
    return RoomPreset.model_validate(
        {"id": "room-9", "devices": {"lamp": {"type": "tasmota", "topic": "lamp"}}, **extra}
    )


def test_default_standby_and_emergency_are_40_and_100_percent() -> None:
    room = _room()
    standby = room.standby.lights["all"]
    emergency = room.emergency.lights["all"]
    assert isinstance(standby, LightSetting)
    assert isinstance(emergency, LightSetting)
    assert standby.brightness == 0.4
    assert standby.color_temp == 3500.0
    assert emergency.brightness == 1.0
    assert emergency.color_temp == 4000.0


def test_resolve_targets_all_group_and_single_light() -> None:
    room = RoomPreset.model_validate(
        {
            "id": "room-9",
            "devices": {
                "lamp": {"type": "tasmota", "topic": "lamp"},
                "strip": {"type": "wled", "topic": "wled/x"},
                "speaker": {"type": "audio"},
            },
            "groups": {"ambient": ["strip"]},
        }
    )
    assert room.resolve("all") == ("lamp", "strip")
    assert room.resolve("ambient") == ("strip",)
    assert room.resolve("lamp") == ("lamp",)
    assert room.resolve("speaker") == ()
    assert room.resolve("nothing") == ()


def test_every_example_profile_survives_a_json_round_trip() -> None:
    profiles = sorted((REPO / "profiles" / "sessions").glob("*.yaml"))
    assert profiles
    for path in profiles:
        profile = load_profile(path)
        again = SessionProfile.model_validate(profile.model_dump(mode="json"))
        assert again == profile, path


def test_a_colour_and_a_percentage_dump_as_a_clinic_writes_them() -> None:
    setting = LightSetting.model_validate({"brightness": "7.5%", "color": "#ff8800"})
    assert setting.model_dump(mode="json") == {
        "brightness": "7.5%",
        "color_temp": None,
        "color": "#ff8800",
    }
    assert LightSetting.model_validate(setting.model_dump(mode="json")) == setting
