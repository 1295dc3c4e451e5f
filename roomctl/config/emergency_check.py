"""The emergency scene's own rule: every light bright, no sound.

The emergency button is for a client in distress: staff must see the client's face and
colour and hear them, at once. A written emergency scene that leaves a light dim or off,
or asks for a sound, is refused as an error, not a warning: a warning scrolls past in a
log, while a refused room is fixed before the next session instead of during a crisis.
The daemon silences the sound at an emergency whatever the scene says, so a sound
written there would also promise what never plays.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from roomctl.config.problems import Problem
from roomctl.config.yamlfile import Loc, YamlDocument
from roomctl.core.timeline.scene import scene_lights
from roomctl.models import ALL_TARGET, RoomPreset, SoundSetting

_LOGGER = logging.getLogger(__name__)

# The least brightness an emergency scene may give a light: bright enough to see a
# client's face and skin colour clearly, with room below 100% to soften a glaring lamp.
EMERGENCY_MIN_BRIGHTNESS = 0.8
SECTION = "emergency"


def emergency_problems(document: YamlDocument, room: RoomPreset) -> list[Problem]:
    """Return an error per light a written emergency scene leaves dim or off, and its sound."""
    if SECTION not in document.data:
        return []  # the built-in emergency scene: every light 100%, sound off
    scene = room.emergency
    problems: list[Problem] = []
    if isinstance(scene.sound, SoundSetting):
        message = (
            f"the emergency scene must be silent, so staff can hear the client; "
            f"roomctl silences the sound at an emergency anyway: write sound: off "
            f"instead of {scene.sound.source}"
        )
        problems.append(document.problem((SECTION, "sound"), message))
    # The levels exactly as the daemon jumps to them: no earlier level is kept.
    levels = scene_lights(room, scene.lights, {})
    floor = f"{EMERGENCY_MIN_BRIGHTNESS * 100:g}%"
    for name, level in levels.items():
        target = _deciding_target(room, scene.lights, name)
        loc: Loc = (SECTION, "lights", target) if target else (SECTION, "lights")
        if target is None:
            what = f"no target names '{name}', so the emergency scene switches it off"
        elif not level.on:
            what = f"the emergency scene switches '{name}' off"
        elif level.brightness < EMERGENCY_MIN_BRIGHTNESS:
            what = f"the emergency scene lights '{name}' at {level.brightness * 100:g}%"
        else:
            continue
        message = (
            f"{what}: an emergency must light the room brightly so staff can see the "
            f"client; give every light {floor} or more (all: {{brightness: 100%}})"
        )
        problems.append(document.problem(loc, message))
    return problems


def _deciding_target(room: RoomPreset, lights: Mapping[str, object], name: str) -> str | None:
    """Return the most specific target of the scene that covers the light, if any."""
    covering = [t for t in lights if name in room.resolve(t)]
    named = [t for t in covering if t == name]
    groups = [t for t in covering if t not in (name, ALL_TARGET)]
    for choice in (named, groups[-1:], [t for t in covering if t == ALL_TARGET]):
        if choice:
            return choice[0]
    return None
