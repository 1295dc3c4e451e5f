"""`roomctl check PATH...`: validate clinic files and print every problem with its line."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from roomctl.cli.group import cli
from roomctl.config import check_paths

_LOGGER = logging.getLogger(__name__)


@cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--room",
    "rooms",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="A room preset to check the profiles against (repeatable).",
)
@click.option(
    "--profiles",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="The folder `roomctl run --profiles` is given: rooms' sounds are looked for beside it.",
)
def check(paths: tuple[Path, ...], rooms: tuple[Path, ...], profiles: Path | None) -> None:
    """Validate room presets and session profiles: files, or folders of *.yaml.

    Each profile is also checked against the rooms given (among PATHS or with --room) or,
    when none is, against the rooms in the rooms/ folder beside its own; with no room at
    all it says so, as a warning. A room's sound files are looked for in sounds/ beside
    --profiles DIR when given, as `roomctl run --profiles DIR` plays them, else beside the
    room's folder. Every problem is printed as
    FILE:LINE: field.path: message, then a summary. Exit 1 when any is an error;
    warnings alone exit 0.
    """
    report = check_paths(paths, rooms, profiles)
    for problem in report.problems:
        click.echo(problem.format())
    click.echo(report.summary(), err=True)
    raise SystemExit(1 if report.failed else 0)
