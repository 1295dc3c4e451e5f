"""Transitions: how one light or the sound moves from where it is to a target, then holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from roomctl.core.easing import Easing
from roomctl.core.levels import OFF, LightFade, LightLevel, SoundFade, SoundMix


def _same(a: LightLevel, b: LightLevel) -> bool:
    return (not a.on and not b.on) or a == b


@dataclass(frozen=True, slots=True)
class LightTransition:
    """A light's path: `fade` from its start to its end, then a hold at `final`.

    A light never fades through an on/off switch: switching on, it turns on at the
    lowest allowed brightness in the target's colour and fades up; switching off, it fades
    down to the lowest allowed brightness and turns off when the fade ends. So every level
    on the way, and both ends of every fade, keep within the limits.
    """

    fade: LightFade
    final: LightLevel

    @classmethod
    def between(
        cls,
        source: LightLevel,
        target: LightLevel,
        start: float,
        duration: float,
        easing: Easing,
        min_brightness: float = 0.0,
    ) -> LightTransition:
        """Return the path from `source` to `target` over `duration` seconds from `start`.

        A zero duration is a jump at `start`; an unchanged level holds from `start`.
        """
        if _same(source, target):
            return cls(LightFade(start, start, target, target, easing), target)
        if duration <= 0.0:
            return cls(LightFade(start, start, source, target, easing), target)
        end = start + duration
        if not source.on:
            lit = LightLevel(True, min_brightness, target.mireds, target.color)
            return cls(LightFade(start, end, lit, target, easing), target)
        if not target.on:
            dimmed = LightLevel(True, min_brightness, source.mireds, source.color)
            return cls(LightFade(start, end, source, dimmed, easing), target)
        return cls(LightFade(start, end, source, target, easing), target)

    @property
    def fades(self) -> bool:
        """Return whether the path takes time (it is not a hold or a jump)."""
        return self.fade.end > self.fade.start

    def segment(self, t: float, until: float) -> LightFade:
        """Return the piece of the path at time t: the fade, or the hold up to `until`."""
        if t < self.fade.end:
            return self.fade
        return LightFade(self.fade.end, max(until, self.fade.end), self.final, self.final)

    def level(self, t: float) -> LightLevel:
        """Return the level at time t."""
        return self.fade.at(t) if t < self.fade.end else self.final


@dataclass(frozen=True, slots=True)
class SoundTransition:
    """The sound's path: `fade`, an equal-power crossfade, then a hold at its target."""

    fade: SoundFade

    @classmethod
    def between(
        cls, source: SoundMix, target: SoundMix, start: float, duration: float, easing: Easing
    ) -> SoundTransition:
        """Return the path from `source` to `target` over `duration` seconds from `start`."""
        if source == target:
            return cls(SoundFade(start, start, target, target, easing))
        return cls(SoundFade(start, start + max(duration, 0.0), source, target, easing))

    @property
    def fades(self) -> bool:
        """Return whether the path takes time (it is not a hold or a jump)."""
        return self.fade.end > self.fade.start

    def segment(self, t: float, until: float) -> SoundFade:
        """Return the piece of the path at time t: the fade, or the hold up to `until`."""
        if t < self.fade.end:
            return self.fade
        target = self.fade.target
        return SoundFade(self.fade.end, max(until, self.fade.end), target, target)

    def level(self, t: float) -> SoundMix:
        """Return the mix at time t."""
        return self.fade.at(t)


def light_transitions(
    source: Mapping[str, LightLevel],
    target: Mapping[str, LightLevel],
    start: float,
    duration: float,
    easing: Easing,
    min_brightness: float = 0.0,
) -> dict[str, LightTransition]:
    """Return each target light's path from its `source` level (off when unknown)."""
    return {
        name: LightTransition.between(
            source.get(name, OFF), level, start, duration, easing, min_brightness
        )
        for name, level in target.items()
    }
