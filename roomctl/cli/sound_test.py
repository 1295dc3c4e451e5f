"""`roomctl sound-test`: list the sound outputs and play a short tone at a room's volume cap."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import click

from roomctl.audio import AudioEngine, AudioOutputError
from roomctl.audio.device import find_output, open_portaudio, output_devices
from roomctl.cli.group import cli
from roomctl.config import ConfigError, load_room
from roomctl.core.levels import Voice, db_to_gain

# The test tone: a plain A, easy to recognise and to tell from noise in the room.
TEST_TONE_HZ = 440
# Long enough to walk to the speaker and hear it, short enough not to startle anyone.
TEST_TONE_S = 2.0
# The tone fades in and out this fast: no click, and the full level is reached at once.
TEST_FADE_S = 0.05


def _outputs() -> list[str]:
    """Return the machine's sound outputs as `index: name`, the default one marked."""
    audio = open_portaudio()
    try:
        default = None
        with contextlib.suppress(AudioOutputError):
            default = find_output(audio, "default").index
        return [
            f"  {d.index}: {d.name}" + ("  (default)" if d.index == default else "")
            for d in output_devices(audio)
        ]
    finally:
        audio.terminate()


@cli.command("sound-test")
@click.option(
    "--room",
    "room_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The room preset file: its speaker output and its max_volume cap.",
)
@click.option(
    "--output",
    default=None,
    help="Play on this output (default, a name or an index) instead of the room's speaker.",
)
def sound_test(room_file: Path, output: str | None) -> None:
    """List the sound outputs, then play a short tone at the room's volume cap."""
    try:
        room = load_room(room_file)
    except ConfigError as error:
        for problem in error.problems:
            click.echo(problem.format(), err=True)
        sys.exit(1)
    click.echo("sound outputs on this machine:")
    for line in _outputs() or ["  none"]:
        click.echo(line)
    speakers: dict[str, str | int] = {name: s.output for name, s in room.speakers().items()}
    if output is not None:
        speakers = {"--output": output}
    if not speakers:
        click.echo(f"room {room.id} has no speaker (a device of type audio); give --output")
        sys.exit(1)
    cap_db = room.limits.max_volume
    failed = False
    for name, where in speakers.items():
        engine = AudioEngine(where, max_gain=db_to_gain(cap_db))
        try:
            engine.start()
        except AudioOutputError as error:
            engine.stop()
            click.echo(f"speaker {name}: {error}", err=True)
            failed = True
            continue
        device = engine.device
        shown = f"{device.index}: {device.name}" if device is not None else str(where)
        try:
            engine.apply(
                (Voice(f"tone:{TEST_TONE_HZ}", db_to_gain(cap_db)),), TEST_FADE_S, "linear"
            )
            time.sleep(TEST_TONE_S)
            engine.apply((), TEST_FADE_S, "linear")
            time.sleep(2 * TEST_FADE_S)  # the fade out plays before the output closes
        finally:
            engine.stop()
        click.echo(
            f"played a {TEST_TONE_HZ} Hz tone for {TEST_TONE_S:g} s at {cap_db:g} dB "
            f"(room {room.id}'s max_volume) on speaker {name}, output {shown}"
        )
    sys.exit(1 if failed else 0)
