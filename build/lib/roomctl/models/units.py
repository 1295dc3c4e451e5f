"""Human units in clinic files: durations, percentages, kelvin, decibels and colours."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_DURATION_PARTS = re.compile(
    r"^(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$"
)
_CLOCK = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2}(?:\.\d+)?)$")
_PERCENT = re.compile(r"^(?P<v>-?\d+(?:\.\d+)?)\s*%$")
_KELVIN = re.compile(r"^(?P<v>\d+(?:\.\d+)?)\s*[Kk]$")
_DECIBEL = re.compile(r"^(?P<v>[-+]?\d+(?:\.\d+)?)\s*dB$", re.IGNORECASE)
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

DURATION_HELP = "write a duration like 45s, 10m, 1h30m or 01:30:00"


def parse_duration(value: object) -> float:
    """Return seconds for a duration like 45s, 10m, 1h30m, 01:30:00 or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError(DURATION_HELP)
    if isinstance(value, int | float):
        if value < 0 or not math.isfinite(value):
            raise ValueError(f"a duration cannot be negative: {DURATION_HELP}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(DURATION_HELP)
    text = value.strip().replace(" ", "")
    clock = _CLOCK.match(text)
    if clock:
        minutes, seconds = int(clock["m"]), float(clock["s"])
        if seconds >= 60 or (clock["h"] is not None and minutes >= 60):
            raise ValueError(f"'{value}' is not a valid clock time: {DURATION_HELP}")
        return int(clock["h"] or 0) * 3600 + minutes * 60 + seconds
    parts = _DURATION_PARTS.match(text)
    if not text or not parts or not any(parts.groupdict().values()):
        raise ValueError(f"'{value}' is not a duration: {DURATION_HELP}")
    h, m, s = (float(parts[k] or 0) for k in ("h", "m", "s"))
    return h * 3600 + m * 60 + s


def format_duration(seconds: float) -> str:
    """Return a compact human duration such as 1h05m, 12m30s or 45s."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m" + (f"{secs:02d}s" if secs else "")
    if minutes:
        return f"{minutes}m" + (f"{secs:02d}s" if secs else "")
    return f"{secs}s"


def parse_percent(value: object) -> float:
    """Return a fraction 0..1 for a percentage like 60% (a bare number counts as percent)."""
    if isinstance(value, bool):
        raise ValueError("write a percentage like 60%")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (match := _PERCENT.match(value.strip())):
        number = float(match["v"])
    else:
        raise ValueError(f"'{value}' is not a percentage: write one like 60%")
    if not 0.0 <= number <= 100.0:
        raise ValueError(f"{number:g}% is outside 0-100%")
    return number / 100.0


# Warm candlelight is about 1000 K and cool daylight 10000 K; outside that is a typo.
MIN_KELVIN = 1000.0
MAX_KELVIN = 10000.0


def parse_kelvin(value: object) -> float:
    """Return kelvin for a colour temperature like 3000K."""
    if isinstance(value, bool):
        raise ValueError("write a colour temperature like 3000K")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (match := _KELVIN.match(value.strip())):
        number = float(match["v"])
    else:
        raise ValueError(f"'{value}' is not a colour temperature: write one like 3000K")
    if not MIN_KELVIN <= number <= MAX_KELVIN:
        raise ValueError(f"{number:g}K is outside {MIN_KELVIN:g}K-{MAX_KELVIN:g}K")
    return number


def parse_decibels(value: object) -> float:
    """Return dBFS for a level like -30 dB; it must be 0 or below."""
    if isinstance(value, bool):
        raise ValueError("write a level like -30 dB")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (match := _DECIBEL.match(value.strip())):
        number = float(match["v"])
    else:
        raise ValueError(f"'{value}' is not a level: write one like -30 dB")
    if number > 0.0:
        raise ValueError(f"{number:g} dB is above 0 dB: levels are dBFS, 0 or below")
    return number


def parse_hex_color(value: object) -> tuple[int, int, int]:
    """Return (r, g, b) for a colour written as #rrggbb."""
    if not isinstance(value, str) or not _HEX_COLOR.match(value.strip()):
        raise ValueError(f"'{value}' is not a colour: write one like #ff8800")
    text = value.strip()
    return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))


def _percent_text(fraction: float) -> str:
    return f"{fraction * 100:.12g}%"


def _hex_text(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# Each unit dumps to JSON as a clinic writes it, so a dumped model validates back the same.
Seconds = Annotated[float, BeforeValidator(parse_duration)]
Fraction = Annotated[
    float,
    BeforeValidator(parse_percent),
    PlainSerializer(_percent_text, return_type=str, when_used="json"),
]
Kelvin = Annotated[float, BeforeValidator(parse_kelvin)]
Decibels = Annotated[float, BeforeValidator(parse_decibels)]
HexColor = Annotated[
    tuple[int, int, int],
    BeforeValidator(parse_hex_color),
    PlainSerializer(_hex_text, return_type=str, when_used="json"),
]
