"""Colour conversions for state echoes: hex, CIE xy and hue/saturation to RGB."""

from __future__ import annotations

import colorsys
import math

from roomctl.core.levels import Rgb
from roomctl.devices._convert import rgb_bytes

_FULL = 255.0
_HEX_RGB_DIGITS = 6
_DEGREES = 360.0
_PERCENT = 100.0
# sRGB's transfer function switches from linear to a power curve at this linear value.
_SRGB_LINEAR_LIMIT = 0.0031308
# The black-body fit holds from 1000 K to 40000 K and changes form at 6600 K; below
# 1900 K it has no blue.
_KELVIN_LOW, _KELVIN_HIGH = 1000.0, 40000.0
_FIT_KNEE = 66.0
_FIT_BLUE_FLOOR = 19.0


def to_hex(rgb: Rgb) -> str:
    """Return `#rrggbb` for an RGB colour."""
    return "#" + "".join(f"{c:02x}" for c in rgb_bytes(rgb))


def parse_hex(value: str) -> Rgb | None:
    """Return the RGB of `#rrggbb` (the last six digits of a longer code), or None."""
    digits = value.strip().lstrip("#")
    if len(digits) < _HEX_RGB_DIGITS:
        return None
    digits = digits[-_HEX_RGB_DIGITS:]
    try:
        r, g, b = (float(int(digits[i : i + 2], 16)) for i in (0, 2, 4))
    except ValueError:
        return None
    return (r, g, b)


def normalized(rgb: Rgb) -> Rgb | None:
    """Return the colour scaled so its strongest channel is 255, or None for black."""
    peak = max(rgb)
    if peak <= 0.0:
        return None
    return (rgb[0] * _FULL / peak, rgb[1] * _FULL / peak, rgb[2] * _FULL / peak)


def hs_to_rgb(hue_deg: float, saturation_pct: float) -> Rgb:
    """Return the full-value RGB of a hue (degrees) and saturation (percent)."""
    r, g, b = colorsys.hsv_to_rgb(
        (hue_deg % _DEGREES) / _DEGREES, max(0.0, min(1.0, saturation_pct / _PERCENT)), 1.0
    )
    return (r * _FULL, g * _FULL, b * _FULL)


def xy_to_rgb(x: float, y: float) -> Rgb | None:
    """Return the full-brightness sRGB colour of a CIE 1931 xy point, or None when invalid."""
    if y <= 0.0:
        return None
    big_x, big_z = x / y, (1.0 - x - y) / y
    linear = (
        3.2406 * big_x - 1.5372 - 0.4986 * big_z,
        -0.9689 * big_x + 1.8758 + 0.0415 * big_z,
        0.0557 * big_x - 0.2040 + 1.0570 * big_z,
    )
    clipped = [max(0.0, c) for c in linear]
    peak = max(clipped)
    if peak <= 0.0:
        return None
    r, g, b = (_gamma(c / peak) * _FULL for c in clipped)
    return (r, g, b)


def kelvin_to_rgb(kelvin: float) -> Rgb:
    """Return the full-brightness RGB of a black body at `kelvin` (Tanner Helland's fit).

    The fit WLED's own colour picker uses; good to a few percent from 1000 K to 40000 K.
    """
    t = max(_KELVIN_LOW, min(_KELVIN_HIGH, kelvin)) / 100.0
    if t <= _FIT_KNEE:
        red = _FULL
        green = 99.4708025861 * math.log(t) - 161.1195681661
        blue = 0.0 if t <= _FIT_BLUE_FLOOR else 138.5177312231 * math.log(t - 10.0) - 305.0447927307
    else:
        red = 329.698727446 * (t - 60.0) ** -0.1332047592
        green = 288.1221695283 * (t - 60.0) ** -0.0755148492
        blue = _FULL
    r, g, b = (max(0.0, min(_FULL, c)) for c in (red, green, blue))
    return (r, g, b)


def _gamma(linear: float) -> float:
    if linear <= _SRGB_LINEAR_LIMIT:
        return 12.92 * linear
    return float(1.055 * linear ** (1.0 / 2.4) - 0.055)
