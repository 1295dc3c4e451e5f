"""The timeline picture's geometry, with explicit numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from roomctl.console import timeline
from roomctl.console.timeline import LEFT, PLOT_H, PLOT_W, TOP, Scale, mireds_to_rgb, render

SVG = "{http://www.w3.org/2000/svg}"
PROFILE = {
    "name": "demo",
    "title": "Demo <7 min>",
    "duration_s": 100.0,
    "phases": [
        {
            "name": "arrival",
            "start_s": 0.0,
            "end_s": 40.0,
            "fade_s": 10.0,
            "cues": [{"id": "0.0", "at_s": 30.0, "notify": "Baseline blood pressure"}],
            "points": [[0.0, 0.0, None, 0.0], [10.0, 0.5, 333, 0.2], [40.0, 0.5, 333, 0.2]],
        },
        {
            "name": "peak",
            "start_s": 40.0,
            "end_s": 100.0,
            "fade_s": 20.0,
            "cues": [],
            "points": [[40.0, 0.5, 333, 0.2], [60.0, 1.0, 200, 0.0], [100.0, 1.0, 200, 0.0]],
        },
    ],
}


def _x(t: float, total: float) -> float:
    return round(LEFT + t / total * PLOT_W, 2)


def _y(level: float) -> float:
    return round(TOP + (1 - level) * PLOT_H, 2)


def test_scale_maps_session_time_and_levels() -> None:
    scale = Scale(100.0)
    assert scale.x(0.0) == LEFT
    assert scale.x(50.0) == LEFT + PLOT_W / 2
    assert scale.x(100.0) == LEFT + PLOT_W
    assert scale.x(250.0) == LEFT + PLOT_W  # clamped to the picture
    assert scale.y(1.0) == TOP and scale.y(0.0) == TOP + PLOT_H
    assert scale.y(0.25) == round(TOP + 0.75 * PLOT_H, 2)


def test_colour_temperatures() -> None:
    # 333 mireds is 3003 K: green 99.47 ln(30.03) - 161.12 = 177,
    # blue 138.52 ln(20.03) - 305.04 = 110.
    assert mireds_to_rgb(333) == "#ffb16e"
    # 500 mireds is 2000 K: green 99.47 ln(20) - 161.12 = 137, blue 138.52 ln(10) - 305.04 = 14.
    assert mireds_to_rgb(500) == "#ff890e"
    # 100 mireds is 10000 K, above 6600 K: red 329.70 x 40^-0.1332 = 202,
    # green 288.12 x 40^-0.0755 = 218.
    assert mireds_to_rgb(100) == "#cadaff"


def test_profile_picture_draws_levels_in_colour_cues_and_no_now_line() -> None:
    svg = render(PROFILE)
    root = ET.fromstring(svg)
    assert root.get("id") == "timeline"
    assert root.find(f"{SVG}title").text == "Demo <7 min>"  # escaped in the markup
    lines = root.findall(f".//{SVG}line[@class='timeline-brightness']")
    assert len(lines) == 4  # two segments per phase
    first = lines[0]
    assert (float(first.get("x1")), float(first.get("y1"))) == (_x(0, 100), _y(0.0))
    assert (float(first.get("x2")), float(first.get("y2"))) == (_x(10, 100), _y(0.5))
    assert first.get("stroke") == mireds_to_rgb(333)  # only one end has a temperature
    assert lines[2].get("stroke") == mireds_to_rgb((333 + 200) / 2)
    volume = root.findall(f".//{SVG}polyline[@class='timeline-volume']")[0]
    assert volume.get("points").split()[1] == f"{_x(10, 100)},{_y(0.2)}"
    cue = root.find(f".//{SVG}g[@class='timeline-cue']")
    assert cue.get("data-cue-id") == "0.0"
    assert float(cue.find(f"{SVG}line").get("x1")) == _x(30, 100)
    assert root.find(f".//{SVG}line[@class='timeline-now']") is None
    assert "style=" not in svg  # the CSP refuses inline styles


def test_session_picture_follows_extends_and_draws_pauses_and_now() -> None:
    # The first phase was extended by 20 s: the state's spans end 20 s later.
    phases = [
        {"name": "arrival", "start_s": 0.0, "end_s": 60.0},
        {"name": "peak", "start_s": 60.0, "end_s": 120.0},
    ]
    svg = render(PROFILE, phases=phases, elapsed_s=75.0, pauses=[(20.0, 95.0), (75.0, None)])
    root = ET.fromstring(svg)
    lines = root.findall(f".//{SVG}line[@class='timeline-brightness']")
    # The fade keeps its length; the hold runs to the extended end.
    assert float(lines[1].get("x2")) == _x(60, 120)
    assert float(lines[2].get("x1")) == _x(60, 120)
    assert float(lines[2].get("x2")) == _x(80, 120)
    now = root.find(f".//{SVG}line[@class='timeline-now']")
    assert float(now.get("x1")) == _x(75, 120)
    pauses = root.findall(f".//{SVG}g[@class='timeline-pause']")
    assert [float(p.find(f"{SVG}line").get("x1")) for p in pauses] == [_x(20, 120), _x(75, 120)]
    assert [p.find(f"{SVG}title").text for p in pauses] == ["paused 1m 35s", "paused now"]
    assert float(root.get("data-px-per-s")) == round(PLOT_W / 120, 6)
    assert float(root.get("data-x0")) == LEFT


def test_shifted_points_move_a_skipped_phase_earlier() -> None:
    points = [[40.0, 0.5, 333, 0.2], [60.0, 1.0, 200, 0.0], [100.0, 1.0, 200, 0.0]]
    moved = timeline.shifted_points(points, (40.0, 100.0), (25.0, 85.0))
    assert [p[0] for p in moved] == [25.0, 45.0, 85.0]
    cut = timeline.shifted_points(points, (40.0, 100.0), (40.0, 50.0))
    assert [p[0] for p in cut] == [40.0, 50.0, 50.0]


def test_ticks_are_few_and_labelled_in_minutes() -> None:
    svg = render({**PROFILE, "phases": [{**PROFILE["phases"][0], "end_s": 3600.0}]})
    labels = re.findall(r'class="timeline-label"[^>]*>([^<]+)<', svg)
    assert labels == ["0m", "10m", "20m", "30m", "40m", "50m", "1h00"]
    short = render({**PROFILE, "phases": [{**PROFILE["phases"][0], "end_s": 120.0}]})
    labels = re.findall(r'class="timeline-label"[^>]*>([^<]+)<', short)
    assert labels == ["0m", "0m30", "1m", "1m30", "2m"]
