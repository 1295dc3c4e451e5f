"""`roomctl bridge-config`: print the Mosquitto bridge configuration of a site's broker."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from roomctl.api.sites import DEFAULT_CENTRAL_PREFIX, prefix_refusal, site_name_refusal
from roomctl.api.topics import PREFIX
from roomctl.cli.exits import EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.mqtt.bridge_config import BridgeSettings, bridge_config, credential_refusal
from roomctl.mqtt.broker_url import parse_broker_url


def _usage_error(message: str) -> None:
    click.echo(f"roomctl bridge-config: {message}", err=True)
    sys.exit(EXIT_USAGE)


@cli.command("bridge-config")
@click.option("--site", required=True, help="This site's name, one topic level, e.g. north.")
@click.option("--central", required=True, help="The central broker, e.g. mqtts://hub:8883.")
@click.option("--username", default=None, help="This site's account at the central broker.")
@click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A file holding the account's password (its first line).",
)
@click.option("--ca", "ca_file", default=None, help="The CA file that signed the centre's cert.")
@click.option("--local-prefix", default=PREFIX, show_default=True, help="roomctl's topics here.")
@click.option(
    "--central-prefix",
    default=DEFAULT_CENTRAL_PREFIX,
    show_default=True,
    help="Where the sites' topics go at the centre: <prefix>/<site>/roomctl/...",
)
def bridge_config_command(
    site: str,
    central: str,
    username: str | None,
    password_file: Path | None,
    ca_file: str | None,
    local_prefix: str,
    central_prefix: str,
) -> None:
    """Print the Mosquitto bridge configuration that links this site's broker to the centre."""
    for why in (
        site_name_refusal(site),
        prefix_refusal(local_prefix),
        prefix_refusal(central_prefix),
    ):
        if why is not None:
            _usage_error(why)
    try:
        url = parse_broker_url(central)
    except ValueError as error:
        _usage_error(str(error))
    password = None
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        password = lines[0] if lines else ""
    for name, value in (("user name", username or url.username), ("password", password)):
        if value is not None and (why := credential_refusal(value)) is not None:
            _usage_error(f"the {name} cannot go into Mosquitto's configuration: {why}")
    if password is None and url.password is not None:
        password = url.password
        if (why := credential_refusal(password)) is not None:
            _usage_error(f"the password cannot go into Mosquitto's configuration: {why}")
    if password is not None and (username or url.username) is None:
        _usage_error("a password needs a user name (--username or user@ in --central)")
    if not url.tls:
        click.echo(
            "roomctl bridge-config: warning: mqtt:// has no TLS; use mqtts:// between sites",
            err=True,
        )
    settings = BridgeSettings(
        site=site,
        central=url,
        username=username,
        password=password,
        ca_file=ca_file,
        local_prefix=local_prefix,
        central_prefix=central_prefix,
    )
    click.echo(bridge_config(settings), nl=False)
