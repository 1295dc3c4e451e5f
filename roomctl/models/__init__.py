"""Validated, frozen models of the files a clinic edits."""

from __future__ import annotations

from roomctl.models.base import FrozenModel, Hint
from roomctl.models.devices import AudioSpec, DeviceSpec
from roomctl.models.profile import Cue, Phase, SessionProfile
from roomctl.models.room import (
    ALL_TARGET,
    BUILTIN_SCENES,
    DEFAULT_EMERGENCY,
    DEFAULT_STANDBY,
    NAME_PATTERN,
    ROOM_ID_PATTERN,
    Limits,
    RoomPreset,
    ScheduleEntry,
)
from roomctl.models.scene import OFF_WORD, LightSetting, LightValue, Scene, SoundSetting, SoundValue
from roomctl.models.units import (
    DURATION_HELP,
    MAX_KELVIN,
    MIN_KELVIN,
    Decibels,
    Fraction,
    HexColor,
    Kelvin,
    Seconds,
    format_duration,
    parse_decibels,
    parse_duration,
    parse_hex_color,
    parse_kelvin,
    parse_percent,
)

__all__ = [
    "ALL_TARGET",
    "BUILTIN_SCENES",
    "DEFAULT_EMERGENCY",
    "DEFAULT_STANDBY",
    "DURATION_HELP",
    "MAX_KELVIN",
    "MIN_KELVIN",
    "NAME_PATTERN",
    "OFF_WORD",
    "ROOM_ID_PATTERN",
    "AudioSpec",
    "Cue",
    "Decibels",
    "DeviceSpec",
    "Fraction",
    "FrozenModel",
    "HexColor",
    "Hint",
    "Kelvin",
    "LightSetting",
    "LightValue",
    "Limits",
    "Phase",
    "RoomPreset",
    "Scene",
    "ScheduleEntry",
    "Seconds",
    "SessionProfile",
    "SoundSetting",
    "SoundValue",
    "format_duration",
    "parse_decibels",
    "parse_duration",
    "parse_hex_color",
    "parse_kelvin",
    "parse_percent",
]
