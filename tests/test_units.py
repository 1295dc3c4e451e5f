"""Human units in clinic files: durations, percentages, kelvin, decibels and colours."""

from __future__ import annotations

import pytest

from roomctl.models import (
    format_duration,
    parse_decibels,
    parse_duration,
    parse_hex_color,
    parse_kelvin,
    parse_percent,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45s", 45.0),
        ("10m", 600.0),
        ("1h30m", 5400.0),
        ("01:30:00", 5400.0),
        ("1h", 3600.0),
        ("2m30s", 150.0),
        ("1h05m10s", 3910.0),
        ("12:30", 750.0),
        ("0s", 0.0),
        (" 10m ", 600.0),
        (90, 90.0),
        (1.5, 1.5),
    ],
)
def test_durations_a_clinic_writes(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["10x", "", "10 minutes", "45", "m", "1:75", "01:60:00", "-5m", True, None, -3, [1]]
)
def test_bad_durations_say_how_to_write_one(text: object) -> None:
    with pytest.raises(ValueError, match=r"45s, 10m, 1h30m or 01:30:00|not a valid clock|negative"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45s"), (600, "10m"), (750, "12m30s"), (5400, "1h30m"), (3905, "1h05m05s")],
)
def test_durations_are_shown_compactly(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "fraction"), [("60%", 0.6), ("0%", 0.0), ("100%", 1.0), ("12.5 %", 0.125), (40, 0.4)]
)
def test_percentages(text: object, fraction: float) -> None:
    assert parse_percent(text) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("101%", "outside 0-100%"),
        ("-1%", "outside 0-100%"),
        (150, "outside 0-100%"),
        ("sixty", "not a percentage"),
        ("60", "not a percentage"),
        (True, "percentage"),
    ],
)
def test_bad_percentages(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_percent(text)


@pytest.mark.parametrize(
    ("text", "kelvin"), [("3000K", 3000.0), ("2700 k", 2700.0), (4000, 4000.0)]
)
def test_kelvin(text: object, kelvin: float) -> None:
    assert parse_kelvin(text) == kelvin


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("300K", "outside"),
        ("20000K", "outside"),
        ("3000", "not a colour temperature"),
        ("warm", "not"),
    ],
)
def test_bad_kelvin(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_kelvin(text)


@pytest.mark.parametrize(
    ("text", "db"), [("-30 dB", -30.0), ("0dB", 0.0), ("-12.5 db", -12.5), (-6, -6.0)]
)
def test_decibels(text: object, db: float) -> None:
    assert parse_decibels(text) == db


@pytest.mark.parametrize(
    ("text", "message"),
    [("+3 dB", "above 0 dB"), (3, "above 0 dB"), ("-30", "not a level"), ("loud", "not")],
)
def test_bad_decibels(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_decibels(text)


@pytest.mark.parametrize(
    ("text", "rgb"),
    [("#ff8800", (255, 136, 0)), ("#FFFFFF", (255, 255, 255)), ("#000000", (0, 0, 0))],
)
def test_colours(text: str, rgb: tuple[int, int, int]) -> None:
    assert parse_hex_color(text) == rgb


@pytest.mark.parametrize("text", ["#fff", "ff8800", "#gg0000", "red", 0xFF8800])
def test_bad_colours(text: object) -> None:
    with pytest.raises(ValueError, match="write one like #ff8800"):
        parse_hex_color(text)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 10**400, -(10**400)])
def test_a_duration_that_is_no_finite_number_says_so_not_negative(value: float) -> None:
    with pytest.raises(ValueError, match="must be finite") as error:
        parse_duration(value)
    assert "negative" not in str(error.value)


def test_a_duration_text_longer_than_any_honest_one_is_refused_cheaply() -> None:
    with pytest.raises(ValueError, match="at most 32 characters"):
        parse_duration("9" * 400 + "h")
    assert parse_duration("9" * 31 + "h") == float("9" * 31) * 3600  # finite, and long enough
