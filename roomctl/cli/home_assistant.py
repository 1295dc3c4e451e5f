"""`roomctl ha-remove`: take a room that roomctl no longer serves out of Home Assistant."""

from __future__ import annotations

import re
import sys

import click

from roomctl.api.sites import site_name_refusal
from roomctl.api.state import ONLINE
from roomctl.api.topics import RoomTopics
from roomctl.cli.control import broker_option, url_or_usage_error
from roomctl.cli.exits import EXIT_ACCEPTED, EXIT_BROKER, EXIT_REFUSED, EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.homeassistant.discovery import config_topic
from roomctl.models.home_assistant import DEFAULT_PREFIX, PREFIX_PATTERN
from roomctl.models.room import ROOM_ID_PATTERN
from roomctl.mqtt.client import BrokerError, Client


@cli.command("ha-remove")
@click.option("--room", "room_id", required=True, help="The room's id, e.g. room-1.")
@click.option(
    "--prefix",
    default=DEFAULT_PREFIX,
    show_default=True,
    help="The discovery prefix of the room file's home_assistant block.",
)
@click.option(
    "--daemon-site",
    default=None,
    metavar="SITE",
    help="The site the daemon announced the room with (`roomctl run --site`), if any.",
)
@click.option(
    "--force", is_flag=True, help="Remove it even though a daemon still says the room is online."
)
@broker_option
def ha_remove(
    room_id: str, prefix: str, daemon_site: str | None, force: bool, broker: str | None
) -> None:
    """Remove a room's device from Home Assistant (its retained discovery config).

    For a room roomctl no longer serves: a daemon that serves it announces it again.
    """
    if not re.match(ROOM_ID_PATTERN, room_id) or not re.match(PREFIX_PATTERN, prefix):
        click.echo(f"roomctl: '{room_id}' or '{prefix}' is not a room id or a prefix", err=True)
        sys.exit(EXIT_USAGE)
    why = None if daemon_site is None else site_name_refusal(daemon_site)
    if why is not None:
        click.echo(f"roomctl: --daemon-site {daemon_site!r}: {why}", err=True)
        sys.exit(EXIT_USAGE)
    config = config_topic(room_id, prefix, daemon_site)
    url = url_or_usage_error(broker)
    topics = RoomTopics(room_id)
    try:
        with Client(url) as client:
            seen = client.retained(topics.availability)
            if not force and any(d.payload == ONLINE.encode() for d in seen):
                click.echo(
                    f"roomctl: room {room_id} is still served (its availability is online): "
                    "take it out of `roomctl run` first, or the daemon announces it again "
                    "(--force removes it all the same)",
                    err=True,
                )
                sys.exit(EXIT_REFUSED)
            client.clear_retained(config, topics.ha_profile)
    except BrokerError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(EXIT_BROKER)
    click.echo(f"{room_id}: removed from Home Assistant ({config})")
    sys.exit(EXIT_ACCEPTED)
