"""Easing curves: map the fraction of a fade's time to the fraction of its travel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Easing = Literal["linear", "s-curve", "ease-in", "ease-out"]
EASINGS: tuple[Easing, ...] = ("linear", "s-curve", "ease-in", "ease-out")
DEFAULT_EASING: Easing = "s-curve"


def _linear(x: float) -> float:
    return x


def _s_curve(x: float) -> float:
    # Smoothstep: zero slope at both ends, so a fade starts and settles gently.
    return x * x * (3.0 - 2.0 * x)


def _ease_in(x: float) -> float:
    return x * x


def _ease_out(x: float) -> float:
    return 1.0 - (1.0 - x) * (1.0 - x)


_CURVES: dict[Easing, Callable[[float], float]] = {
    "linear": _linear,
    "s-curve": _s_curve,
    "ease-in": _ease_in,
    "ease-out": _ease_out,
}


def ease(easing: Easing, x: float) -> float:
    """Return the eased travel fraction for time fraction x (clamped to 0..1)."""
    return _CURVES[easing](min(1.0, max(0.0, x)))
