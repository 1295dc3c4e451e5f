"""Cross-reference checks: names that must exist, limits that must hold, sounds that must play."""

from __future__ import annotations

import logging
from pathlib import Path

from roomctl.audio.generators import NOISE_COLOURS, SCAPES
from roomctl.audio.sources import validate_source
from roomctl.config.problems import Problem
from roomctl.config.suggest import did_you_mean
from roomctl.config.yamlfile import Loc, YamlDocument
from roomctl.core.levels import LightLevel, light_output
from roomctl.devices import capabilities_of
from roomctl.models import (
    ALL_TARGET,
    BUILTIN_SCENES,
    LightSetting,
    RoomPreset,
    Scene,
    SessionProfile,
    SoundSetting,
)
from roomctl.models.units import format_duration
from roomctl.mqtt.broker_url import is_embedded, parse_broker_url

_LOGGER = logging.getLogger(__name__)

GENERATOR_NAMES = [
    *(f"noise:{colour}" for colour in NOISE_COLOURS),
    *(f"scape:{scape}" for scape in SCAPES),
]


def source_problem(name: str, sounds_dir: Path) -> str | None:
    """Return why a sound source cannot play (a generator or a file under sounds_dir)."""
    reason = validate_source(name, sounds_dir)
    if reason is not None and ":" in name:
        reason += did_you_mean(name, GENERATOR_NAMES)
    return reason


def room_problems(document: YamlDocument, room: RoomPreset, sounds_dir: Path) -> list[Problem]:
    """Return what is wrong in a room preset beyond its schema."""
    problems = _broker_problems(document, room)
    problems += _name_problems(document, room)
    problems += _group_problems(document, room)
    scenes: list[tuple[Loc, Scene]] = [
        *(((name,), getattr(room, name)) for name in BUILTIN_SCENES),
        *((("scenes", name), scene) for name, scene in room.scenes.items()),
    ]
    # Only the scenes the clinic wrote: the built-in defaults are roomctl's to get right.
    written = [(loc, scene) for loc, scene in scenes if loc[0] in document.data]
    for loc, scene in written:
        problems += scene_problems(document, loc, scene, room, "this room")
        problems += _sound_source_problems(document, loc, scene, sounds_dir)
    for name in room.scenes:
        if name in BUILTIN_SCENES:
            message = f"'{name}' is built in: write it as the room's top-level {name}:"
            problems.append(document.problem(("scenes", name), message))
    known = [*BUILTIN_SCENES, *room.scenes]
    for index, entry in enumerate(room.schedule):
        if entry.scene not in known:
            hint = did_you_mean(entry.scene, known) or f": the scenes are {', '.join(known)}"
            message = f"no scene '{entry.scene}' in this room{hint}"
            problems.append(document.problem(("schedule", index, "scene"), message))
    return problems


def _broker_problems(document: YamlDocument, room: RoomPreset) -> list[Problem]:
    if room.broker is None or is_embedded(room.broker):
        return []
    try:
        parse_broker_url(room.broker)
    except ValueError as error:
        return [document.problem(("broker",), f"{error} (or write embedded)")]
    return []


def _name_problems(document: YamlDocument, room: RoomPreset) -> list[Problem]:
    problems: list[Problem] = []
    for section, names in (("devices", room.devices), ("groups", room.groups)):
        if ALL_TARGET in names:
            message = f"'{ALL_TARGET}' means every light: give this one another name"
            problems.append(document.problem((section, ALL_TARGET), message))
    for name in room.groups:
        if name in room.devices:
            message = f"'{name}' is both a device and a group: rename one of them"
            problems.append(document.problem(("groups", name), message))
    return problems


def _group_problems(document: YamlDocument, room: RoomPreset) -> list[Problem]:
    problems: list[Problem] = []
    for group, members in room.groups.items():
        for index, member in enumerate(members):
            loc: Loc = ("groups", group, index)
            if member in room.speakers():
                message = f"'{member}' is audio, not a light: groups hold lights only"
                problems.append(document.problem(loc, message))
            elif member in room.devices:
                continue
            elif member in room.groups:
                message = f"'{member}' is a group: list its lights here instead"
                problems.append(document.problem(loc, message))
            else:
                hint = did_you_mean(member, list(room.lights()))
                problems.append(document.problem(loc, f"no device '{member}' in this room{hint}"))
    return problems


def scene_problems(
    document: YamlDocument, loc: Loc, scene: Scene, room: RoomPreset, label: str
) -> list[Problem]:
    """Return the scene's targets the room lacks, limits it breaks and fields lights ignore."""
    problems: list[Problem] = []
    for target, value in scene.lights.items():
        target_loc = (*loc, "lights", target)
        if not room.resolve(target) and target != ALL_TARGET:
            problems.append(document.problem(target_loc, _missing_target(target, room, label)))
        elif isinstance(value, LightSetting):
            problems += _light_problems(document, target_loc, target, value, room, label)
    if isinstance(scene.sound, SoundSetting):
        if not room.speakers():
            message = f"{label} has no audio device: this sound will not play"
            problems.append(document.problem((*loc, "sound"), message, "warning"))
        if scene.sound.volume > room.limits.max_volume:
            message = (
                f"{scene.sound.volume:g} dB is above the limits.max_volume of {label}: "
                f"it will play clamped to {room.limits.max_volume:g} dB"
            )
            problems.append(document.problem((*loc, "sound", "volume"), message, "warning"))
    return problems


