"""A profile's plan as a picture: the room's levels at the instants where they change.

The levels come from the same Timeline the daemon plays a session with (easing, the
room's limits and volume cap included), so a drawing of these points is what the room
does. Pure: no clock, no files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from itertools import pairwise

from roomctl.core.levels import SILENCE, LightLevel, SoundMix, light_output
from roomctl.core.timeline import SessionPlan, Timeline, scene_lights
from roomctl.models import RoomPreset, SessionProfile

# The room's levels at a session time (or at a fraction of a fade).
_At = Callable[[float], "Point"]

# A straight line between two points of a fade keeps within this share of the fade's
# travel (per channel) of the real eased curve: 2 % of a fade is less than a drawn
# curve's line width on any screen a console is read on.
FADE_TOLERANCE = 0.02
# The segment counts a fade is tried with, fewest first, each double the last so that it
# reuses every level the coarser count looked at. An s-curve needs 7 segments for 2 %
# (a cubic's chord error is 0.75 h^2), ease-in and ease-out 4; 24 bounds a fade's points
# whatever the curve (25 points, under 1 KiB of JSON).
SEGMENT_COUNTS = (1, 2, 4, 8, 16, 24)
MAX_FADE_SAMPLES = SEGMENT_COUNTS[-1]
# Where inside a segment the straight line is compared with the curve: a quadratic's
# chord error peaks at the middle; the quarters catch a symmetric curve (an s-curve
# crosses its chord at the middle). Each is a sample of a finer count (1, 2, 4: see
# SEGMENT_COUNTS), so checking costs few extra levels.
_CHECKS = (0.25, 0.5, 0.75)
# Differences under these (brightness, mireds, volume) are not worth a point: half the
# payload's step for brightness (0.001) and mireds (1); 0.05 % of full gain for volume.
_FLOORS = (0.0005, 0.5, 0.0005)
# How far inside a fade its first and last points are taken: a light switching on is lit
# from just after the start and one fading off goes dark only at the end itself, so a
# fade's ends are drawn as the light is during it (a microsecond moves no level visibly).
_EDGE_S = 1e-6


@dataclass(frozen=True, slots=True)
class Point:
    """The room at one session time: mean light 0..1, mean mireds (None), volume 0..1."""

    t_s: float
    brightness: float
    mireds: float | None
    volume: float

    def channels(self) -> tuple[float, float | None, float]:
        """Return brightness, mireds and volume."""
        return (self.brightness, self.mireds, self.volume)


@dataclass(frozen=True, slots=True)
class CuePoint:
    """A cue of the profile: its id `"<phase>.<cue>"`, session time and text."""

    id: str
    at_s: float
    notify: str


@dataclass(frozen=True, slots=True)
class PhasePicture:
    """One phase: where it starts and ends, its fade, its cues and its level points."""

    name: str
    start_s: float
    end_s: float
    fade_s: float
    cues: tuple[CuePoint, ...]
    points: tuple[Point, ...]


def room_point(t: float, lights: Mapping[str, LightLevel], sound: SoundMix) -> Point:
    """Return the point of levels: mean light given off, mean mireds of lit lights, volume.

    A light that is off counts 0 in the brightness; only lights on in colour-temperature
    mode count in the mireds. The volume is the voices' combined gain (root of the sum of
    squares: uncorrelated sources add in power), each voice already under the room's cap.
    """
    brightness = sum(light_output(level) for level in lights.values()) / max(1, len(lights))
    temperatures = [
        level.mireds
        for level in lights.values()
        if level.on and level.mireds is not None and level.color is None
    ]
    mireds = sum(temperatures) / len(temperatures) if temperatures else None
    volume = math.sqrt(sum(voice.gain * voice.gain for voice in sound))
    return Point(t, brightness, mireds, volume)


def standby_lights(room: RoomPreset) -> dict[str, LightLevel]:
    """Return the room's standby levels: where a session starts from (see room_commands)."""
    return scene_lights(room, room.standby.lights, {})


