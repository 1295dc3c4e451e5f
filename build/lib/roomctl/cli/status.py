"""`roomctl status`: where every room stands, once or as a live view."""

from __future__ import annotations

import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.measure import Measurement

from roomctl.cli.control import EXIT_NO_REPLY, broker_option
from roomctl.cli.group import cli
from roomctl.client import Client, NoReplyError, broker_url
from roomctl.display import rooms_table, rooms_view

# A live view redraws four times a second: smooth enough for a countdown, light on CPU.
WATCH_REFRESH_HZ = 4
# A width no table of rooms reaches: measuring against it gives the table's natural width.
UNBOUNDED_WIDTH = 10_000


@cli.command("status")
@click.option("--room", "room_id", default=None, help="Only this room.")
@click.option("--watch", is_flag=True, help="Keep a live view open until Ctrl-C.")
@broker_option
def status(room_id: str | None, watch: bool, broker: str | None) -> None:
    """Show rooms, status, profile, phase and time left."""
    console = Console()
    try:
        with Client(broker_url(broker)) as client:
            if watch:
                _watch(client, room_id, console)
                return
            states = client.states(room_id)
    except (NoReplyError, ValueError) as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(EXIT_NO_REPLY)
    if not states:
        click.echo("no rooms found: is `roomctl run` serving any on this broker?", err=True)
        sys.exit(EXIT_NO_REPLY)
    table = rooms_table(states)
    if not console.is_terminal:
        # A pipe or a log has no width to keep to (rich assumes 80 columns): print every
        # cell whole rather than "runni…" for a room's status.
        unbounded = console.options.update(max_width=UNBOUNDED_WIDTH)
        console.width = max(console.width, Measurement.get(console, unbounded, table).maximum)
    console.print(table)


def _watch(client: Client, room_id: str | None, console: Console) -> None:
    states: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    def take(state: dict[str, Any]) -> None:
        with lock:
            states[state["room"]] = state

    client.watch_states(room_id, take)
    with Live(console=console, refresh_per_second=WATCH_REFRESH_HZ) as live:
        try:
            while True:
                with lock:
                    live.update(rooms_view(_ticking(states)))
                time.sleep(1 / WATCH_REFRESH_HZ)
        except KeyboardInterrupt:
            return


def _ticking(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return the states with running clocks moved on since they were published."""
    now = datetime.now(tz=UTC)
    ticked: dict[str, dict[str, Any]] = {}
    for room_id, published_state in states.items():
        state = dict(published_state)
        if state.get("status") == "running" and isinstance(state.get("elapsed_s"), int | float):
            published = datetime.fromisoformat(str(state["updated_at"]).replace("Z", "+00:00"))
            moved = max(0.0, (now - published).total_seconds()) * float(state.get("speed", 1.0))
            state["elapsed_s"] += moved
            for key in ("phase_remaining_s", "remaining_s"):
                if isinstance(state.get(key), int | float):
                    state[key] = max(0.0, state[key] - moved)
        ticked[room_id] = state
    return ticked
