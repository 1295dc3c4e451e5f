from __future__ import annotations

from roomctl.models import LightSetting, RoomPreset


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
