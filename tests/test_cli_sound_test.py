"""`roomctl sound-test` through a real PulseAudio null sink: the tone peaks at the room's cap."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.fixtures.pulse import RATE, PulseServer

# Starting Python and opening PortAudio takes a few seconds; the tone lasts 2 s.
PROCESS_TIMEOUT_S = 60.0
ROOM = """\
id: sound-room
name: Sound room
devices:
  ceiling: {type: zigbee2mqtt, topic: zigbee2mqtt/s/ceiling}
  speaker: {type: audio, output: default}
limits: {max_volume: -18 dB}
"""
CAP_DB = -18.0
# The limiter's soft knee and PulseAudio's resampling move a sine's peak by ~0.1 dB.
PEAK_TOLERANCE_DB = 0.3


def test_sound_test_lists_the_outputs_and_plays_at_the_cap(
    pulse: PulseServer, tmp_path: Path
) -> None:
    recorder = pulse.recorder
    assert recorder is not None
    room = tmp_path / "sound-room.yaml"
    room.write_text(ROOM)
    start = recorder.position()
    result = subprocess.run(
        [sys.executable, "-m", "roomctl", "sound-test", "--room", str(room)],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        env=pulse.env,
        check=False,
    )
    end = recorder.position()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sound outputs on this machine:" in result.stdout
    assert "(default)" in result.stdout
    assert (
        "played a 440 Hz tone for 2 s at -18 dB (room sound-room's max_volume) on speaker "
        "speaker, output " in result.stdout
    )
    recorded = recorder.read(start, (end - start) / RATE)
    peak_db = 20.0 * math.log10(float(np.abs(recorded).max()))
    assert abs(peak_db - CAP_DB) < PEAK_TOLERANCE_DB, peak_db
    # It played about two seconds at that level, not a click.
    loud = np.abs(recorded) > 10 ** ((CAP_DB - 1.0) / 20.0)
    # A sine is within 1 dB of its peak 30 % of the time: 2 s of tone give ~0.6 s of such samples.
    assert loud.sum() > RATE * 0.4
    near_peak = np.flatnonzero(loud)
    assert (near_peak[-1] - near_peak[0]) / RATE > 1.8


def test_an_output_that_does_not_exist_is_named_with_the_ones_that_do(
    pulse: PulseServer, tmp_path: Path
) -> None:
    room = tmp_path / "sound-room.yaml"
    room.write_text(ROOM)
    result = subprocess.run(
        [sys.executable, "-m", "roomctl", "sound-test", "--room", str(room), "--output", "nowhere"],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        env=pulse.env,
        check=False,
    )
    assert result.returncode == 1
    assert "sound output 'nowhere' does not exist; available outputs:" in result.stderr
    assert "played" not in result.stdout