def plan_picture(
    profile: SessionProfile,
    room: RoomPreset,
    initial_lights: Mapping[str, LightLevel] | None = None,
    initial_sound: SoundMix = SILENCE,
) -> tuple[PhasePicture, ...]:
    """Return every phase of the profile played in the room from the start, at speed 1.

    A session starts from the room's standby lights and silence unless told otherwise.
    """
    lights = standby_lights(room) if initial_lights is None else initial_lights
    timeline = Timeline(profile, room, SessionPlan.from_profile(profile), lights, initial_sound)
    return tuple(_phase(timeline, index) for index in range(timeline.phase_count))


def _phase(timeline: Timeline, index: int) -> PhasePicture:
    plan, phase = timeline.plan, timeline.profile.phases[index]
    start, end = plan.start_of(index), plan.end_of(index)
    fade_end = start + min(phase.fade, end - start)
    at = _sampler(timeline)
    if fade_end > start:
        points = _fade_samples(at, start, fade_end)
        final = at(fade_end)
        if _differs(final, points[-1]):  # a light fading off goes dark at the fade's end
            points.append(final)
    else:
        points = [at(start)]
    last = index + 1 == timeline.phase_count
    lights = timeline.lights_at(end) if last else timeline.lights_entering(index + 1)
    sound = timeline.sound_at(end) if last else timeline.sound_entering(index + 1)
    if end > fade_end:
        points.append(room_point(end, lights, sound))
    cues = tuple(
        CuePoint(f"{index}.{number}", start + cue.at, cue.notify)
        for number, cue in enumerate(phase.cues)
        if start + cue.at <= end
    )
    return PhasePicture(phase.name, start, end, fade_end - start, cues, tuple(points))


def _sampler(timeline: Timeline) -> _At:
    def at(t: float) -> Point:
        return room_point(t, timeline.lights_at(t), timeline.sound_at(t))

    return at


def _fade_samples(at: _At, start: float, end: float) -> list[Point]:
    """Return the fewest evenly spaced points from the fade's start to its end that draw it.

    The ends are the fade's own: just after its start (a light switching on is lit at the
    floor from then; the previous phase's last point holds what was before) and just
    before its end (a light fading off is still lit), at the start's and end's times.
    """
    span = end - start
    seen: dict[float, Point] = {}  # by the fraction of the fade: finer counts reuse them

    def level(fraction: float) -> Point:
        key = round(fraction, 9)
        point = seen.get(key)
        if point is None:
            inside = min(max(start + span * fraction, start + _EDGE_S), end - _EDGE_S)
            point = seen[key] = replace(at(inside), t_s=start + span * fraction)
        return point

    for count in SEGMENT_COUNTS:
        samples = [level(k / count) for k in range(count + 1)]
        if count == MAX_FADE_SAMPLES or _drawn(level, count, samples):
            return samples
    raise AssertionError("unreachable: the last count is always taken")


def _differs(a: Point, b: Point) -> bool:
    """Return whether two points' levels differ by more than is worth a point."""
    for x, y, floor in zip(a.channels(), b.channels(), _FLOORS, strict=True):
        if (x is None) != (y is None) or (x is not None and y is not None and abs(x - y) > floor):
            return True
    return False


def _drawn(level: _At, count: int, samples: list[Point]) -> bool:
    """Return whether straight lines between the samples keep to the curve everywhere checked."""
    tolerances = [
        max(FADE_TOLERANCE * _travel([s.channels()[c] for s in samples]), _FLOORS[c])
        for c in range(3)
    ]
    for k, (p0, p1) in enumerate(pairwise(samples)):
        for fraction in _CHECKS:
            real = level((k + fraction) / count).channels()
            for c in range(3):
                a, b, value = p0.channels()[c], p1.channels()[c], real[c]
                if a is None or b is None or value is None:
                    continue  # lights entering or leaving colour temperature: no line
                if abs(a + (b - a) * fraction - value) > tolerances[c]:
                    return False
    return True


def _travel(values: list[float | None]) -> float:
    """Return how far a channel moves across the samples (0 when it has no value)."""
    known = [v for v in values if v is not None]
    return max(known) - min(known) if known else 0.0
