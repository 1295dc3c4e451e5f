"""Scene resolution: what a phase's or scene's settings mean for each light and for the sound."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from roomctl.core.levels import (
    OFF,
    SILENCE,
    LightLevel,
    Rgb,
    SoundMix,
    Voice,
    as_shown,
    db_to_gain,
    kelvin_to_mireds,
)
from roomctl.models import (
    ALL_TARGET,
    OFF_WORD,
    LightSetting,
    LightValue,
    Limits,
    RoomPreset,
    SoundValue,
)

# A light a scene switches on without saying how bright shows what a switched-on bulb
# shows: full brightness (limits still apply).
DEFAULT_ON_BRIGHTNESS = 1.0

_ALL, _GROUP, _LIGHT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Fields:
    """The fields a stack of settings gives a light; None means not given."""

    brightness: float | None = None
    mireds: float | None = None
    color: Rgb | None = None

    def merged(self, setting: LightSetting) -> _Fields:
        """Return these fields with the ones `setting` gives replacing them."""
        brightness = self.brightness if setting.brightness is None else setting.brightness
        if setting.color is not None:
            r, g, b = setting.color
            return _Fields(brightness, None, (float(r), float(g), float(b)))
        if setting.color_temp is not None:
            return _Fields(brightness, kelvin_to_mireds(setting.color_temp), None)
        return _Fields(brightness, self.mireds, self.color)

    def applied_to(self, previous: LightLevel) -> LightLevel:
        """Return `previous` with these fields set, switched on, its colour as shown.

        A colour's value counts as brightness (see levels.as_shown): `#800000` at 100 %
        is `#ff0000` at 50 %, so every device family shows it alike.
        """
        brightness = self.brightness
        if brightness is None:
            brightness = previous.brightness if previous.on else DEFAULT_ON_BRIGHTNESS
        if self.mireds is None and self.color is None:
            mireds, color = (previous.mireds, previous.color) if previous.on else (None, None)
        else:
            mireds, color = self.mireds, self.color
        return as_shown(LightLevel(on=True, brightness=brightness, mireds=mireds, color=color))


def _specificity(room: RoomPreset, target: str) -> int:
    if target == ALL_TARGET:
        return _ALL
    return _GROUP if target in room.groups else _LIGHT


def scene_lights(
    room: RoomPreset, lights: Mapping[str, LightValue], previous: Mapping[str, LightLevel]
) -> dict[str, LightLevel]:
    """Return the level of every light of the room once `lights` is applied over `previous`.

    Targets stack from `all` over groups (in the order written) to single lights: the more
    specific wins field by field, and `off` replaces everything below it whole. A light
    no target names keeps its previous level (off when unknown); a setting that gives no
    brightness or colour keeps the light's previous one.
    """
    stacks: dict[str, _Fields | None] = {}
    ordered = sorted(lights.items(), key=lambda item: _specificity(room, item[0]))
    for target, value in ordered:
        for name in room.resolve(target):
            if value == OFF_WORD:
                stacks[name] = None
            elif isinstance(value, LightSetting):
                stacks[name] = (stacks.get(name) or _Fields()).merged(value)
    result: dict[str, LightLevel] = {}
    for name in room.lights():
        before = previous.get(name, OFF)
        if name not in stacks:
            result[name] = before
        else:
            fields = stacks[name]
            result[name] = OFF if fields is None else fields.applied_to(before)
    return result


def scene_sound(setting: SoundValue | None, previous: SoundMix, max_volume_db: float) -> SoundMix:
    """Return the mix a sound setting asks for: None keeps, off silences, a source plays.

    The source's gain is its volume capped at `max_volume_db`.
    """
    if setting is None:
        return previous
    if isinstance(setting, str):  # the word off
        return SILENCE
    gain = db_to_gain(min(setting.volume, max_volume_db))
    return (Voice(source=setting.source, gain=gain, loop=setting.loop),)


def apply_limits(level: LightLevel, limits: Limits) -> LightLevel:
    """Return the level emitting within min_brightness..1 while on, whatever its colour.

    The light a level emits is its brightness times its colour's value (levels.light_output):
    the colour is put at full value, keeping its hue, and the brightness raised to the
    floor where it is under it. Black, having no hue, lights at the floor in neutral
    white (levels.BLACK_SHOWN_AS). Off stays off: an explicit off is not clamped.
    """
    if not level.on:
        return level
    shown = as_shown(level)
    brightness = min(1.0, max(shown.brightness, limits.min_brightness))
    return shown if brightness == shown.brightness else shown.with_brightness(brightness)


def cap_mix(mix: SoundMix, max_volume_db: float) -> SoundMix:
    """Return the mix with every voice's gain capped at `max_volume_db`.

    A cap per voice does not hold the sum (correlated voices add in amplitude): the
    mixer's output limiter holds that, at the output's sample peak.
    """
    cap = db_to_gain(max_volume_db)
    return tuple(v if v.gain <= cap else Voice(v.source, cap, v.loop) for v in mix)
