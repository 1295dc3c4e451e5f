"""`roomctl check --profiles` and `roomctl run --profiles` look for sound files in one folder.

With profiles elsewhere (`--profiles DIR`), a room's sounds are in sounds/ beside DIR:
the daemon plays them from there, so `run` and `check` both check them there too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile
from click.testing import CliRunner

from roomctl.cli.check import check
from roomctl.config import default_profiles_dir, room_sounds_dir, sounds_dir
from tests.fixtures.broker import Mosquitto
from tests.fixtures.pulse import RATE, PulseServer
from tests.fixtures.room import Supervisor, wait_for
from tests.test_audio_output import rms

ROOM_ID = "snd-dir"
# The room's own standby scene plays a sound file (after a session), the profile another.
ROOM = f"""\
id: {ROOM_ID}
devices:
  speaker: {{type: audio, output: default}}
standby:
  sound: {{source: chime.wav, volume: -6 dB}}
"""
PROFILE = """\
title: Calm
phases:
  - name: calm
    duration: 10m
    fade: 1s
    sound: {source: bowl.wav, volume: -6 dB}
"""
# A daemon process imports its libraries, opens its output and connects within seconds;
# a loaded machine may take several more.
PROCESS_TIMEOUT_S = 20.0
# The recording's window whose level is measured: many periods of the 440 Hz tone.
MEASURE_S = 0.5
# A file's tone at -6 dB plays at about -15 dBFS RMS; the null sink's silence is far
# below -60. Anything above this is a file playing.
PLAYING_DB = -40.0
# The profile's file and the room's file, told apart by their pitch.
PROFILE_HZ = 440
ROOM_HZ = 880
# How near the recording's strongest frequency must be: 2 Hz bins over 0.5 s, and the
# output resamples 48 kHz files to the sink's rate.
PITCH_TOLERANCE_HZ = 10.0


def write_tone(path: Path, hz: int) -> Path:
    """Write a 1 s, 0.5-peak tone as a WAV file (whole periods: it loops seamlessly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = 0.5 * np.sin(2 * np.pi * hz * np.arange(RATE) / RATE)
    soundfile.write(str(path), samples.astype(np.float32), RATE)
    return path


def clinic(tmp_path: Path) -> tuple[Path, Path]:
    """Return a room file in clinic/rooms/ and a profiles folder elsewhere, shared/sessions/."""
    room_file = tmp_path / "clinic" / "rooms" / f"{ROOM_ID}.yaml"
    room_file.parent.mkdir(parents=True)
    room_file.write_text(ROOM)
    profiles = tmp_path / "shared" / "sessions"
    profiles.mkdir(parents=True)
    (profiles / "calm.yaml").write_text(PROFILE)
    return room_file, profiles


def run_check(*args: str) -> tuple[int, list[str]]:
    """Run `roomctl check` in-process; return its exit code and its problem lines."""
    result = CliRunner().invoke(check, list(args))
    return result.exit_code, result.stdout.splitlines()


def test_the_folders_are_derived_in_one_place(tmp_path: Path) -> None:
    room_file, profiles = clinic(tmp_path)
    assert default_profiles_dir(room_file) == tmp_path / "clinic" / "sessions"
    assert sounds_dir(profiles) == tmp_path / "shared" / "sounds"
    assert room_sounds_dir(room_file, profiles) == tmp_path / "shared" / "sounds"
    assert room_sounds_dir(room_file) == tmp_path / "clinic" / "sounds"
    # A folder written as "." has its real parent: sounds/ is beside it, not inside it.
    cwd = os.getcwd()
    try:
        os.chdir(profiles)
        assert sounds_dir(Path(".")) == tmp_path / "shared" / "sounds"
    finally:
        os.chdir(cwd)


def test_a_sound_only_beside_the_room_is_refused_by_check_and_run_alike(
    tmp_path: Path,
) -> None:
    room_file, profiles = clinic(tmp_path)
    write_tone(tmp_path / "clinic" / "sounds" / "chime.wav", ROOM_HZ)
    missing = (
        f"{room_file}:5: standby.sound.source: 'chime.wav': no such file in "
        f"{tmp_path / 'shared' / 'sounds'}"
    )
    # Served with the room's own sessions/ folder, the file beside it is found.
    assert run_check(str(room_file)) == (0, [])
    code, lines = run_check("--profiles", str(profiles), str(room_file))
    assert (code, lines) == (1, [missing])
    # The daemon refuses the room at start-up with the very same line, before any broker.
    command = [sys.executable, "-m", "roomctl", "run", "--room", str(room_file)]
    command += ["--profiles", str(profiles), "--state-dir", str(tmp_path / "state")]
    command += ["--broker", "mqtt://127.0.0.1:1", "--no-sound"]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [missing]


def test_a_sound_beside_the_profiles_passes_check_and_plays_in_run(
    tmp_path: Path, mosquitto: Mosquitto, pulse: PulseServer
) -> None:
    room_file, profiles = clinic(tmp_path)
    write_tone(tmp_path / "shared" / "sounds" / "bowl.wav", PROFILE_HZ)
    write_tone(tmp_path / "shared" / "sounds" / "chime.wav", ROOM_HZ)
    args = ("--profiles", str(profiles), str(room_file), str(profiles / "calm.yaml"))
    assert run_check(*args) == (0, [])
    recorder = pulse.recorder
    assert recorder is not None

    def playing(hz: int) -> bool:
        """Return whether the next MEASURE_S of the sink is a file's tone at `hz`."""
        assert recorder is not None
        samples = recorder.read(recorder.position(), MEASURE_S)
        if 20 * np.log10(max(rms(samples), 1e-9)) < PLAYING_DB:
            return False
        spectrum = np.abs(np.fft.rfft(samples))
        strongest = float(np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)])
        return abs(strongest - hz) < PITCH_TOLERANCE_HZ

    supervisor = Supervisor(mosquitto.url, ROOM_ID)
    supervisor.start()
    command = [sys.executable, "-m", "roomctl", "run", "--room", str(room_file)]
    command += ["--profiles", str(profiles), "--state-dir", str(tmp_path / "state")]
    command += ["--broker", mosquitto.url]
    with (tmp_path / "daemon.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, env=pulse.env)
    try:
        wait_for(
            lambda: [s for s in supervisor.on(supervisor.topics.availability) if s.payload],
            timeout=PROCESS_TIMEOUT_S,
            what="the daemon to serve the room",
        )
        # The profile's file, found in shared/sounds/, plays.
        assert supervisor.command("start", profile="calm")["ok"] is True
        wait_for(lambda: playing(PROFILE_HZ), timeout=PROCESS_TIMEOUT_S, what="the profile")
        # So does the room's own file once the session stops: the standby scene's.
        assert supervisor.command("stop")["ok"] is True
        wait_for(lambda: playing(ROOM_HZ), timeout=PROCESS_TIMEOUT_S, what="the room's sound")
    finally:
        process.terminate()
        process.wait(timeout=PROCESS_TIMEOUT_S)
        supervisor.stop()
    log_text = (tmp_path / "daemon.log").read_text()
    assert "bowl.wav" not in log_text and "chime.wav" not in log_text
