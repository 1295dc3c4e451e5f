"""`roomctl start|pause|resume|stop|next|extend|emergency|release|ack`: command a room."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from roomctl.api.sites import DEFAULT_CENTRAL_PREFIX, prefix_refusal, site_base, site_name_refusal
from roomctl.api.topics import PREFIX
from roomctl.cli.exits import (
    EXIT_ACCEPTED,
    EXIT_BROKER,
    EXIT_NO_REPLY,
    EXIT_REFUSED,
    EXIT_USAGE,
)
from roomctl.cli.group import cli
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.client import BrokerError, Client, NoReplyError, broker_url

__all__ = ["EXIT_ACCEPTED", "EXIT_BROKER", "EXIT_NO_REPLY", "EXIT_REFUSED", "broker_option"]

room_option = click.option("--room", "room_id", required=True, help="The room's id, e.g. room-1.")
broker_option = click.option(
    "--broker", default=None, help="Broker URL (default: $ROOMCTL_BROKER or mqtt://127.0.0.1:1883)."
)
# Where a central broker keeps its sites' topics when $ROOMCTL_CENTRAL_PREFIX says nothing.
CENTRAL_PREFIX_ENV = "ROOMCTL_CENTRAL_PREFIX"
site_option = click.option(
    "--site",
    default=None,
    envvar="ROOMCTL_SITE",
    help="Reach the room through a central broker: the site's rooms are under "
    "clinic/SITE/roomctl/ there ($ROOMCTL_CENTRAL_PREFIX for another prefix than clinic).",
)
operator_option = click.option(
    "--operator", default=None, help="Who gives the command (kept in the session's record)."
)
# What a reply's status means, said plainly.
_AFTERWARDS = {
    "idle": "the room is idle",
    "running": "the session is running",
    "paused": "the session is paused",
    "emergency": "the room is in emergency",
    "ended": "the session has ended",
}


def url_or_usage_error(broker: str | None) -> BrokerUrl:
    """Return the broker URL to use, or exit EXIT_USAGE saying what is wrong with it."""
    try:
        return broker_url(broker)
    except ValueError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(EXIT_USAGE)


def base_or_usage_error(site: str | None) -> str:
    """Return where the rooms' topics are: roomctl/, or a site's under the central prefix."""
    if site is None:
        return PREFIX
    central = os.environ.get(CENTRAL_PREFIX_ENV) or DEFAULT_CENTRAL_PREFIX
    why = site_name_refusal(site) or prefix_refusal(central)
    if why is not None:
        click.echo(f"roomctl: {why}", err=True)
        sys.exit(EXIT_USAGE)
    return site_base(site, central)


def send(
    room_id: str, broker: str | None, body: dict[str, object], site: str | None = None
) -> None:
    """Send one command, print the reply, and exit with its code (see roomctl.cli.exits)."""
    url = url_or_usage_error(broker)
    base = base_or_usage_error(site)
    try:
        with Client(url, base) as client:
            reply: dict[str, Any] = client.command(room_id, body)
    except NoReplyError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(EXIT_NO_REPLY)
    except BrokerError as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(EXIT_BROKER)
    if reply.get("ok"):
        status = str(reply.get("status"))
        afterwards = _AFTERWARDS.get(status, f"the room is {status}")
        click.echo(f"{_named(room_id, site)}: {body['action']} accepted; {afterwards}")
        sys.exit(EXIT_ACCEPTED)
    click.echo(f"{_named(room_id, site)}: {body['action']} refused: {reply.get('error')}", err=True)
    sys.exit(EXIT_REFUSED)


def _named(room_id: str, site: str | None) -> str:
    """Return a room's name as people read it: room-1, or north/room-1 at a central broker."""
    return room_id if site is None else f"{site}/{room_id}"


def _body(action: str, operator: str | None, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {"action": action}
    if operator is not None:
        body["operator"] = operator
    body.update({key: value for key, value in fields.items() if value is not None})
    return body


@cli.command("start")
@click.argument("profile")
@room_option
@click.option("--at", default=None, help="Start at this session time, such as 12m (load-to-time).")
@operator_option
@broker_option
@site_option
def start(
    profile: str,
    room_id: str,
    at: str | None,
    operator: str | None,
    broker: str | None,
    site: str | None,
) -> None:
    """Start session PROFILE in a room."""
    send(room_id, broker, _body("start", operator, profile=profile, at=at), site)


@cli.command("extend")
@click.argument("by")
@room_option
@operator_option
@broker_option
@site_option
def extend(
    by: str, room_id: str, operator: str | None, broker: str | None, site: str | None
) -> None:
    """Add time BY, such as 5m, to the current phase."""
    send(room_id, broker, _body("extend", operator, by=by), site)


@cli.command("ack")
@click.argument("cue_id", metavar="[CUE_ID]", required=False)
@room_option
@operator_option
@broker_option
@site_option
def ack(
    cue_id: str | None, room_id: str, operator: str | None, broker: str | None, site: str | None
) -> None:
    """Acknowledge a fired cue: CUE_ID, such as 2.0, or else the oldest pending one."""
    send(room_id, broker, _body("ack", operator, cue=cue_id), site)


def _simple(action: str, help_text: str) -> None:
    @cli.command(action, help=help_text)
    @room_option
    @operator_option
    @broker_option
    @site_option
    def command(room_id: str, operator: str | None, broker: str | None, site: str | None) -> None:
        send(room_id, broker, _body(action, operator), site)


_simple("pause", "Pause the room's session where it is.")
_simple("resume", "Resume a paused session from where it stopped.")
_simple("stop", "Stop the session and fade the room to standby.")
_simple("next", "Start the next phase now.")
_simple("emergency", "Bring every light to the emergency scene at once and stop sound.")
_simple("release", "Leave the emergency: fade back to the paused session's levels.")
