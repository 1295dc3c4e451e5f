"""`roomctl start|pause|resume|stop|next|extend|emergency|release`: command a room."""

from __future__ import annotations

import sys
from typing import Any

import click

from roomctl.cli.group import cli
from roomctl.client import Client, NoReplyError, broker_url

EXIT_ACCEPTED = 0
EXIT_REFUSED = 1
EXIT_NO_REPLY = 2

room_option = click.option("--room", "room_id", required=True, help="The room's id, e.g. room-1.")
broker_option = click.option(
    "--broker", default=None, help="Broker URL (default: $ROOMCTL_BROKER or mqtt://127.0.0.1:1883)."
)
operator_option = click.option("--operator", default=None, help="Who gives the command.")


def send(room_id: str, broker: str | None, body: dict[str, object]) -> None:
    """Send one command, print the reply, and exit 0 accepted, 1 refused, 2 no reply."""
    try:
        url = broker_url(broker)
        with Client(url) as client:
            reply: dict[str, Any] = client.command(room_id, body)
    except (NoReplyError, ValueError) as error:
        click.echo(f"roomctl: {error}", err=True)
        sys.exit(EXIT_NO_REPLY)
    if reply.get("ok"):
        click.echo(f"{room_id}: {body['action']} accepted; room is {reply.get('status')}")
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
@click.option("--at", default=None, help="Start at this session time, e.g. 12m (load-to-time).")
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
    """Add time BY (e.g. 5m) to the current phase."""
    send(room_id, broker, _body("extend", operator, by=by))


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
