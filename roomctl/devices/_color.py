"""Colour conversions for state echoes: hex, CIE xy and hue/saturation to RGB."""

from __future__ import annotations

import colorsys

from roomctl.devices._convert import rgb_bytes
from roomctl.levels import Rgb

_FULL = 255.0
_HEX_RGB_DIGITS = 6
_DEGREES = 360.0
_PERCENT = 100.0
# sRGB's transfer function switches from linear to a power curve at this linear value.
_SRGB_LINEAR_LIMIT = 0.0031308


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


def _gamma(linear: float) -> float:
    if linear <= _SRGB_LINEAR_LIMIT:
        return 12.92 * linear
    return float(1.055 * linear ** (1.0 / 2.4) - 0.055)
