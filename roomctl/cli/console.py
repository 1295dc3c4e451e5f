"""`roomctl console`: serve every room of a broker on a web page."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from roomctl.api.sites import DEFAULT_CENTRAL_PREFIX, prefix_refusal, site_name_refusal
from roomctl.cli.control import CENTRAL_PREFIX_ENV, broker_option, url_or_usage_error
from roomctl.cli.exits import EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.console.users import UsersFileError, default_users_path

# Where the console listens unless told: this machine only, the port web consoles use.
DEFAULT_LISTEN = "127.0.0.1:8080"


def listen_option(function: Any) -> Any:
    """Add --listen HOST:PORT, parsed into (host, port)."""

    def parse(_ctx: click.Context, _param: click.Parameter, text: str) -> tuple[str, int]:
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise click.BadParameter(f"expected HOST:PORT, like {DEFAULT_LISTEN}, not {text!r}")
        return host.strip("[]"), int(port)

    return click.option(
        "--listen",
        default=DEFAULT_LISTEN,
        show_default=True,
        callback=parse,
        help="HOST:PORT to serve the console on (port 0: any free one).",
    )(function)


@cli.command("console")
@broker_option
@click.option(
    "--site",
    "sites",
    multiple=True,
    help="Watch a site's rooms at a central broker, under clinic/SITE/roomctl/ "
    "($ROOMCTL_CENTRAL_PREFIX for another prefix than clinic); repeat for each site. "
    "Without it: the broker's own rooms, under roomctl/.",
)
@click.option(
    "--users",
    "users_file",
    type=click.Path(path_type=Path),
    default=None,
    help="The users file (default: $ROOMCTL_USERS or ~/.config/roomctl/users.yaml).",
)
@listen_option
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="TLS certificate (PEM): serve https.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The certificate's private key (PEM).",
)
def console(
    broker: str | None,
    sites: tuple[str, ...],
    users_file: Path | None,
    listen: tuple[str, int],
    cert: str | None,
    key: str | None,
) -> None:
    """Serve every room of the broker (or of some sites) on a web page, with accounts and roles."""
    # Imported here: the web stack (~20 MB) loads only when the console runs.
    from roomctl.console.app import create_app  # noqa: PLC0415
    from roomctl.console.places import Layout  # noqa: PLC0415
    from roomctl.console.serve import ListenError, serve  # noqa: PLC0415
    from roomctl.console.serve import listen as listen_on  # noqa: PLC0415

    if (cert is None) != (key is None):
        click.echo("roomctl console: --cert and --key go together", err=True)
        sys.exit(EXIT_USAGE)
    url = url_or_usage_error(broker)
    central = os.environ.get(CENTRAL_PREFIX_ENV) or DEFAULT_CENTRAL_PREFIX
    why = next(filter(None, map(site_name_refusal, sites)), None) or (
        prefix_refusal(central) if sites else None
    )
    if why is not None:
        click.echo(f"roomctl console: {why}", err=True)
        sys.exit(EXIT_USAGE)
    layout = Layout(tuple(dict.fromkeys(sites)), central)
    host, port = listen
    users = users_file or default_users_path()
    try:
        app = create_app(url, users, secure=cert is not None, layout=layout)
        listener = listen_on(host, port, tls=cert is not None)
    except (UsersFileError, ListenError) as error:
        click.echo(f"roomctl console: {error}", err=True)
        sys.exit(EXIT_USAGE)
    if not users.exists():
        click.echo(f"roomctl console: no users yet; add one with `roomctl users add NAME --role "
                   f"supervisor --users {users}`", err=True)  # fmt: skip
    watched = f", sites {', '.join(layout.sites)}" if layout.sites else ""
    click.echo(f"roomctl console: serving {listener.url} (broker {url}{watched}, users {users})")
    sys.stdout.flush()
    serve(app, listener, cert, key)
