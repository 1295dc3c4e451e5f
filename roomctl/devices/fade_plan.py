"""Plan a light's fade as device steps: native transitions where they carry, small steps else.

Pure: a fade (in wall seconds), the time now and the light's capabilities in, a list of
`LightStep`s out. Brightness and colour temperature are affine functions of the eased
time fraction e = ease(x), and a colour is the line between its ends put back at full
value (levels.interpolate_light), whose slope is bounded: so tolerances are worked out
once in e here and the curve is fitted there (curve_fit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from roomctl.core.easing import ease
from roomctl.core.levels import LightFade, LightLevel, as_shown, interpolate_light
from roomctl.devices.base import Capabilities
from roomctl.devices.curve_fit import FIT_MARGIN, FIT_SAMPLES, fit, stepped

# 1 % of full scale (brightness, the light's mired range, an RGB channel) is about the
# smallest change a person notices in a dim room: steps this size look continuous, and a
# piecewise-linear fit this close to the eased curve looks exact.
JUST_NOTICEABLE = 0.01
# A native transition shorter than this cannot carry a session fade (minutes long)
# without a command every few seconds; such lights are stepped instead. Tasmota's Speed2
# (20 s at most, and a slew rate rather than a duration) falls below it; WLED's 65.5 s
# still fades 20 minutes in 19 messages.
MIN_USEFUL_TRANSITION_S = 30.0
_BRIGHTNESS_FULL = 1.0
_COLOR_FULL = 255.0
# The shortest segment or step, as a fraction of the fade, whatever the caller's interval:
# every loop below moves on by at least this much.
_MIN_SHARE = 1e-6


@dataclass(frozen=True, slots=True)
class LightStep:
    """One command for one light: at wall time `at`, go to `level` over `transition_s`."""

    at: float
    level: LightLevel
    transition_s: float = 0.0


def freeze_step(level: LightLevel, now: float) -> LightStep:
    """Return the step that holds a light at `level` from now (a pause): no transition."""
    return LightStep(now, level, 0.0)


def uses_native_fades(caps: Capabilities) -> bool:
    """Tell whether a light's own transitions carry its fades (else it is stepped)."""
    return caps.max_transition_s >= MIN_USEFUL_TRANSITION_S


def plan_fade(
    fade: LightFade,
    now: float,
    caps: Capabilities,
    min_interval_s: float,
    *,
    current: LightLevel | None = None,
    floor_brightness: float = 0.0,
) -> list[LightStep]:
    """Return the steps that play `fade` on a light from `now` (which may be mid-fade) on.

    Native-transition lights get one step per segment of a piecewise-linear fit within
    1 % of the eased curve, each no longer than the light's longest transition, each
    step's transition lasting to the next step. Other lights get steps of at most a
    just-noticeable change, never closer together than `min_interval_s`. A light that is
    off (`current`, else the fade's level at its start) first gets an instant step on at
    its lowest level; a fade to off ends at the lowest level and then switches off,
    without transition. The lowest level is one device unit, or `floor_brightness` if
    higher. A hold or a jump is one step without transition.
    """
    if fade.source == fade.target or (not fade.source.on and not fade.target.on):
        return [LightStep(max(now, fade.start), fade.target, 0.0)]
    if fade.end <= fade.start or now >= fade.end:
        return [LightStep(max(now, fade.end), fade.target, 0.0)]
    return _Plan(fade, caps, min_interval_s, floor_brightness).steps(now, current)