def _missing_target(target: str, room: RoomPreset, label: str) -> str:
    if target in room.speakers():
        return f"'{target}' is audio, not a light: set the sound under sound:"
    if target in room.groups:
        return f"group '{target}' of {label} holds no light"
    names = list(dict.fromkeys([ALL_TARGET, *room.groups, *room.lights()]))
    hint = did_you_mean(target, names) or f": its lights and groups are {', '.join(names)}"
    return f"{label} has no light or group '{target}'{hint}"


def _light_problems(
    document: YamlDocument, loc: Loc, target: str, value: LightSetting, room: RoomPreset, label: str
) -> list[Problem]:
    problems: list[Problem] = []
    problems += _floor_problems(document, loc, value, room, label)
    lights = room.resolve(target)
    for field in ("brightness", "color_temp", "color"):
        if getattr(value, field) is None:
            continue
        lacking = [n for n in lights if field not in capabilities_of(room.lights()[n])]
        # A named light that lacks a field is worth a warning; a group or `all` mixes
        # lights on purpose, so only a field that none of them can show is.
        if lacking and (target in room.devices or len(lacking) == len(lights)):
            names = ", ".join(f"'{n}' ({room.lights()[n].type})" for n in lacking)
            message = f"{names} cannot show {field} and will ignore it"
            problems.append(document.problem((*loc, field), message, "warning"))
    return problems


def _floor_problems(
    document: YamlDocument, loc: Loc, value: LightSetting, room: RoomPreset, label: str
) -> list[Problem]:
    """Return a warning for a setting that emits under the room's floor: it will be clamped.

    What a colour emits counts its value (levels.light_output): #000000 at 50 % is dark. A
    colour given without a brightness is judged at full brightness, the most it can show.
    """
    floor = room.limits.min_brightness
    brightness = 1.0 if value.brightness is None else value.brightness
    if value.color is not None:
        r, g, b = value.color
        emitted = light_output(LightLevel(True, brightness, color=(float(r), float(g), float(b))))
    else:
        emitted = brightness
    if emitted >= floor:
        return []
    what = _percent(brightness)
    field = "brightness"
    if value.color is not None:
        what = f"{_hex(value.color)} at {what} emits {_percent(emitted)}, which"
        # A dark colour at a fair brightness: the colour is what takes it under.
        field = "color" if value.brightness is not None and value.brightness >= floor else field
    message = (
        f"{what} is under the limits.min_brightness of {label}: "
        f"it will play clamped to {_percent(floor)}"
    )
    return [document.problem((*loc, field), message, "warning")]


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 1):g}%"


def _hex(color: tuple[int, int, int]) -> str:
    """Return `#rrggbb` for a colour as written."""
    return "#" + "".join(f"{c:02x}" for c in color)


def _sound_source_problems(
    document: YamlDocument, loc: Loc, scene: Scene, sounds_dir: Path
) -> list[Problem]:
    if not isinstance(scene.sound, SoundSetting):
        return []
    reason = source_problem(scene.sound.source, sounds_dir)
    return [document.problem((*loc, "sound", "source"), reason)] if reason else []


def profile_own_problems(
    document: YamlDocument, profile: SessionProfile, sounds_dir: Path
) -> list[Problem]:
    """Return what is wrong in a profile beyond its schema, whatever room plays it."""
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for index, phase in enumerate(profile.phases):
        loc: Loc = ("phases", index)
        if phase.name in first_seen:
            message = (
                f"phase name '{phase.name}' is already used by phases[{first_seen[phase.name]}]: "
                "give each phase its own name"
            )
            problems.append(document.problem((*loc, "name"), message))
        first_seen.setdefault(phase.name, index)
        length = format_duration(phase.duration)
        if phase.fade > phase.duration:
            message = (
                f"fade {format_duration(phase.fade)} is longer than phase '{phase.name}' "
                f"({length}): write {length} or less"
            )
            problems.append(document.problem((*loc, "fade"), message))
        for number, cue in enumerate(phase.cues):
            if cue.at > phase.duration:
                message = (
                    f"cue at {format_duration(cue.at)} is after the end of phase '{phase.name}' "
                    f"({length} long): times count from the phase's start; "
                    "move the cue to a later phase"
                )
                problems.append(document.problem((*loc, "cues", number, "at"), message))
        problems += _sound_source_problems(document, loc, phase, sounds_dir)
    return problems


def fit_problems(
    document: YamlDocument, profile: SessionProfile, room: RoomPreset
) -> list[Problem]:
    """Return where a profile does not fit a room: names it lacks and limits it breaks."""
    problems: list[Problem] = []
    label = f"room '{room.id}'"
    for index, phase in enumerate(profile.phases):
        problems += scene_problems(document, ("phases", index), phase, room, label)
    return problems
