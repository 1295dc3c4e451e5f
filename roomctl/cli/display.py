"""Render rooms for a terminal: a table of rooms, each session's phases, its cues."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from roomctl.cli.rooms import RoomSeen, UnreadableStateError, moved_on, read_state
from roomctl.models import format_duration

STATUS_STYLES = {
    "idle": "dim",
    "running": "green",
    "paused": "yellow",
    "emergency": "bold white on red",
    "ended": "cyan",
    "offline": "bold red",
    "stale": "bold red",
    "unreadable": "bold red",
}
CUE_STYLE = "bold black on yellow"
BAR_WIDTH = 60


def _time(value: object) -> str:
    return format_duration(float(value)) if isinstance(value, int | float) else "-"


def clock_time(moment: datetime, now: datetime) -> str:
    """Return a moment as this machine's local time of day, with the date if not today."""
    local, today = moment.astimezone(), now.astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M:%S")


def _devices(state: Mapping[str, Any]) -> str:
    devices: Mapping[str, bool | None] = state.get("devices") or {}
    offline = [name for name, online in devices.items() if online is False]
    unknown = [name for name, online in devices.items() if online is None]
    parts = [f"offline: {', '.join(offline)}"] if offline else []
    parts += [f"unknown: {', '.join(unknown)}"] if unknown else []
    if parts:
        return " · ".join(parts)
    return "all online" if devices else "-"


def status_cell(seen: RoomSeen, now: datetime) -> Text:
    """Return what the status column says of a room: its status, or why it cannot be trusted."""
    condition = seen.condition(now)
    updated = seen.updated_at()
    last = f"last state {clock_time(updated, now)}" if updated is not None else "no state"
    if condition == "unreadable":
        text = "unreadable state"
    elif condition == "offline":
        since = seen.availability_seen_at
        text = f"offline since {clock_time(since, now)}" if since else f"offline ({last})"
    elif condition == "stale":
        text = f"stale ({last})"
    elif condition == "waiting" or seen.state is None:
        text = "online, no state yet"
    else:
        status = str(seen.state["status"])
        by = seen.state.get("paused_by")
        return Text(status + (f" by {by}" if by else ""), style=STATUS_STYLES.get(status, ""))
    return Text(text, style=STATUS_STYLES.get(condition, ""))


def rooms_table(rooms: Mapping[str, RoomSeen], now: datetime, tick: bool = True) -> Table:
    """Return a table with one row per room; with `tick`, live running clocks move on."""
    table = Table(title="roomctl rooms", expand=False, box=box.SIMPLE_HEAD)
    for column in ("room", "status", "profile", "phase"):
        table.add_column(column, overflow="fold")
    for column in ("elapsed", "left: phase/all"):
        table.add_column(column, no_wrap=True)
    table.add_column("devices", overflow="fold")
    for room_id in sorted(rooms):
        seen = rooms[room_id]
        state = (moved_on(seen, now) if tick else seen.state) or {}
        phase = state.get("phase")
        if phase is not None:
            phase = f"{phase} {int(state.get('phase_index') or 0) + 1}/{state.get('phase_count')}"
        left = f"{_time(state.get('phase_remaining_s'))}/{_time(state.get('remaining_s'))}"
        table.add_row(
            room_id,
            status_cell(seen, now),
            str(state.get("profile") or "-"),
            str(phase or "-"),
            _time(state.get("elapsed_s")),
            left if state.get("session_id") else "-",
            _devices(state) if state else "-",
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


def next_cue_line(room_id: str, state: Mapping[str, Any]) -> Text | None:
    """Return `room next cue: TEXT in 12m30s (phase onset, cue 1.0)`, or None without one."""
    cue = state.get("next_cue")
    if not cue or state.get("status") not in ("running", "paused", "emergency"):
        return None
    said = [f"phase {cue['phase']}"] if cue.get("phase") else []
    said += [f"cue {cue['id']}"] if cue.get("id") else []
    where = f" ({', '.join(said)})" if said else ""
    line = Text(f"{room_id} next cue: ")
    line.append(str(cue["notify"]), style="bold")
    line.append(f" in {format_duration(float(cue['in_s']))}{where}")
    return line


def notes(
    rooms: Mapping[str, RoomSeen], now: datetime, tick: bool = True, pending: bool = True
) -> list[Text]:
    """Return the lines under the table: unreadable states' reasons, next and pending cues."""
    lines: list[Text] = []
    for room_id in sorted(rooms):
        seen = rooms[room_id]
        if seen.unreadable is not None:
            lines.append(Text(f"{room_id}: unreadable state: {seen.unreadable}", style="red"))
            continue
        state = moved_on(seen, now) if tick else seen.state
        line = next_cue_line(room_id, state) if state and seen.condition(now) == "live" else None
        if line is not None:
            lines.append(line)
        if pending:
            lines += cue_banners(seen, now)
    return lines


def cue_banners(seen: RoomSeen, now: datetime) -> list[Text]:
    """Return a banner per cue the room has pending, held on screen until acknowledged."""
    pending = None if seen.state is None else seen.state.get("pending_cues")
    if pending is None:  # a daemon from before acknowledgements: its last cue
        banner = last_cue_banner(seen, now)
        return [] if banner is None else [banner]
    room = seen.room
    return [
        Text(
            f" CUE {clock_time(cue['fired_at'], now)}  {room}: {cue['notify']}"
            f"  (phase {cue['phase']})  not acknowledged: roomctl ack {cue['id']} --room {room} ",
            CUE_STYLE,
        )
        for cue in pending
    ]


def last_cue_banner(seen: RoomSeen, now: datetime) -> Text | None:
    """Return the room's last cue, held on screen while its session lasts, or None."""
    cue = seen.last_cue
    if cue is None:
        return None
    session = (seen.state or {}).get("session_id")
    if session is not None and cue.session_id is not None and session != cue.session_id:
        return None  # a cue of an earlier session
    where = f"  (phase {cue.phase})" if cue.phase else ""
    return Text(f" CUE {clock_time(cue.at, now)}  {seen.room}: {cue.notify}{where} ", CUE_STYLE)


def watch_view(rooms: Mapping[str, RoomSeen], now: datetime, tick: bool = True) -> RenderableType:
    """Return the live view: each room's pending cues, the table, next cues and phase bars."""
    parts: list[RenderableType] = []
    parts += [banner for r in sorted(rooms) for banner in cue_banners(rooms[r], now)]
    parts.append(rooms_table(rooms, now, tick))
    parts += notes(rooms, now, tick, pending=False)
    for room_id in sorted(rooms):
        seen = rooms[room_id]
        state = (moved_on(seen, now) if tick else seen.state) or {}
        bar = session_bar(state)
        if bar.plain:
            parts.append(Text(f"{room_id}: {' · '.join(p['name'] for p in state['phases'])}"))
            parts.append(bar)
    return Group(*parts)


def _seen(room_id: str, state: Mapping[str, Any]) -> RoomSeen:
    try:
        return RoomSeen(room_id, state=read_state(json.dumps(state).encode()))
    except (UnreadableStateError, TypeError) as error:
        return RoomSeen(room_id, unreadable=str(error))


def rooms_view(states: Mapping[str, Mapping[str, Any]]) -> RenderableType:
    """Return the view of states as given (a demo moves its clock on itself), by room id."""
    now = datetime.now(tz=UTC)
    rooms = {room_id: _seen(room_id, state) for room_id, state in states.items()}
    return watch_view(rooms, now, tick=False)
