"""The clinic's files read with their lines, validated in two passes, and checked.

Schema first (YAML, then the models with each field's own wording), then the cross
references; every problem is reported at its FILE:LINE at once.
"""

from __future__ import annotations

from roomctl.config.check import CheckReport, check_paths
from roomctl.config.emergency_check import EMERGENCY_MIN_BRIGHTNESS, emergency_problems
from roomctl.config.folders import (
    ROOMS_FOLDER,
    SESSIONS_FOLDER,
    SOUNDS_FOLDER,
    default_profiles_dir,
    room_sounds_dir,
    sounds_dir,
)
from roomctl.config.library import (
    PROFILE_SUFFIXES,
    Loaded,
    LoadedProfile,
    LoadedRoom,
    ProfileLibrary,
    ProfileNameError,
    load_profile,
    load_room,
    profile_problems,
    read_profile,
    read_room,
)
from roomctl.config.problems import ConfigError, Problem, Severity, errors
from roomctl.config.references import source_problem
from roomctl.config.schema_errors import schema_problems
from roomctl.config.suggest import did_you_mean
from roomctl.config.yamlfile import YamlDocument, read_yaml

__all__ = [
    "EMERGENCY_MIN_BRIGHTNESS",
    "PROFILE_SUFFIXES",
    "ROOMS_FOLDER",
    "SESSIONS_FOLDER",
    "SOUNDS_FOLDER",
    "CheckReport",
    "ConfigError",
    "Loaded",
    "LoadedProfile",
    "LoadedRoom",
    "Problem",
    "ProfileLibrary",
    "ProfileNameError",
    "Severity",
    "YamlDocument",
    "check_paths",
    "default_profiles_dir",
    "did_you_mean",
    "emergency_problems",
    "errors",
    "load_profile",
    "load_room",
    "profile_problems",
    "read_profile",
    "read_room",
    "read_yaml",
    "room_sounds_dir",
    "schema_problems",
    "sounds_dir",
    "source_problem",
]
