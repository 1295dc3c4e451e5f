"""`roomctl status`: where every room stands, once or as a live view."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime

import click
from rich.console import Console, RenderableType
from rich.live import Live
from rich.measure import Measurement

from roomctl.cli.control import (
    base_or_usage_error,
    broker_option,
    site_option,
    url_or_usage_error,
)
from roomctl.cli.display import notes, rooms_table, watch_view
from roomctl.cli.exits import EXIT_BROKER, EXIT_NO_REPLY, EXIT_NOT_SERVED
from roomctl.cli.group import cli
from roomctl.cli.rooms import Rooms
from roomctl.mqtt.client import BrokerError, Client, ClientError, Delivery

# A live view redraws four times a second: smooth enough for a countdown, light on CPU.
WATCH_REFRESH_HZ = 4
# Written to a pipe, --watch looks once a second whether what it shows changed (a state
# going stale changes it without a message).
PIPE_CHECK_S = 1.0
# Written to a pipe, --watch lays each view out this wide: a whole row of a few rooms.
PIPE_WIDTH = 200
# A width no table of rooms reaches: measuring against it gives the table's natural width.
UNBOUNDED_WIDTH = 10_000


def _now() -> datetime:
    return datetime.now(tz=UTC)


@cli.command("status")
@click.option("--room", "room_id", default=None, help="Only this room (exit 4 if not served).")
@click.option("--watch", is_flag=True, help="Keep a live view open, with cues, until Ctrl-C.")
@broker_option
@site_option
def status(room_id: str | None, watch: bool, broker: str | None, site: str | None) -> None:
    """Show each room's status, profile, phase, time left and next cue."""
    console = Console()
    url = url_or_usage_error(broker)
    base = base_or_usage_error(site)
    rooms = Rooms(only=room_id, base=base)
    topics = [f"{base}/{room_id or '+'}/{kind}" for kind in ("state", "availability")]
    try:
        with Client(url) as client:
            if watch:
                _watch(client, rooms, [*topics, f"{base}/{room_id or '+'}/events"], console)
                return
            for delivery in client.retained(*topics):
                rooms.take(delivery.topic, delivery.payload, delivery.retained, _now())
    except ClientError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(EXIT_BROKER if isinstance(error, BrokerError) else EXIT_NO_REPLY)
    seen, now = rooms.snapshot(), _now()
    if not seen:
        where = f"room {room_id}" if room_id else "any room"
        click.echo(f"no rooms found: is `roomctl run` serving {where} on {url}?", err=True)
        sys.exit(EXIT_NO_REPLY)
    table = rooms_table(seen, now)
    if not console.is_terminal:
        # A pipe or a log has no width to keep to (rich assumes 80 columns): print every
        # cell whole rather than "runni…" for a room's status.
        unbounded = console.options.update(max_width=UNBOUNDED_WIDTH)
        console.width = max(console.width, Measurement.get(console, unbounded, table).maximum)
    console.print(table)
    for line in notes(seen, now):
        console.print(line)
    if room_id is not None and seen[room_id].condition(now) not in ("live", "waiting"):
        sys.exit(EXIT_NOT_SERVED)


def _watch(client: Client, rooms: Rooms, topics: list[str], console: Console) -> None:
    changed = threading.Event()

    def take(delivery: Delivery) -> None:
        if rooms.take(delivery.topic, delivery.payload, delivery.retained, _now()):
            changed.set()

    client.on_delivery(take)
    client.subscribe(*topics)
    try:
        if console.is_terminal:
            with Live(console=console, refresh_per_second=WATCH_REFRESH_HZ) as live:
                while True:
                    live.update(watch_view(rooms.snapshot(), _now()))
                    changed.wait(1 / WATCH_REFRESH_HZ)
                    changed.clear()
        else:
            _print_changes(rooms, changed, console)
    except KeyboardInterrupt:
        return


def _print_changes(rooms: Rooms, changed: threading.Event, console: Console) -> None:
    """Print the view again whenever it changes, as published (for a pipe or a log)."""
    shown = ""
    console.width = PIPE_WIDTH
    while True:
        changed.wait(PIPE_CHECK_S)
        changed.clear()
        view: RenderableType = watch_view(rooms.snapshot(), _now(), tick=False)
        with console.capture() as capture:
            console.print(view)
        text = capture.get()
        if text != shown:
            shown = text
            console.print(f"-- {_now().astimezone().strftime('%H:%M:%S')}")
            console.print(text, end="", markup=False, highlight=False, soft_wrap=True)
            console.file.flush()
