"""`roomctl history` and `roomctl report`: the session record from the journal."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from roomctl.cli.group import cli
from roomctl.daemon import default_state_dir
from roomctl.journal import Journal, JournalError
from roomctl.journal.report import FORMATTERS, build_report, local_time
from roomctl.models.units import format_duration

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="ROOMCTL_STATE_DIR",
    help="The daemon's state folder (default: $ROOMCTL_STATE_DIR, else $XDG_STATE_HOME/roomctl).",
)


def _open(state_dir: Path | None) -> Journal:
    try:
        return Journal(state_dir or default_state_dir(), readonly=True)
    except JournalError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(1)


def _since(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).astimezone().timestamp()
    except ValueError:
        click.echo(f"roomctl: --since {text!r} is not a date like 2026-11-26", err=True)
        sys.exit(1)


@cli.command("history")
@click.option("--room", "room_id", default=None, help="Only this room.")
@click.option("--since", default=None, help="Only sessions started on or after this date.")
@state_dir_option
def history(room_id: str | None, since: str | None, state_dir: Path | None) -> None:
    """List recorded sessions, newest first."""
    journal = _open(state_dir)
    try:
        rows = journal.sessions(room_id, _since(since))
    except JournalError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(1)
    table = Table(title="roomctl sessions")
    for column in ("session", "room", "profile", "started", "length", "ended"):
        table.add_column(column)
    for row in rows:
        length = format_duration(row.ended_at - row.started_at) if row.ended_at else "-"
        table.add_row(
            row.session_id,
            row.room,
            row.profile,
            local_time(row.started_at),
            length,
            row.end_reason or "not ended",
        )
    Console().print(table)


@cli.command("report")
@click.argument("session_id")
@click.option(
    "--format", "fmt", type=click.Choice(list(FORMATTERS)), default="md", show_default=True
)
@state_dir_option
def report(session_id: str, fmt: str, state_dir: Path | None) -> None:
    """Print one session's record: phases, pauses, cues, emergencies and faults."""
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
    click.echo(FORMATTERS[fmt](build_report(row, events)), nl=False)
