"""Level values the pure core computes and the edges apply: lights, sound, fades."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from roomctl.core.easing import Easing, ease

Rgb = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class LightLevel:
    """The state of one light: on/off, brightness 0..1, and a colour temperature or a colour.

    `mireds` and `color` are exclusive: a light is in colour-temperature mode or colour
    mode. Either may be None (keep whatever the device has). `color` is RGB, 0..255 each.
    """

    on: bool
    brightness: float = 0.0
    mireds: float | None = None
    color: Rgb | None = None

    def with_brightness(self, brightness: float) -> LightLevel:
        """Return a copy with another brightness."""
        return replace(self, brightness=brightness)


OFF = LightLevel(on=False, brightness=0.0)

# Full scale of an RGB channel.
COLOR_FULL = 255.0
# What black is shown as: it has no hue, so the light keeps to neutral white (every
# colour-capable family renders #ffffff; a white-only light ignores it), at whatever
# brightness the limits leave it.
BLACK_SHOWN_AS: Rgb = (COLOR_FULL, COLOR_FULL, COLOR_FULL)


def light_output(level: LightLevel) -> float:
    """Return the light a level emits, 0..1: its brightness times its colour's value.

    A colour's own value scales the light on the families that take colour and brightness
    apart (WLED `col` x `bri`, Shelly `rgb` x `brightness`): #000000 at 50 % is dark and
    #101010 at 50 % is 3 %. That is the strictest reading of a level, so it is the one
    the limits hold to. Off emits nothing.
    """
    if not level.on:
        return 0.0
    if level.color is None:
        return level.brightness
    return level.brightness * max(0.0, min(COLOR_FULL, max(level.color))) / COLOR_FULL


def as_shown(level: LightLevel) -> LightLevel:
    """Return the level with its colour at full value and that value moved into brightness.

    Every device family then shows the same light for it: a family that reads a colour's
    value (WLED, Shelly) and one that keeps only its hue (Tasmota's Color2, a Zigbee bulb
    given xy) both light at `light_output`. Black, which has no hue, becomes
    BLACK_SHOWN_AS at brightness 0. A level without a colour is returned as it is.
    """
    if level.color is None:
        return level
    peak = max(level.color)
    if peak == COLOR_FULL:
        return level
    if peak <= 0.0:
        return replace(level, brightness=0.0, color=BLACK_SHOWN_AS)
    scale = COLOR_FULL / peak
    # The strongest channel is full scale exactly, not a rounding away from it.
    r, g, b = (COLOR_FULL if c == peak else min(COLOR_FULL, c * scale) for c in level.color)
    color = (r, g, b)
    return replace(level, brightness=light_output(level), color=color)


def kelvin_to_mireds(kelvin: float) -> float:
    """Convert a colour temperature in kelvin to mireds."""
    return 1_000_000.0 / kelvin


def mireds_to_kelvin(mireds: float) -> float:
    """Convert mireds to kelvin."""
    return 1_000_000.0 / mireds


def _lerp(a: float, b: float, f: float) -> float:
    return a + (b - a) * f


def interpolate_light(source: LightLevel, target: LightLevel, fraction: float) -> LightLevel:
    """Return the light level `fraction` (0..1, already eased) of the way from source to target.

    A light fading on starts from brightness 0 with the target's colour; a light fading
    off keeps its colour and stays on until the very end, where it switches off.

    Between the ends, brightness moves along the light each end emits (`light_output`)
    and a colour along the line between the ends' full-value colours, put back at full
    value: so red to green passes through yellow, not a dim olive, and the light never
    dips below the dimmer end on its way.
    """
    if fraction >= 1.0:
        return target
    if fraction <= 0.0:
        return source
    if not source.on and not target.on:
        return target
    source, target = as_shown(source), as_shown(target)
    start_brightness = source.brightness if source.on else 0.0
    end_brightness = target.brightness if target.on else 0.0
    brightness = _lerp(start_brightness, end_brightness, fraction)
    mireds: float | None = None
    color: Rgb | None = None
    if target.color is not None:
        if source.color is not None and source.on:
            mixed = (
                _lerp(source.color[0], target.color[0], fraction),
                _lerp(source.color[1], target.color[1], fraction),
                _lerp(source.color[2], target.color[2], fraction),
            )
            # Two full-value colours mix to a peak of at least half scale: never black.
            color = as_shown(LightLevel(True, 1.0, None, mixed)).color
        else:
            color = target.color
    elif target.mireds is not None:
        if source.mireds is not None and source.on and source.color is None:
            mireds = _lerp(source.mireds, target.mireds, fraction)
        else:
            mireds = target.mireds
    else:
        mireds, color = source.mireds, source.color
    return LightLevel(on=True, brightness=brightness, mireds=mireds, color=color)


@dataclass(frozen=True, slots=True)
class LightFade:
    """A light's path between two session times: from source to target along an easing.

    Before `start` the light is at `source`, after `end` at `target`. A fade with
    start == end is a jump; source == target is a hold.
    """

    start: float
    end: float
    source: LightLevel
    target: LightLevel
    easing: Easing = "linear"

    def at(self, t: float) -> LightLevel:
        """Return the level at session time t."""
        if t >= self.end:
            return self.target
        if t <= self.start:
            return self.source
        return interpolate_light(
            self.source, self.target, ease(self.easing, (t - self.start) / (self.end - self.start))
        )


@dataclass(frozen=True, slots=True)
class Voice:
    """One sound source playing at a linear gain (1.0 = 0 dBFS)."""

    source: str
    gain: float
    loop: bool = True


SoundMix = tuple[Voice, ...]
SILENCE: SoundMix = ()


def db_to_gain(db: float) -> float:
    """Convert decibels to a linear amplitude gain."""
    return 0.0 if db == -math.inf else float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    """Convert a linear amplitude gain to decibels (-inf for silence)."""
    return -math.inf if gain <= 0.0 else 20.0 * math.log10(gain)


@dataclass(frozen=True, slots=True)
class SoundFade:
    """The sound's path between two session times: a crossfade from one mix to another.

    Voices whose source is in both mixes ramp their gain along the easing; a voice that
    leaves fades out and one that arrives fades in, with equal-power curves so that two
    uncorrelated sources crossfading keep a constant loudness.
    """

    start: float
    end: float
    source: SoundMix
    target: SoundMix
    easing: Easing = "linear"

    def at(self, t: float) -> SoundMix:
        """Return the mix at session time t."""
        if t >= self.end:
            return self.target
        if t <= self.start:
            return self.source
        f = ease(self.easing, (t - self.start) / (self.end - self.start))
        return mix_between(self.source, self.target, f)


def mix_between(source: SoundMix, target: SoundMix, fraction: float) -> SoundMix:
    """Return the mix `fraction` (0..1, already eased) of the way from source to target."""
    before = {v.source: v for v in source}
    after = {v.source: v for v in target}
    out_weight = math.cos(fraction * math.pi / 2.0)
    in_weight = math.sin(fraction * math.pi / 2.0)
    voices: list[Voice] = []
    for name, voice in before.items():
        if name in after:
            voices.append(replace(after[name], gain=_lerp(voice.gain, after[name].gain, fraction)))
        elif out_weight > 0.0:
            voices.append(replace(voice, gain=voice.gain * out_weight))
    for name, voice in after.items():
        if name not in before and in_weight > 0.0:
            voices.append(replace(voice, gain=voice.gain * in_weight))
    return tuple(voices)