class _Plan:
    """The pieces of one fade's plan: its on-curve, its tolerances and its step times."""

    def __init__(
        self, fade: LightFade, caps: Capabilities, min_interval_s: float, floor: float
    ) -> None:
        self.fade = fade
        self.caps = caps
        self.duration = fade.end - fade.start
        self.gap = max(min_interval_s, caps.transition_step_s)
        self.lowest = max(floor, caps.brightness_step)
        # The fade as the light shows it: on throughout, between ends held at the lowest
        # level or above; an end that is off is the lowest level in the lit end's colour.
        self.source = _lit(fade.source, fade.target, self.lowest)
        self.target = _lit(fade.target, fade.source, self.lowest)

    def steps(self, now: float, current: LightLevel | None) -> list[LightStep]:
        """Return the steps from now to the fade's end."""
        fade = self.fade
        t0 = max(now, fade.start)
        before = current if current is not None else fade.at(t0)
        steps: list[LightStep] = []
        start = t0
        if not before.on:
            steps.append(LightStep(t0, self.level(self._x(t0)), 0.0))
            start = t0 + self.gap
        tolerance = self._tolerance()
        if math.isinf(tolerance) or start >= fade.end:
            # Nothing the light can show changes, or no time is left to show it: land.
            if not steps:
                steps.append(LightStep(t0, self.level(1.0), 0.0))
            elif start >= fade.end and fade.target.on:
                steps.append(LightStep(start, self.level(1.0), 0.0))
        else:
            steps += self._moves(start, tolerance)
        if not fade.target.on:
            steps = [s for s in steps if s.at < fade.end]
            off_at = max(fade.end, steps[-1].at + self.gap) if steps else fade.end
            steps.append(LightStep(off_at, fade.target, 0.0))
        return _without_repeats(steps)

    def level(self, x: float) -> LightLevel:
        """Return the level the light shows at time fraction x."""
        return interpolate_light(self.source, self.target, ease(self.fade.easing, x))

    def _moves(self, start: float, tolerance: float) -> list[LightStep]:
        caps, duration = self.caps, self.duration
        x_start, dx_min = self._x(start), max(_MIN_SHARE, self.gap / duration)
        easing = self.fade.easing
        if uses_native_fades(caps):
            knots = fit(easing, x_start, tolerance, caps.max_transition_s / duration, dx_min)
            if self.bent:
                knots = self._straightened(knots, dx_min)
        else:
            knots = stepped(easing, x_start, tolerance, dx_min)
        times = [start] + [self._t(x) for x in knots[1:]]
        # Each step heads for the next knot's level: over the time to the next step where
        # the light has a transition, else at once (leading the curve by under 1 %).
        return [
            LightStep(a, self.level(x), min(b - a, caps.max_transition_s))
            for (a, b), x in zip(pairwise(times), knots[1:], strict=True)
        ]

    @property
    def bent(self) -> bool:
        """Tell whether the fade's colour path bends (its channels are not affine in e)."""
        source, target = self.source, self.target
        if not self.caps.color or source.color is None or target.color is None:
            return False
        return _color_steepness(source, target) > 1.0

    def _straightened(self, knots: tuple[float, ...], dx_min: float) -> tuple[float, ...]:
        """Return the knots with more between any two the light's own straight run misses by.

        A light with transitions runs each colour channel in a straight line from one step
        to the next; a full-value colour path bends (at most twice per channel), so a run
        across a bend would leave the curve and dim the colour on the way.
        """
        out = [knots[0]]
        pending = list(reversed(knots[1:]))
        while pending:
            end = pending[-1]
            if end - out[-1] <= dx_min or self._runs_true(out[-1], end):
                out.append(pending.pop())
            else:
                pending.append((out[-1] + end) / 2.0)
        return tuple(out)

    def _runs_true(self, a: float, b: float) -> bool:
        """Tell whether a straight run from the level at a to the one at b keeps to the curve."""
        start, end = self.level(a).color, self.level(b).color
        assert start is not None and end is not None
        for i in range(1, FIT_SAMPLES):
            share = i / FIT_SAMPLES
            want = self.level(a + (b - a) * share).color
            assert want is not None
            for s, e, w in zip(start, end, want, strict=True):
                if abs(s + (e - s) * share - w) > JUST_NOTICEABLE * _COLOR_FULL * FIT_MARGIN:
                    return False
        return True

    def _tolerance(self) -> float:
        """Return the error allowed in e: 1 % of full scale on the channel that moves most."""
        caps, source, target = self.caps, self.source, self.target
        limits: list[float] = []
        if caps.brightness:
            limits.append(_limit(_BRIGHTNESS_FULL, source.brightness, target.brightness))
        if caps.color_temp and source.mireds is not None and target.mireds is not None:
            span = caps.mireds_range[1] - caps.mireds_range[0]
            limits.append(_limit(span, source.mireds, target.mireds))
        if caps.color and source.color is not None and target.color is not None:
            moved = max(abs(b - a) for a, b in zip(source.color, target.color, strict=True))
            # A stepped light jumps from step to step: a bent path's steepest stretch sets
            # the step. A light with transitions has its runs straightened instead.
            steep = 1.0 if uses_native_fades(caps) else _color_steepness(source, target)
            limits.append(_limit(_COLOR_FULL, 0.0, moved * steep))
        return min(limits, default=math.inf)

    def _x(self, t: float) -> float:
        return min(1.0, max(0.0, (t - self.fade.start) / self.duration))

    def _t(self, x: float) -> float:
        return self.fade.end if x >= 1.0 else self.fade.start + x * self.duration


def _lit(level: LightLevel, other: LightLevel, lowest: float) -> LightLevel:
    """Return a fade's end as the light shows it: on, emitting the lowest level or more.

    What a colour emits counts its value (levels.light_output), so the colour is put at
    full value first and the brightness held at the lowest level from there.
    """
    if not level.on:
        return as_shown(LightLevel(True, lowest, other.mireds, other.color)).with_brightness(lowest)
    shown = as_shown(level)
    return shown.with_brightness(max(lowest, min(1.0, shown.brightness)))


def _without_repeats(steps: list[LightStep]) -> list[LightStep]:
    """Return the steps without those that repeat the level before (held at the lowest)."""
    kept = steps[:1]
    for step in steps[1:]:
        if step.level != kept[-1].level:
            kept.append(step)
    return kept


def _color_steepness(source: LightLevel, target: LightLevel) -> float:
    """Return how much faster than the straight line a colour fade's channels can move.

    A fade's colour is c(e) = 255 l(e) / m(e), l the line between the ends' full-value
    colours and m its strongest channel; |c'| <= 2 * 255 / min m per unit the line moves.
    Where m stays at full scale, c is the line itself (1).
    """
    a, b = source.color, target.color
    assert a is not None and b is not None
    crossings = [0.0, 1.0]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        slope = (b[i] - a[i]) - (b[j] - a[j])
        if slope != 0.0:
            e = (a[j] - a[i]) / slope
            if 0.0 < e < 1.0:
                crossings.append(e)
    lowest = min(max(p + (q - p) * e for p, q in zip(a, b, strict=True)) for e in crossings)
    if lowest >= _COLOR_FULL * (1.0 - 1e-9):
        return 1.0
    return 2.0 * _COLOR_FULL / max(lowest, 1e-9)


def _limit(full: float, a: float, b: float) -> float:
    """Return the e-error that moves a channel from a to b by 1 % of its full scale."""
    moved = abs(b - a)
    return JUST_NOTICEABLE * full / moved if moved > 0.0 else math.inf
