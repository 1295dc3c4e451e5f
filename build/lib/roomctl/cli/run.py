"""`roomctl run`: serve rooms until SIGTERM or SIGINT."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

import click

from roomctl.cli.group import cli
from roomctl.daemon import Daemon, DaemonOptions, default_state_dir
from roomctl.journal import JournalError
from roomctl.problems import ConfigError

_LOGGER = logging.getLogger(__name__)


@cli.command("run")
@click.option(
    "--room",
    "rooms",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A room preset file; repeat for several rooms.",
)
@click.option("--broker", default=None, help="Broker URL for every room (overrides the files).")
@click.option(
    "--profiles",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Session profiles folder (default: sessions/ beside the room file's folder).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the session journal lives (default: $XDG_STATE_HOME/roomctl).",
)
@click.option("--speed", type=float, default=1.0, hidden=True, help="Session clock speed.")
@click.option("--no-sound", is_flag=True, help="Do not open the room's speakers.")
def run(
    rooms: tuple[Path, ...],
    broker: str | None,
    profiles: Path | None,
    state_dir: Path | None,
    speed: float,
    no_sound: bool,
) -> None:
    """Serve one or more rooms until stopped."""
    options = DaemonOptions(
        room_files=rooms,
        broker=broker,
        profiles_dir=profiles,
        state_dir=state_dir or default_state_dir(),
        speed=speed,
        audio=not no_sound,
    )
    daemon = Daemon(options)
    try:
        daemon.start()
    except ConfigError as error:
        for problem in error.problems:
            click.echo(problem.format(), err=True)
        daemon.stop()
        sys.exit(1)
    except (ValueError, JournalError) as error:
        click.echo(f"roomctl: {error}", err=True)
        daemon.stop()
        sys.exit(1)
    # What start-up built (rooms, adapters, modules, the scheduler) lives as long as the
    # process: set it aside from the cyclic collector, whose full passes over it paused
    # every room for up to 0.2 s with 200 rooms. Garbage is collected first, not kept.
    gc.collect()
    gc.freeze()
    click.echo(f"roomctl: serving {', '.join(r.room.id for r in daemon.rooms)}", err=True)
    daemon.serve()
