"""Validated, frozen models of the files a clinic edits."""

from __future__ import annotations

from roomctl.models.devices import AudioSpec, DeviceSpec
from roomctl.models.profile import Cue, Phase, SessionProfile
from roomctl.models.room import ALL_TARGET, Limits, RoomPreset, ScheduleEntry
from roomctl.models.scene import OFF_WORD, LightSetting, LightValue, Scene, SoundSetting, SoundValue

__all__ = [
    "ALL_TARGET",
    "OFF_WORD",
    "AudioSpec",
    "Cue",
    "DeviceSpec",
    "LightSetting",
    "LightValue",
    "Limits",
    "Phase",
    "RoomPreset",
    "Scene",
    "ScheduleEntry",
    "SessionProfile",
    "SoundSetting",
    "SoundValue",
]
