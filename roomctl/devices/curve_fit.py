"""Fit an easing curve with knots: chords within a tolerance, or steps of a given rise.

Pure and cached: the fade planner works out a tolerance in e = ease(x) once per fade and
asks here for the time fractions x (knots) where its light's steps go.
"""

from __future__ import annotations

import functools

from roomctl.core.easing import Easing, ease

# A segment's chord error is checked at this many points. The easings' curvature is
# bounded (|e''| <= 6), so the sampled maximum is within 5 % of the true one: the margin.
FIT_SAMPLES = 32
FIT_MARGIN = 0.95
# Bisection steps for the time a level is reached: 2^-40 of the fade.
_SEARCH_STEPS = 40
# Bisection steps for a segment's end (kept on the side that fits): 2^-20 of the fade,
# about a millisecond of 20 minutes, finer than the 0.1 s a device resolves. Each step
# costs up to FIT_SAMPLES easing evaluations, and a room plans every light at once at a
# phase boundary while other rooms' cues wait for the interpreter: 40 steps doubled the
# planning time (about 1.8 ms per S-curve light) for precision no light can show.
_FIT_SEARCH_STEPS = 20
# Knot lists are cached: the lights of a room share a fade's easing and times.
_CACHE_SIZE = 512


@functools.lru_cache(maxsize=_CACHE_SIZE)
def fit(
    easing: Easing, x_start: float, tolerance: float, dx_max: float, dx_min: float
) -> tuple[float, ...]:
    """Return knots from x_start to 1 whose chords stay within tolerance of the easing."""
    knots = [x_start]
    x = x_start
    while x < 1.0:
        hi = min(1.0, x + dx_max)
        if _chord_fits(easing, x, hi, tolerance):
            end = hi
        else:
            lo = x
            for _ in range(_FIT_SEARCH_STEPS):
                mid = (lo + hi) / 2.0
                lo, hi = (mid, hi) if _chord_fits(easing, x, mid, tolerance) else (lo, mid)
            end = lo
        end = min(1.0, max(end, x + dx_min))
        if 0.0 < 1.0 - end < dx_min:
            # No sliver at the end: stretch to it where allowed, else leave room for it.
            end = 1.0 if 1.0 - x <= dx_max else 1.0 - dx_min
        knots.append(end)
        x = end
    return tuple(knots)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def stepped(easing: Easing, x_start: float, tolerance: float, dx_min: float) -> tuple[float, ...]:
    """Return knots from x_start to 1, each at least `tolerance` further along in e."""
    knots = [x_start]
    x = x_start
    while True:
        goal = ease(easing, x) + tolerance
        if goal >= 1.0:
            break
        x_next = max(x + dx_min, _reach(easing, goal, x))
        if x_next >= 1.0:
            break
        knots.append(x_next)
        x = x_next
    if len(knots) > 1 and 1.0 - knots[-1] < dx_min:
        knots.pop()
    knots.append(1.0)
    return tuple(knots)


def _chord_fits(easing: Easing, a: float, b: float, tolerance: float) -> bool:
    """Tell whether the chord from a to b stays within tolerance of the eased curve."""
    ea, eb = ease(easing, a), ease(easing, b)
    for i in range(1, FIT_SAMPLES):
        share = i / FIT_SAMPLES
        error = ease(easing, a + (b - a) * share) - (ea + (eb - ea) * share)
        if abs(error) > tolerance * FIT_MARGIN:
            return False
    return True


def _reach(easing: Easing, goal: float, lo: float) -> float:
    """Return the first time fraction after lo at which the (rising) easing reaches goal."""
    hi = 1.0
    for _ in range(_SEARCH_STEPS):
        mid = (lo + hi) / 2.0
        lo, hi = (lo, mid) if ease(easing, mid) >= goal else (mid, hi)
    return hi
