"""Scale conversions and payload helpers shared by the adapters."""

from __future__ import annotations

import json
from typing import Any

from roomctl.core.levels import Rgb

_COLOR_FULL = 255.0


def clamp(value: float, low: float, high: float) -> float:
    """Return value held within low..high."""
    return min(high, max(low, value))


def brightness_units(fraction: float, full: int, lowest: int = 1) -> int:
    """Return a brightness fraction in device units, at least `lowest` (the light stays on)."""
    return max(lowest, min(full, round(clamp(fraction, 0.0, 1.0) * full)))


def mireds_units(mireds: float, mireds_range: tuple[float, float]) -> int:
    """Return mireds rounded and held within the light's range."""
    return round(clamp(mireds, mireds_range[0], mireds_range[1]))


def rgb_bytes(rgb: Rgb) -> tuple[int, int, int]:
    """Return an RGB colour as three whole 0..255 channels."""
    r, g, b = (round(clamp(c, 0.0, _COLOR_FULL)) for c in rgb)
    return (r, g, b)


def quantize(seconds: float, step_s: float, longest_s: float) -> float:
    """Return a transition rounded to the device's resolution and held within 0..longest."""
    seconds = clamp(seconds, 0.0, longest_s)
    if step_s <= 0.0:
        return seconds
    return min(longest_s, round(round(seconds / step_s) * step_s, 6))


def number(value: float) -> int | float:
    """Return a whole float as an int, so payloads read `2` rather than `2.0`."""
    return int(value) if float(value).is_integer() else value


def json_object(payload: bytes) -> dict[str, Any] | None:
    """Return a payload's JSON object, or None when it is not one."""
    try:
        value = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def text(payload: bytes) -> str:
    """Return a payload as stripped text (undecodable bytes replaced)."""
    return payload.decode("utf-8", "replace").strip()


def as_float(value: object) -> float | None:
    """Return a JSON number as a float, or None (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
