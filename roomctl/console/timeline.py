"""A pure picture of a session's timeline as SVG: levels per phase, cues, pauses and now."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

# The drawing's own coordinates (viewBox); the page scales it to its width.
WIDTH, HEIGHT = 1000.0, 260.0
LEFT, RIGHT, TOP, BOTTOM = 44.0, 30.0, 36.0, 40.0
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# Tick spacings to choose from, in seconds: the first that gives at most MAX_TICKS labels.
TICK_STEPS_S = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
MAX_TICKS = 8
# A line whose light has no colour temperature (off, or colour only) is drawn in grey.
NO_TEMPERATURE = "#9a9a9a"


@dataclass(frozen=True, slots=True)
class Scale:
    """Session seconds and 0..1 levels to the drawing's x and y."""

    total_s: float

    def x(self, t_s: float) -> float:
        """Return the x of a session time."""
        span = self.total_s if self.total_s > 0 else 1.0
        return round(LEFT + min(max(t_s, 0.0), span) / span * PLOT_W, 2)

    def y(self, level: float) -> float:
        """Return the y of a level 0..1 (1 at the top)."""
        return round(TOP + (1.0 - min(max(level, 0.0), 1.0)) * PLOT_H, 2)


def mireds_to_rgb(mireds: float) -> str:
    """Return the colour of a colour temperature in mireds as #rrggbb (black-body estimate)."""
    hundreds = 1e6 / mireds / 100.0
    if hundreds <= 66:
        red = 255.0
        green = 99.4708025861 * math.log(hundreds) - 161.1195681661
        blue = 0.0 if hundreds <= 19 else 138.5177312231 * math.log(hundreds - 10) - 305.0447927307
    else:
        red = 329.698727446 * (hundreds - 60) ** -0.1332047592
        green = 288.1221695283 * (hundreds - 60) ** -0.0755148492
        blue = 255.0
    return "#" + "".join(f"{round(min(max(c, 0.0), 255.0)):02x}" for c in (red, green, blue))


def shifted_points(
    points: Sequence[Sequence[Any]], planned: tuple[float, float], actual: tuple[float, float]
) -> list[list[Any]]:
    """Return a phase's points moved from its planned span to its actual one (after extends).

    The fade keeps its length from the phase's start; the phase's last point moves to its
    actual end, so an extended phase holds its level longer.
    """
    shift = actual[0] - planned[0]
    moved: list[list[Any]] = []
    for point in points:
        t = actual[1] if point[0] >= planned[1] else min(point[0] + shift, actual[1])
        moved.append([t, *point[1:]])
    return moved


