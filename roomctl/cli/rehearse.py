"""`roomctl rehearse` and `roomctl demo`: play a profile against simulated devices."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from roomctl.cli.console import listen_option
from roomctl.cli.exits import EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.config import ConfigError
from roomctl.demo.showcase import Showcase, Step
from roomctl.journal import Journal
from roomctl.journal.report import as_markdown, build_report

# The demo plays its example session twelve times faster than real time, so the whole
# session fits comfortably in under a minute.
DEMO_SPEED = 12.0
# The demo's script: where a supervisor steps in (session seconds) and how long the
# room stays that way (wall seconds) so a viewer can see it.
DEMO_STEPS = (
    Step(at_s=90.0, action="pause", hold_s=2.0),
    Step(at_s=90.0, action="resume"),
    Step(at_s=200.0, action="emergency", hold_s=2.0),
    Step(at_s=200.0, action="release", hold_s=1.5),
    Step(at_s=200.0, action="resume"),
)
REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_ROOM = REPO_ROOT / "profiles" / "rooms" / "room-1.yaml"
DEMO_PROFILE = "demo"
# With the console, the demo plays in real time: a person clicks through it, and its first
# cue comes 30 s in, its first phase change at one minute.
CONSOLE_DEMO_SPEED = 1.0


def _play(
    room_file: Path,
    profiles: Path | None,
    speed: float,
    sound: bool,
    profile: str,
    steps: tuple[Step, ...] = (),
) -> None:
    with tempfile.TemporaryDirectory(prefix="roomctl-") as state_dir:
        try:
            showcase = Showcase(room_file, profiles, speed, sound, Path(state_dir))
        except ConfigError as error:
            for problem in error.problems:
                click.echo(problem.format(), err=True)
            sys.exit(1)
        if not showcase.play(profile, steps):
            sys.exit(1)
        if showcase.session_id is not None:
            _print_record(Path(state_dir), showcase.session_id)


def _print_record(state_dir: Path, session_id: str) -> None:
    """Print the session's record, as `roomctl report` would."""
    journal = Journal(state_dir, readonly=True)
    row = journal.session(session_id)
    if row is not None:
        click.echo()
        click.echo(as_markdown(build_report(row, journal.events(session_id))))
    journal.close()


@cli.command("rehearse")
@click.argument("profile")
@click.option(
    "--room",
    "room_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The room preset file to rehearse in.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="How many times faster than real time the session plays.",
)
@click.option(
    "--profiles",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Session profiles folder (default: sessions/ beside the room file's folder).",
)
def rehearse(profile: str, room_file: Path, speed: float, profiles: Path | None) -> None:
    """Play PROFILE on simulated devices on a fast clock and show it as it plays."""
    _play(room_file, profiles, speed, sound=False, profile=profile)


@cli.command("demo")
@click.option("--sound/--no-sound", default=True, help="Play the session's sound too.")
@click.option(
    "--console",
    "with_console",
    is_flag=True,
    help="Serve the demo room and the web console instead, with a demo account, until Ctrl-C.",
)
@listen_option
@click.option(
    "--speed",
    type=click.FloatRange(min=0.1),
    default=None,
    help=f"How many times faster than real time (default {DEMO_SPEED:g}; 1 with --console).",
)
def demo(sound: bool, with_console: bool, listen: tuple[str, int], speed: float | None) -> None:
    """Show roomctl at work: a compressed session with a pause and an emergency."""
    if with_console:
        _serve_console_demo(listen, speed or CONSOLE_DEMO_SPEED, sound)
        return
    _play(DEMO_ROOM, None, speed or DEMO_SPEED, sound, DEMO_PROFILE, DEMO_STEPS)


def _serve_console_demo(listen: tuple[str, int], speed: float, sound: bool) -> None:
    """Serve the demo room and the console until Ctrl-C, printing where and how to log in."""
    # Imported here: the web stack loads only for the console.
    from roomctl.console.serve import Listener, ListenError  # noqa: PLC0415
    from roomctl.demo.console_demo import ConsoleDemo, DemoAccount  # noqa: PLC0415

    def announce(listener: Listener, account: DemoAccount) -> None:
        click.echo(f"roomctl console: serving {listener.url} (room {DEMO_ROOM.stem}, demo broker)")
        click.echo(
            f"  log in as {account.name!r} with password {account.password!r} (a supervisor)"
        )
        click.echo(f"  start the {DEMO_PROFILE!r} profile on the room's page; Ctrl-C stops it all")
        sys.stdout.flush()

    with tempfile.TemporaryDirectory(prefix="roomctl-console-demo-") as folder:
        demo = ConsoleDemo(
            DEMO_ROOM, speed, sound, Path(folder) / "state", Path(folder) / "users.yaml"
        )
        try:
            demo.run(*listen, announce)
        except ListenError as error:
            click.echo(f"roomctl demo: {error}", err=True)
            sys.exit(EXIT_USAGE)
