"""The root `roomctl` command group and the registration of every subcommand."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

import click

from roomctl import __version__
from roomctl.cli.exits import EXIT_USAGE

# Where each command is defined: its module registers it on `cli` when imported. A module
# is imported only when its command runs or help lists it, so `roomctl run` does not load
# what the others need (rich for status, the simulated lights for the demo: ~3 MB).
_COMMAND_HOMES: dict[str, str] = {
    "run": "run",
    **dict.fromkeys(
        ("start", "extend", "pause", "resume", "stop", "next", "emergency", "release", "ack"),
        "control",
    ),
    "status": "status",
    "rehearse": "rehearse",
    "demo": "rehearse",
    "sound-test": "sound_test",
    "bridge-config": "bridge",
    "check": "check",
    "history": "history",
    "report": "history",
    "contract": "contract",
    "console": "console",
    "users": "users",
    "ha-remove": "home_assistant",
}
_COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(_COMMAND_HOMES.values()))


# A command's summary in `roomctl --help` is its docstring's first sentence, never cut
# short: no sentence is this long.
SHORT_HELP_LIMIT = 500


class RoomctlGroup(click.Group):
    """The root group: a usage error exits EXIT_USAGE, since click's 2 means "no reply" here."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exit with the command's code, or EXIT_USAGE on a usage error."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            error.show()
            sys.exit(EXIT_USAGE)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return every command's name, registered yet or not."""
        return sorted({*self.commands, *_COMMAND_HOMES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return a command, importing the module that defines it the first time."""
        home = _COMMAND_HOMES.get(cmd_name)
        if home is not None and cmd_name not in self.commands:
            importlib.import_module(f"roomctl.cli.{home}")
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with each one's whole first sentence, wrapped rather than cut."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=SHORT_HELP_LIMIT)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=RoomctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roomctl")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Control session rooms: light, sound and staff cues on a timeline."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Run the roomctl command line."""
    cli()
