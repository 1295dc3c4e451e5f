"""`roomctl start|pause|resume|stop|next|extend|emergency|release|ack`: command a room."""

from __future__ import annotations

import sys
from typing import Any

import click

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


def send(room_id: str, broker: str | None, body: dict[str, object]) -> None:
    """Send one command, print the reply, and exit with its code (see roomctl.cli.exits)."""
    url = url_or_usage_error(broker)
    try:
        with Client(url) as client:
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
        click.echo(f"{room_id}: {body['action']} accepted; {afterwards}")
        sys.exit(EXIT_ACCEPTED)
    click.echo(f"{room_id}: {body['action']} refused: {reply.get('error')}", err=True)
    sys.exit(EXIT_REFUSED)


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
def start(
    profile: str, room_id: str, at: str | None, operator: str | None, broker: str | None
) -> None:
    """Start session PROFILE in a room."""
    send(room_id, broker, _body("start", operator, profile=profile, at=at))


@cli.command("extend")
@click.argument("by")
@room_option
@operator_option
@broker_option
def extend(by: str, room_id: str, operator: str | None, broker: str | None) -> None:
    """Add time BY, such as 5m, to the current phase."""
    send(room_id, broker, _body("extend", operator, by=by))


@cli.command("ack")
@click.argument("cue_id", metavar="[CUE_ID]", required=False)
@room_option
@operator_option
@broker_option
def ack(cue_id: str | None, room_id: str, operator: str | None, broker: str | None) -> None:
    """Acknowledge a fired cue: CUE_ID, such as 2.0, or else the oldest pending one."""
    send(room_id, broker, _body("ack", operator, cue=cue_id))


def _simple(action: str, help_text: str) -> None:
    @cli.command(action, help=help_text)
    @room_option
    @operator_option
    @broker_option
    def command(room_id: str, operator: str | None, broker: str | None) -> None:
        send(room_id, broker, _body(action, operator))


_simple("pause", "Pause the room's session where it is.")
_simple("resume", "Resume a paused session from where it stopped.")
_simple("stop", "Stop the session and fade the room to standby.")
_simple("next", "Start the next phase now.")
_simple("emergency", "Bring every light to the emergency scene at once and stop sound.")
_simple("release", "Leave the emergency: fade back to the paused session's levels.")
