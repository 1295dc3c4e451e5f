"""`roomctl console`: serve every room of a broker on a web page."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import click

from roomctl.cli.control import broker_option, url_or_usage_error
from roomctl.cli.exits import EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.console.users import UsersFileError, default_users_path

DEFAULT_LISTEN = "127.0.0.1:8080"
# How long a stop waits for open pages' live streams before closing them.
GRACEFUL_STOP_S = 2
# Connections the kernel holds before the server accepts them (uvicorn's own default).
LISTEN_BACKLOG = 2048


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"expected HOST:PORT, like {DEFAULT_LISTEN}, not {text!r}")
    return host.strip("[]"), int(port)


@cli.command("console")
@broker_option
@click.option(
    "--users",
    "users_file",
    type=click.Path(path_type=Path),
    default=None,
    help="The users file (default: $ROOMCTL_USERS or ~/.config/roomctl/users.yaml).",
)
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, help="HOST:PORT to serve on.")
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
    broker: str | None, users_file: Path | None, listen: str, cert: str | None, key: str | None
) -> None:
    """Serve every room of the broker on a web page for staff, with accounts and roles."""
    # Imported here: the web stack (~20 MB) loads only when the console runs.
    import uvicorn  # noqa: PLC0415

    from roomctl.console.app import create_app  # noqa: PLC0415

    if (cert is None) != (key is None):
        click.echo("roomctl console: --cert and --key go together", err=True)
        sys.exit(EXIT_USAGE)
    url = url_or_usage_error(broker)
    host, port = _listen(listen)
    users = users_file or default_users_path()
    try:
        app = create_app(url, users, secure=cert is not None)
    except UsersFileError as error:
        click.echo(f"roomctl console: {error}", err=True)
        sys.exit(EXIT_USAGE)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        click.echo(f"roomctl console: cannot listen on {listen}: {error}", err=True)
        sys.exit(EXIT_USAGE)
    # Listening now: connections wait in the kernel's queue until the server takes them, so
    # the URL printed below answers as soon as it is printed.
    sock.listen(LISTEN_BACKLOG)
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        ssl_certfile=cert,
        ssl_keyfile=key,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_STOP_S,
    )
    scheme = "https" if cert else "http"
    shown = f"[{host}]" if ":" in host else host
    if not users.exists():
        click.echo(f"roomctl console: no users yet; add one with `roomctl users add NAME --role "
                   f"supervisor --users {users}`", err=True)  # fmt: skip
    click.echo(
        f"roomctl console: serving {scheme}://{shown}:{bound}/ (broker {url}, users {users})"
    )
    sys.stdout.flush()
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
