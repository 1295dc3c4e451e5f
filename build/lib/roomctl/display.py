"""Render room states for a terminal: a table of rooms and a bar of each session's phases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from roomctl.models.units import format_duration

STATUS_STYLES = {
    "idle": "dim",
    "running": "green",
    "paused": "yellow",
    "emergency": "bold white on red",
    "ended": "cyan",
}
BAR_WIDTH = 60


def _time(value: object) -> str:
    return format_duration(float(value)) if isinstance(value, int | float) else "-"


def _offline(state: Mapping[str, Any]) -> str:
    devices = state.get("devices") or {}
    down = [name for name, info in devices.items() if (info or {}).get("online") is False]
    return ", ".join(down) if down else "-"


def rooms_table(states: Mapping[str, Mapping[str, Any]]) -> Table:
    """Return a table with one row per room, narrow enough for an 80-column terminal."""
    table = Table(title="roomctl rooms", expand=False, box=box.SIMPLE_HEAD)
    for column in ("room", "status", "profile", "phase"):
        table.add_column(column, overflow="fold")
    for column in ("elapsed", "left: phase/all"):
        table.add_column(column, no_wrap=True)
    table.add_column("offline", overflow="fold")
    for room_id in sorted(states):
        state = states[room_id]
        status = str(state.get("status", "?"))
        shown = status + (f" by {state['paused_by']}" if state.get("paused_by") else "")
        phase = state.get("phase")
        if phase is not None:
            phase = f"{phase} {int(state.get('phase_index', 0)) + 1}/{state.get('phase_count')}"
        left = f"{_time(state.get('phase_remaining_s'))}/{_time(state.get('remaining_s'))}"
        table.add_row(
            room_id,
            Text(shown, style=STATUS_STYLES.get(status, "")),
            str(state.get("profile") or "-"),
            str(phase or "-"),
            _time(state.get("elapsed_s")),
            left if state.get("session_id") else "-",
            _offline(state),
        )
    return table


def session_bar(state: Mapping[str, Any], width: int = BAR_WIDTH) -> Text:
    """Return a bar of the session's phases with the current position filled in."""
    phases = state.get("phases") or []
    elapsed = state.get("elapsed_s")
    if not phases or not isinstance(elapsed, int | float):
        return Text("")
    total = float(phases[-1]["end_s"]) or 1.0
    bar = Text()
    palette = ("green", "blue", "magenta", "cyan", "yellow")
    for index, phase in enumerate(phases):
        cells = max(1, round((phase["end_s"] - phase["start_s"]) / total * width))
        done = min(cells, max(0, round((elapsed - phase["start_s"]) / total * width)))
        colour = palette[index % len(palette)]
        bar.append("█" * done, style=colour)
        bar.append("░" * (cells - done), style=f"dim {colour}")
    bar.append(f"  {format_duration(elapsed)} / {format_duration(total)}")
    return bar


def rooms_view(states: Mapping[str, Mapping[str, Any]]) -> RenderableType:
    """Return the live view: the table, then each session's phase bar."""
    parts: list[RenderableType] = [rooms_table(states)]
    for room_id in sorted(states):
        bar = session_bar(states[room_id])
        if bar.plain:
            names = " · ".join(p["name"] for p in states[room_id].get("phases", []))
            parts.append(Text(f"{room_id}: {names}"))
            parts.append(bar)
    return Group(*parts)
