"""How a room's state reads on a page: status text, time left, next cue, the phase bar."""

from __future__ import annotations

import time
from datetime import datetime
from html import escape
from typing import Any

from roomctl.console.places import LOCAL, key_text, room_path
from roomctl.console.rooms import RoomView

# The phase bar's own width (viewBox); it stretches to the card.
BAR_WIDTH = 1000.0


def status_text(room: RoomView, stale: bool = False) -> str:
    """Return the room's status as the page shows it, offline first: never a frozen running.

    Stale (its site's link is down): the last status seen, said to be that.
    """
    if room.availability == "offline":
        since = time.strftime("%H:%M", time.localtime(room.offline_since or time.time()))
        return f"roomctl offline since {since}"
    status = str((room.state or {}).get("status") or "unknown")
    return f"last seen {status} (link down)" if stale else status


def room_url(room: RoomView) -> str:
    """Return the page of a room: /rooms/ID, or /sites/SITE/rooms/ID."""
    return room_path(room.site, room.room)


def path(site: str | None, room: str) -> str:
    """Return the page of a site's room by name (site None or LOCAL: the local broker's)."""
    return room_path(site or LOCAL, room)


def named(site: str | None, room: str) -> str:
    """Return a site's room as people read it: room-1, or north/room-1."""
    return key_text(site or LOCAL, room)


def clock(seconds: float | None) -> str:
    """Return seconds as 12:05 or 1:02:05; an em dash for none."""
    if seconds is None:
        return "\u2014"
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def event_time(ts: object) -> str:
    """Return an event's UTC time stamp as the local HH:MM:SS the event log shows."""
    try:
        return datetime.fromisoformat(str(ts)).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return str(ts)


def next_cue_text(state: dict[str, Any] | None) -> str:
    """Return the next cue and how soon, or that none is left."""
    cue = (state or {}).get("next_cue")
    if not cue:
        return "No cue ahead"
    return f"Next cue in {clock(cue.get('in_s'))}: {cue.get('notify')}"


def devices_text(state: dict[str, Any] | None) -> str:
    """Return how many devices are online, naming those that are not."""
    devices = (state or {}).get("devices") or {}
    down = sorted(name for name, d in devices.items() if d.get("online") is False)
    text = f"{len(devices) - len(down)} of {len(devices)} devices online"
    return text + (f" (offline: {', '.join(down)})" if down else "")


def phase_bar(state: dict[str, Any] | None) -> str:
    """Return the SVG bar of the session's phases with the `.phase-bar-now` mark."""
    state = state or {}
    phases = state.get("phases") or []
    total = max([float(p["end_s"]) for p in phases] or [0.0])
    parts = []
    for index, phase in enumerate(phases):
        x = float(phase["start_s"]) / total * BAR_WIDTH if total else 0.0
        width = (
            (float(phase["end_s"]) - float(phase["start_s"])) / total * BAR_WIDTH if total else 0.0
        )
        current = " phase-bar-current" if index == state.get("phase_index") else ""
        parts.append(
            f'<rect class="phase-bar-phase phase-bar-phase-{index % 2}{current}" x="{x:.1f}" y="0"'
            f' width="{width:.1f}" height="20"><title>{escape(str(phase["name"]))}</title></rect>'
        )
    elapsed = state.get("elapsed_s")
    now_x = min(float(elapsed) / total, 1.0) * BAR_WIDTH if total and elapsed is not None else 0.0
    hidden = "" if phases else " hidden"
    parts.append(
        f'<rect class="phase-bar-now{hidden}" x="{max(now_x - 3, 0):.1f}" y="0"'
        ' width="6" height="20"/>'
    )
    return (
        f'<svg class="phase-bar" viewBox="0 0 {BAR_WIDTH:g} 20" preserveAspectRatio="none"'
        f' data-total-s="{total}" role="img" aria-label="phases">' + "".join(parts) + "</svg>"
    )
