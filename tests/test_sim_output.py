"""Pure parts of the simulated lights: the output path on an explicit clock, colour maths."""

from __future__ import annotations

import pytest

from roomctl.core.levels import LightLevel
from roomctl.demo.sim import SimOutput
from roomctl.demo.sim._color import (
    hs_to_rgb,
    normalized,
    parse_hex,
    rgb_to_hs,
    rgb_to_xy,
    xy_to_rgb,
)

WARM = LightLevel(on=True, brightness=0.2, mireds=370.0)
BRIGHT = LightLevel(on=True, brightness=1.0, mireds=250.0)


def test_output_moves_linearly_from_where_it_is() -> None:
    output = SimOutput()
    output.go(WARM, 0.0, now=10.0)
    output.go(BRIGHT, 2.0, now=11.0)
    assert output.at(11.0) == WARM
    halfway = output.at(12.0)
    assert halfway.brightness == pytest.approx(0.6)
    assert halfway.mireds == pytest.approx(310.0)
    assert output.fading(12.9)
    assert output.at(13.0) == BRIGHT
    assert not output.fading(13.0)


def test_a_new_command_mid_transition_starts_from_the_current_level() -> None:
    output = SimOutput()
    output.go(WARM, 0.0, now=0.0)
    output.go(BRIGHT, 2.0, now=0.0)
    output.go(WARM, 1.0, now=0.5)  # at 0.5 s the light shows brightness 0.4
    assert output.at(0.5).brightness == pytest.approx(0.4)
    assert output.at(1.0).brightness == pytest.approx(0.3)
    assert output.at(1.5) == WARM


def test_freeze_holds_the_level_of_that_instant() -> None:
    output = SimOutput()
    output.go(BRIGHT, 4.0, now=0.0)  # from off: brightness climbs 0 -> 1 over 4 s
    held = output.freeze(now=1.0)
    assert held.brightness == pytest.approx(0.25)
    assert output.at(3.0) == held
    assert not output.fading(1.0)


def test_fading_off_stays_on_until_the_end() -> None:
    output = SimOutput()
    output.go(BRIGHT, 0.0, now=0.0)
    output.go(LightLevel(on=False, brightness=0.0, mireds=250.0), 1.0, now=0.0)
    assert output.at(0.5) == LightLevel(on=True, brightness=0.5, mireds=250.0)
    assert not output.at(1.0).on


def test_hex_parsing_and_normalising() -> None:
    assert parse_hex("#ff8800") == (255.0, 136.0, 0.0)
    assert parse_hex("FF880000FF") == (255.0, 136.0, 0.0)
    assert parse_hex("#ff88") is None
    assert parse_hex("#gg8800") is None
    assert normalized((128.0, 64.0, 0.0)) == pytest.approx((255.0, 127.5, 0.0))
    assert normalized((0.0, 0.0, 0.0)) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "rgb", [(255.0, 0.0, 0.0), (0.0, 255.0, 0.0), (0.0, 0.0, 255.0), (255.0, 136.0, 0.0)]
)
def test_xy_round_trip_keeps_the_colour(rgb: tuple[float, float, float]) -> None:
    back = xy_to_rgb(*rgb_to_xy(rgb))
    assert back == pytest.approx(rgb, abs=3.0)  # xy is rounded to 4 places, as z2m does


def test_xy_of_known_colours() -> None:
    assert rgb_to_xy((255.0, 255.0, 255.0)) == pytest.approx((0.3127, 0.329), abs=1e-3)
    assert rgb_to_xy((255.0, 0.0, 0.0)) == pytest.approx((0.64, 0.33), abs=1e-3)


def test_hue_saturation_as_tasmota_reports_them() -> None:
    assert rgb_to_hs((255.0, 136.0, 0.0)) == (32, 100)
    assert rgb_to_hs((255.0, 255.0, 255.0)) == (0, 0)
    assert hs_to_rgb(120.0, 100.0) == pytest.approx((0.0, 255.0, 0.0))
