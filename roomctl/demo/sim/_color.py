"""Colour conversions the simulated lights need: hex, CIE xy, hue/saturation."""

from __future__ import annotations

import colorsys

from roomctl.core.levels import Rgb

_FULL = 255.0


def parse_hex(text: str) -> Rgb | None:
    """Return the RGB of `#rrggbb` or `rrggbb` (extra channels ignored), or None if malformed."""
    digits = text.strip().lstrip("#")
    if len(digits) < 6:
        return None
    try:
        r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return None
    return (float(r), float(g), float(b))


def to_hex(rgb: Rgb) -> str:
    """Return `#RRGGBB` for an RGB triple (rounded, clamped to 0..255)."""
    return "#" + "".join(f"{_byte(c):02X}" for c in rgb)


def normalized(rgb: Rgb) -> Rgb:
    """Return the colour scaled so its strongest channel is 255 (black stays black)."""
    peak = max(rgb)
    if peak <= 0.0:
        return (0.0, 0.0, 0.0)
    return (rgb[0] * _FULL / peak, rgb[1] * _FULL / peak, rgb[2] * _FULL / peak)


def _byte(value: float) -> int:
    return max(0, min(255, round(value)))


def _to_linear(c: float) -> float:
    c = c / _FULL
    return c / 12.92 if c <= 0.04045 else float(((c + 0.055) / 1.055) ** 2.4)


def _to_gamma(c: float) -> float:
    c = max(0.0, c)
    return 12.92 * c if c <= 0.0031308 else 1.055 * float(c ** (1.0 / 2.4)) - 0.055


def rgb_to_xy(rgb: Rgb) -> tuple[float, float]:
    """Return the CIE 1931 xy chromaticity of an sRGB colour (D65 white for black)."""
    r, g, b = (_to_linear(c) for c in rgb)
    x = r * 0.4124 + g * 0.3576 + b * 0.1805
    y = r * 0.2126 + g * 0.7152 + b * 0.0722
    z = r * 0.0193 + g * 0.1192 + b * 0.9505
    total = x + y + z
    if total <= 0.0:
        return (0.3127, 0.329)
    return (round(x / total, 4), round(y / total, 4))


def xy_to_rgb(x: float, y: float) -> Rgb:
    """Return the full-brightness sRGB colour of a CIE 1931 xy chromaticity."""
    if y <= 0.0:
        return (_FULL, _FULL, _FULL)
    big_x = x / y
    big_z = (1.0 - x - y) / y
    r = big_x * 3.2406 - 1.5372 - big_z * 0.4986
    g = -big_x * 0.9689 + 1.8758 + big_z * 0.0415
    b = big_x * 0.0557 - 0.2040 + big_z * 1.0570
    return normalized((_to_gamma(r) * _FULL, _to_gamma(g) * _FULL, _to_gamma(b) * _FULL))


def rgb_to_hs(rgb: Rgb) -> tuple[int, int]:
    """Return hue (0..360) and saturation (0..100) of a colour, as Tasmota reports them."""
    h, s, _v = colorsys.rgb_to_hsv(*(c / _FULL for c in rgb))
    return (round(h * 360.0) % 360, round(s * 100.0))


def hs_to_rgb(hue: float, saturation: float) -> Rgb:
    """Return the full-brightness colour of a hue (degrees) and saturation (0..100)."""
    r, g, b = colorsys.hsv_to_rgb((hue % 360.0) / 360.0, min(1.0, saturation / 100.0), 1.0)
    return (r * _FULL, g * _FULL, b * _FULL)
