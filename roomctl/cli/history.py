"""`roomctl history` and `roomctl report`: the session record from the journal."""

from __future__ import annotations

import sys
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console
from rich.table import Table

from roomctl.cli.group import cli
from roomctl.journal import Journal, JournalError
from roomctl.journal.report import FORMATTERS, build_report, local_time, machine_zone
from roomctl.logs import clean
from roomctl.models import format_duration
from roomctl.runtime.daemon import default_state_dir

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="ROOMCTL_STATE_DIR",
    help="The daemon's state folder (default: $ROOMCTL_STATE_DIR, else $XDG_STATE_HOME/roomctl).",
)


tz_option = click.option(
    "--tz",
    "zone",
    default=None,
    metavar="ZONE",
    help="Show times in this time zone, e.g. Europe/Berlin (default: this machine's).",
)


def _zone(name: str | None) -> tzinfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        click.echo(f"roomctl: --tz {name!r} is not a time zone like Europe/Berlin or UTC", err=True)
        sys.exit(1)


def _open(state_dir: Path | None) -> Journal:
    try:
        return Journal(state_dir or default_state_dir(), readonly=True)
    except JournalError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(1)


def _since(text: str | None, tz: tzinfo | None) -> float | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None and tz is not None:
            moment = moment.replace(tzinfo=tz)
        return moment.astimezone().timestamp()
    except ValueError:
        click.echo(f"roomctl: --since {text!r} is not a date like 2026-11-26", err=True)
        sys.exit(1)


@cli.command("history")
@click.option("--room", "room_id", default=None, help="Only this room.")
@click.option("--since", default=None, help="Only sessions started on or after this date.")
@tz_option
@state_dir_option
def history(
    room_id: str | None, since: str | None, zone: str | None, state_dir: Path | None
) -> None:
    """List recorded sessions, newest first."""
    tz = _zone(zone)
    journal = _open(state_dir)
    try:
        rows = journal.sessions(room_id, _since(since, tz))
    except JournalError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(1)
    table = Table(title="roomctl sessions", caption=f"times in {zone or machine_zone()}")
    # A site's column only when a session was recorded at one: one site's list stays as it was.
    sited = any(row.site for row in rows)
    site_column = ["site"] if sited else []
    for column in ("session", *site_column, "room", "profile", "started", "length", "ended"):
        table.add_column(column)
    for row in rows:
        length = format_duration(row.ended_at - row.started_at) if row.ended_at else "-"
        table.add_row(
            clean(row.session_id),
            *([clean(row.site or "-")] if sited else []),
            clean(row.room),
            clean(row.profile),
            local_time(row.started_at, tz),
            length,
            clean(row.end_reason or "not ended"),
        )
    Console().print(table)


@cli.command("report")
@click.argument("session_id")
@click.option(
    "--format", "fmt", type=click.Choice(list(FORMATTERS)), default="md", show_default=True
)
@tz_option
@state_dir_option
def report(session_id: str, fmt: str, zone: str | None, state_dir: Path | None) -> None:
    """Print one session's record: phases, pauses, cues, emergencies and faults."""
    tz = _zone(zone)
    journal = _open(state_dir)
    try:
        row = journal.session(session_id)
        if row is None:
            click.echo(f"roomctl: no session {session_id!r} in {journal.path}", err=True)
            sys.exit(1)
        events = journal.events(session_id)
    except JournalError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(1)
    click.echo(FORMATTERS[fmt](build_report(row, events, tz)), nl=False)