def _ticks(scale: Scale) -> list[str]:
    step = next((s for s in TICK_STEPS_S if scale.total_s / s <= MAX_TICKS), TICK_STEPS_S[-1])
    out = []
    for i in range(int(scale.total_s // step) + 1):
        t = i * step
        x = scale.x(t)
        label = _tick_label(t)
        out.append(
            f'<line class="timeline-tick" x1="{x}" y1="{TOP + PLOT_H}" x2="{x}"'
            f' y2="{TOP + PLOT_H + 5}"/>'
            f'<text class="timeline-label" x="{x}" y="{HEIGHT - 10}">{label}</text>'
        )
    return out


def _phase(scale: Scale, index: int, phase: dict[str, Any], points: list[list[Any]]) -> list[str]:
    start, end = scale.x(phase["start_s"]), scale.x(phase["end_s"])
    name = escape(str(phase.get("name", "")))
    out = [
        f'<rect class="timeline-phase timeline-phase-{index % 2}" x="{start}" y="{TOP}"'
        f' width="{round(end - start, 2)}" height="{PLOT_H}"><title>{name}</title></rect>',
        f'<text class="timeline-phase-name" x="{round(start + 4, 2)}" y="{TOP - 10}">{name}</text>',
    ]
    for a, b in itertools.pairwise(points):
        mireds = [m for m in (a[2], b[2]) if m]
        colour = mireds_to_rgb(sum(mireds) / len(mireds)) if mireds else NO_TEMPERATURE
        out.append(
            f'<line class="timeline-brightness" x1="{scale.x(a[0])}" y1="{scale.y(a[1])}"'
            f' x2="{scale.x(b[0])}" y2="{scale.y(b[1])}" stroke="{colour}"/>'
        )
    volume = " ".join(f"{scale.x(p[0])},{scale.y(p[3])}" for p in points)
    if points:
        out.append(f'<polyline class="timeline-volume" points="{volume}"/>')
    return out


def render(
    profile: dict[str, Any],
    *,
    phases: Sequence[dict[str, Any]] | None = None,
    elapsed_s: float | None = None,
    pauses: Sequence[tuple[float, float | None]] = (),
    element_id: str = "timeline",
) -> str:
    """Return the SVG of a catalog profile, or of its running session when phases are given.

    `phases` are the state's spans (name, start_s, end_s), `elapsed_s` the session time now,
    `pauses` (session time, wall seconds paused or None while paused) those seen so far.
    """
    planned: list[dict[str, Any]] = list(profile.get("phases") or [])
    actual = list(phases) if phases else planned
    total = max([float(p["end_s"]) for p in actual] or [float(profile.get("duration_s") or 0)])
    scale = Scale(total)
    parts: list[str] = []
    for index, span in enumerate(actual):
        plan = planned[index] if index < len(planned) else None
        points = [list(p) for p in plan.get("points") or []] if plan else []
        if plan is not None and phases:
            points = shifted_points(
                points,
                (float(plan["start_s"]), float(plan["end_s"])),
                (float(span["start_s"]), float(span["end_s"])),
            )
        parts += _phase(scale, index, span, points)
        shift = float(span["start_s"]) - float(plan["start_s"]) if plan else 0.0
        for cue in (plan or {}).get("cues") or []:
            x = scale.x(float(cue["at_s"]) + shift)
            parts.append(
                f'<g class="timeline-cue" data-cue-id="{escape(str(cue.get("id", "")))}">'
                f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{TOP + PLOT_H}"/>'
                f'<circle cx="{x}" cy="{TOP + 6}" r="5"/>'
                f"<title>{escape(str(cue.get('notify', '')))}</title></g>"
            )
    for at_s, paused_s in pauses:
        x = scale.x(at_s)
        how_long = "paused now" if paused_s is None else f"paused {_duration(paused_s)}"
        parts.append(
            f'<g class="timeline-pause"><line x1="{x}" y1="{TOP}" x2="{x}" y2="{TOP + PLOT_H}"/>'
            f'<rect x="{round(x - 4, 2)}" y="{TOP + PLOT_H - 14}" width="8" height="14"/>'
            f"<title>{how_long}</title></g>"
        )
    if elapsed_s is not None:
        x = scale.x(elapsed_s)
        parts.append(
            f'<line class="timeline-now" x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{TOP + PLOT_H}"/>'
        )
    per_s = round(PLOT_W / total, 6) if total > 0 else 0.0
    title = escape(str(profile.get("title") or profile.get("name", "")))
    head = (
        f'<svg id="{escape(element_id)}" class="timeline" xmlns="http://www.w3.org/2000/svg"'
        f' viewBox="0 0 {WIDTH:g} {HEIGHT:g}" role="img" data-x0="{LEFT}" data-px-per-s="{per_s}"'
        f' data-total-s="{total}"><title>{title}</title>'
    )
    axis = f'<rect class="timeline-frame" x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}"/>'
    return head + axis + "".join(parts) + "".join(_ticks(scale)) + "</svg>"


def _tick_label(t: int) -> str:
    """Return a tick's label: 1h05, 10m, or 1m30 for a step under a minute."""
    if t >= 3600:
        return f"{t // 3600}h{t % 3600 // 60:02d}"
    return f"{t // 60}m{t % 60:02d}" if t % 60 else f"{t // 60}m"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"
