"""`roomctl run`: serve rooms until SIGTERM or SIGINT."""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from roomctl import logs
from roomctl.api.sites import site_name_refusal
from roomctl.cli.group import cli
from roomctl.config import ConfigError
from roomctl.journal import JournalError
from roomctl.mqtt import BROKER_ENV, DEFAULT_BROKER, BrokerUrl, broker_url, parse_broker_url
from roomctl.runtime.collector import SurvivorFreezer
from roomctl.runtime.daemon import Daemon, DaemonOptions, default_state_dir
from roomctl.runtime.service import RoomService
from roomctl.runtime.site import DAEMON_SITE_ENV

_LOGGER = logging.getLogger(__name__)


def _checked_site(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Return `--site`'s value once it is a site name (one topic level)."""
    why = None if value is None else site_name_refusal(value)
    if why is not None:
        raise click.BadParameter(why)
    return value


# How long a thread keeps the interpreter while another waits for it (Python's default is
# 5 ms). The network thread, which writes every room's messages, waited that long behind
# the room threads' work at 500 rooms, several times per message batch; 1 ms bounds that
# wait at a small cost in switches (see the README's Benchmarks).
SWITCH_INTERVAL_S = 0.001


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
@click.option(
    "--site",
    default=None,
    callback=_checked_site,
    help="The site these rooms are at, as `roomctl bridge-config --site` names it: in the "
    "state, Home Assistant's ids and the record (wins over the room files' site:, which win "
    f"over ${DAEMON_SITE_ENV}). Topics stay roomctl/...",
)
@click.option("--speed", type=float, default=1.0, hidden=True, help="Session clock speed.")
@click.option("--no-sound", is_flag=True, help="Do not open the room's speakers.")
def run(
    rooms: tuple[Path, ...],
    broker: str | None,
    profiles: Path | None,
    state_dir: Path | None,
    site: str | None,
    speed: float,
    no_sound: bool,
) -> None:
    """Serve one or more rooms until stopped."""
    # A daemon's log is its session log: INFO by default (see roomctl.logs).
    context = click.get_current_context()
    verbose = context.parent.params.get("verbose", 0) if context.parent is not None else 0
    logs.configure(verbose, default=logging.INFO)
    options = DaemonOptions(
        room_files=rooms,
        broker=broker,
        profiles_dir=profiles,
        state_dir=state_dir or default_state_dir(),
        speed=speed,
        audio=not no_sound,
        site=site,
    )
    daemon = Daemon(options)
    daemon.handle_signals()
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
    # The same for what outlives each later full pass (sessions' timelines): see collector.
    gc.collect()
    gc.freeze()
    SurvivorFreezer().install()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    for line in serving_lines(daemon.rooms):
        click.echo(line, err=True)
    daemon.serve()
    if daemon.stuck_on_disk:
        # Closing the journal at exit would wait for the stalled disk; what it could not
        # take is spilled and logged. Leave now, as a clean stop (status 0).
        logging.shutdown()
        os._exit(0)


def serving_lines(rooms: Sequence[RoomService]) -> list[str]:
    """Return what `roomctl run` says it serves: each broker's URL and the rooms on it."""
    by_url: dict[BrokerUrl, list[str]] = {}
    for service in rooms:
        room = service.room
        shown = room.id if room.site is None else f"{room.id} (site {room.site})"
        by_url.setdefault(service.url, []).append(shown)
    try:
        cli_default = broker_url(None)
    except ValueError:  # a malformed $ROOMCTL_BROKER: the commands will say so themselves
        cli_default = parse_broker_url(DEFAULT_BROKER)
    lines: list[str] = []
    for url, ids in by_url.items():
        lines.append(f"roomctl: serving {', '.join(ids)} on {url}")
        if (url.host, url.port) != (cli_default.host, cli_default.port):
            lines.append(
                f"roomctl: other roomctl commands look for {cli_default}: give them "
                f"--broker {url} (or set {BROKER_ENV}={url})"
            )
    return lines
