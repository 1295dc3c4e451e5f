"""The root `roomctl` command group and the registration of every subcommand."""

from __future__ import annotations

import importlib
import logging

import click

from roomctl import __version__

# Each module names one command (or a few close ones) and defines it on `cli`.
_COMMAND_MODULES: tuple[str, ...] = ("run", "control", "status", "rehearse", "check", "history")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roomctl")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Control session rooms: light, sound and staff cues on a timeline."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Run the roomctl command line."""
    for module in _COMMAND_MODULES:
        importlib.import_module(f"roomctl.cli.{module}")
    cli()
