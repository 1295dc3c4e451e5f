"""`roomctl users add|passwd|remove|list`: manage the console's accounts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from roomctl.api.sites import site_name_refusal
from roomctl.cli.exits import EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.console.users import (
    ROLES,
    User,
    UsersFileError,
    default_users_path,
    hash_password,
    load_users,
    save_users,
)

users_option = click.option(
    "--users", "users_file", type=click.Path(path_type=Path), default=None,
    help="The users file (default: $ROOMCTL_USERS or ~/.config/roomctl/users.yaml).",
)  # fmt: skip
stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from stdin (one line)."
)


@cli.group("users")
def users() -> None:
    """Manage the console's accounts: names, roles, rooms and passwords."""


def _load(path: Path) -> dict[str, User]:
    try:
        return load_users(path)
    except UsersFileError as error:
        click.echo(f"roomctl users: {error}", err=True)
        sys.exit(EXIT_USAGE)


def _names(text: str | None) -> tuple[str, ...] | None:
    """Return the names of a comma-separated option, or None when it is not given."""
    return tuple(n.strip() for n in text.split(",") if n.strip()) if text else None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        click.echo("roomctl users: the password is empty", err=True)
        sys.exit(EXIT_USAGE)
    return password


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option(
    "--rooms", default=None,
    help="Limit the user to these rooms: room-1,room-2 (every site's), or north/room-1.",
)  # fmt: skip
@click.option(
    "--sites", default=None, help="Limit the user to these sites of a central broker: north,south."
)
@users_option
@stdin_option
def add(
    name: str,
    role: str,
    rooms: str | None,
    sites: str | None,
    users_file: Path | None,
    password_stdin: bool,
) -> None:
    """Add a user NAME with a role and a password."""
    path = users_file or default_users_path()
    known = _load(path)
    if name in known:
        click.echo(f"roomctl users: {name} exists; use `roomctl users passwd {name}`", err=True)
        sys.exit(EXIT_USAGE)
    limited = _names(rooms)
    at_sites = _names(sites)
    for site in at_sites or ():
        why = site_name_refusal(site)
        if why is not None:
            click.echo(f"roomctl users: --sites {site!r}: {why}", err=True)
            sys.exit(EXIT_USAGE)
    password = hash_password(_password(password_stdin))
    user = User(name, role, limited, password, at_sites)  # type: ignore[arg-type]
    save_users(path, {**known, name: user})
    click.echo(f"added {name} ({role}) to {path}")


@users.command("passwd")
@click.argument("name")
@users_option
@stdin_option
def passwd(name: str, users_file: Path | None, password_stdin: bool) -> None:
    """Set a new password for user NAME."""
    path = users_file or default_users_path()
    known = _load(path)
    if name not in known:
        click.echo(f"roomctl users: no user {name} in {path}", err=True)
        sys.exit(EXIT_USAGE)
    old = known[name]
    known[name] = User(
        name, old.role, old.rooms, hash_password(_password(password_stdin)), old.sites
    )
    save_users(path, known)
    click.echo(f"changed the password of {name}")


@users.command("remove")
@click.argument("name")
@users_option
def remove(name: str, users_file: Path | None) -> None:
    """Remove user NAME (a running console ends their sessions)."""
    path = users_file or default_users_path()
    known = _load(path)
    if known.pop(name, None) is None:
        click.echo(f"roomctl users: no user {name} in {path}", err=True)
        sys.exit(EXIT_USAGE)
    save_users(path, known)
    click.echo(f"removed {name}")


@users.command("list")
@users_option
def list_users(users_file: Path | None) -> None:
    """List the users: name, role, rooms and any sites they are limited to (never the hashes)."""
    for user in _load(users_file or default_users_path()).values():
        rooms = ",".join(user.rooms) if user.rooms is not None else "all rooms"
        sites = f"\t{','.join(user.sites)}" if user.sites is not None else ""  # limited only
        click.echo(f"{user.name}\t{user.role}\t{rooms}{sites}")
