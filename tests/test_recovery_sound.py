"""Sound after a crash: a `roomctl run` killed mid-phase plays on at once when restarted."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.broker import Mosquitto
from tests.fixtures.pulse import RATE, PulseServer
from tests.fixtures.room import Supervisor, wait_for
from tests.test_audio_output import rms

ROOM_ID = "snd-rec"
ROOM = f"""
id: {ROOM_ID}
devices:
  speaker: {{type: audio, output: default}}
limits: {{max_volume: -12 dB}}
"""
# A steady tone for ten minutes: whatever the recording holds after its 1 s fade is the
# phase's level, so a restart mid-phase must bring back exactly that.
PROFILE = """
title: Steady
phases:
  - name: steady
    duration: 10m
    fade: 1s
    sound: {source: "tone:440", volume: -12 dB}
"""
# A daemon process imports its libraries, opens its output and connects within seconds;
# a loaded machine may take several more.
PROCESS_START_TIMEOUT_S = 20.0
# How long after the restart said "online" the sound must be back at its level: the
# recovered session is applied right after start-up, and the output buffers ~50 ms.
BACK_WITHIN_S = 2.0
# The length of recording whose RMS is compared: many periods of the tone, a short window.
MEASURE_S = 0.5


class Daemon:
    """`roomctl run` processes for one room with a speaker, on the test's PulseAudio."""

    def __init__(self, tmp_path: Path, broker: Mosquitto, pulse: PulseServer) -> None:
        rooms, sessions = tmp_path / "rooms", tmp_path / "sessions"
        rooms.mkdir()
        sessions.mkdir()
        self.room_file = rooms / f"{ROOM_ID}.yaml"
        self.room_file.write_text(ROOM)
        (sessions / "steady.yaml").write_text(PROFILE)
        self.state_dir = tmp_path / "state"
        self.log = tmp_path / "daemon.log"
        self.broker = broker
        self.env = pulse.env
        self.process: subprocess.Popen[bytes] | None = None
        self.supervisor = Supervisor(broker.url, ROOM_ID)
        self.supervisor.start()

    def run(self) -> float:
        """Start a process; return the monotonic time it said it was online."""
        since = time.monotonic()
        command = [sys.executable, "-m", "roomctl", "run", "--room", str(self.room_file)]
        command += ["--broker", self.broker.url, "--state-dir", str(self.state_dir)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stderr=log, stdout=log, env=self.env)
        availability = self.supervisor.topics.availability
        seen = wait_for(
            lambda: [s for s in self.supervisor.on(availability, since) if s.payload == b"online"],
            timeout=PROCESS_START_TIMEOUT_S,
            what="the daemon to say it is online",
        )
        return float(seen[0].at)

    def kill(self) -> None:
        """Kill the process as a crash would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def close(self) -> None:
        """Stop the last process and the supervisor."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.supervisor.stop()


@pytest.fixture
def daemon(tmp_path: Path, mosquitto: Mosquitto, pulse: PulseServer) -> Iterator[Daemon]:
    served = Daemon(tmp_path, mosquitto, pulse)
    yield served
    served.close()


def _level_db(pulse: PulseServer, seconds: float = MEASURE_S) -> float:
    """Return the RMS in dBFS of the next `seconds` played into the sink."""
    recorder = pulse.recorder
    assert recorder is not None
    level = rms(recorder.read(recorder.position(), seconds))
    return 20 * float(np.log10(max(level, 1e-9)))


def test_sound_comes_back_at_its_level_right_after_a_kill_9(
    daemon: Daemon, pulse: PulseServer
) -> None:
    recorder = pulse.recorder
    assert recorder is not None
    daemon.run()
    assert daemon.supervisor.command("start", profile="steady", operator="kim")["ok"] is True
    # The tone is up once its 1 s fade is over: a 0.25-peak sine, -15 dB RMS.
    # Waiting for its level, not for the first sound: a window read mid-fade reads low.
    wait_for(lambda: abs(_level_db(pulse) + 15.05) < 1.0, timeout=10.0, what="the tone to play")
    before = _level_db(pulse)
    assert before == pytest.approx(-15.05, abs=1.0)

    daemon.kill()
    wait_for(lambda: _level_db(pulse, 0.2) < -60.0, timeout=5.0, what="the killed output to stop")
    online = daemon.run()
    daemon.supervisor.wait_event("recovered")
    # Within BACK_WITHIN_S of coming online, the recording is back at its level.
    mark = recorder.position() - round((time.monotonic() - online) * RATE)
    window = recorder.read(max(mark, 0), BACK_WITHIN_S + MEASURE_S)
    tail = window[round(BACK_WITHIN_S * RATE) :]
    after = 20 * float(np.log10(max(rms(tail), 1e-9)))
    assert after == pytest.approx(before, abs=3.0)
    log = daemon.log.read_text()
    assert "has not been called" not in log
