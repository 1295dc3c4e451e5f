"""`roomctl status` as staff meet it: real `roomctl` processes against a real Mosquitto.

A daemon killed with -9 shows as offline with its last state's time and exits 4, its
session time stands still; a stale state shows as stale; lights never heard from are
unknown; the next cue is shown, and --watch shows a cue as it fires. The room id comes
from the topic, and a malformed retained state shows as unreadable, never a traceback.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import ROOM_ID, Supervisor, room_yaml, wait_for

CUED = """\
title: Cued
phases:
  - name: arrival
    duration: 10m
    fade: 10s
    lights:
      all: {brightness: 60%, color_temp: 3000K}
    cues:
      - at: 30s
        notify: Baseline blood pressure
      - at: 8m
        notify: Blood pressure and pulse
"""
# The session clock runs 10x: the first cue fires 3 s after the start.
SPEED = 10
# Starting Python and connecting takes about a second; a loaded CI machine may take longer.
PROCESS_TIMEOUT_S = 30.0
EXIT_OK, EXIT_NO_REPLY, EXIT_NOT_SERVED = 0, 2, 4
ANSWER_TIMEOUT_S = 30.0


def roomctl(*args: str, timeout: float = PROCESS_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run one roomctl command as a process and return what it printed and its exit code."""
    env = {k: v for k, v in os.environ.items() if k != "ROOMCTL_BROKER"}
    return subprocess.run(
        [sys.executable, "-m", "roomctl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def local_time(iso: str) -> str:
    """Return an ISO timestamp as the status tool shows it today: local HH:MM:SS."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%H:%M:%S")


def row(output: str, room: str) -> str:
    """Return the table row of a room."""
    found = [line for line in output.splitlines() if line.strip().startswith(f"{room} ")]
    assert found, f"no row for {room} in:\n{output}"
    return found[0]


@contextmanager
def as_a_shell_starts_it() -> Iterator[None]:
    """Have a process started inside take Ctrl-C as a shell's foreground job does.

    A shell gives its foreground job SIGINT's default action. A CI runner may start the
    tests in the background with SIGINT ignored, which a child inherits across exec (and
    Python then installs no KeyboardInterrupt): the child would never see the Ctrl-C. A
    handler, unlike an ignore, is reset to the default in the child.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class Served:
    """A `roomctl run` process serving the test room on Mosquitto."""

    broker: Mosquitto
    process: subprocess.Popen[bytes]
    supervisor: Supervisor
    log: Path

    def status(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `roomctl status` on this broker."""
        return roomctl("status", *args, "--broker", self.broker.url)


@pytest.fixture
def served(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[Served]:
    """Serve the test room with `roomctl run` (no simulated lights: they stay unknown)."""
    rooms, sessions = tmp_path / "profiles" / "rooms", tmp_path / "profiles" / "sessions"
    rooms.mkdir(parents=True)
    sessions.mkdir()
    room_file = rooms / f"{ROOM_ID}.yaml"
    room_file.write_text(room_yaml())
    (sessions / "cued.yaml").write_text(CUED)
    log = tmp_path / "roomctl.log"
    command = [sys.executable, "-m", "roomctl", "run", "--room", str(room_file)]
    command += ["--broker", mosquitto.url, "--state-dir", str(tmp_path / "state"), "--no-sound"]
    command += ["--speed", str(SPEED)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    supervisor = Supervisor(mosquitto.url)
    supervisor.start()
    try:
        wait_for(
            lambda: [
                s for s in supervisor.on(supervisor.topics.availability) if s.payload == b"online"
            ],
            timeout=PROCESS_TIMEOUT_S,
            what="the daemon online",
        )
        supervisor.wait_state(lambda s: s["status"] == "idle", timeout=PROCESS_TIMEOUT_S)
        yield Served(mosquitto, process, supervisor, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        supervisor.stop()


def test_a_running_room_shows_its_next_cue_and_unknown_lights(served: Served) -> None:
    started = roomctl("start", "cued", "--room", ROOM_ID, "--broker", served.broker.url)
    assert started.returncode == EXIT_OK, started.stderr
    served.supervisor.wait_state(lambda s: s["status"] == "running")
    result = served.status("--room", ROOM_ID)
    assert result.returncode == EXIT_OK, result.stderr
    line = row(result.stdout, ROOM_ID)
    assert "running" in line and "cued" in line and "arrival 1/1" in line
    # No light has answered (no simulated devices): unknown, not offline.
    assert "unknown: ceiling, lamp, strip, panel, cove" in line
    assert "offline" not in line
    assert f"{ROOM_ID} next cue: Baseline blood pressure in " in result.stdout
    state = served.supervisor.state
    assert state["next_cue"]["notify"] == "Baseline blood pressure"
    assert state["next_cue"]["at_s"] == 30.0


def test_a_killed_daemon_shows_offline_with_its_last_state_and_exit_4(served: Served) -> None:
    assert served.supervisor.command("start", profile="cued", operator="kim")["ok"] is True
    served.supervisor.wait_state(lambda s: s["status"] == "running")
    served.process.send_signal(signal.SIGKILL)
    served.process.wait()
    wait_for(
        lambda: (
            served.supervisor.on(served.supervisor.topics.availability)[-1].payload == b"offline"
        ),
        what="the broker to publish the daemon's will",
    )
    last = served.supervisor.state
    first = served.status("--room", ROOM_ID)
    assert first.returncode == EXIT_NOT_SERVED, first.stdout + first.stderr
    line = row(first.stdout, ROOM_ID)
    assert f"offline (last state {local_time(last['updated_at'])})" in line
    assert "running" not in line
    # Its session time is not counted on: the same a few seconds later.
    later = time.monotonic() + 2.0
    wait_for(lambda: time.monotonic() > later, what="two seconds to pass")
    second = served.status("--room", ROOM_ID)
    assert second.returncode == EXIT_NOT_SERVED
    assert row(second.stdout, ROOM_ID) == line
    # Every room at once: shown, and exit 0 (only --room R asks about one room's health).
    everything = served.status()
    assert everything.returncode == EXIT_OK
    assert "offline (last state" in row(everything.stdout, ROOM_ID)


def test_a_stale_state_is_shown_stale_and_exits_4(served: Served) -> None:
    old = (datetime.now(tz=UTC) - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    state = {
        "room": "old-room",
        "status": "running",
        "profile": "cued",
        "session_id": "abc",
        "phase": "arrival",
        "phase_index": 0,
        "phase_count": 1,
        "elapsed_s": 100.0,
        "phase_remaining_s": 500.0,
        "remaining_s": 500.0,
        "paused_by": None,
        "updated_at": old,
        "devices": {},
    }
    served.supervisor.publish("roomctl/old-room/state", json.dumps(state), retain=True)
    served.supervisor.publish("roomctl/old-room/availability", "online", retain=True)
    result = served.status("--room", "old-room")
    assert result.returncode == EXIT_NOT_SERVED, result.stdout + result.stderr
    line = row(result.stdout, "old-room")
    assert f"stale (last state {local_time(old)})" in line
    assert "1m40s" in line  # the elapsed time as published, not moved on by 3 minutes


def test_the_room_id_comes_from_the_topic_and_malformed_states_are_unreadable(
    served: Served,
) -> None:
    assert served.supervisor.command("start", profile="cued")["ok"] is True
    served.supervisor.wait_state(lambda s: s["status"] == "running")
    # Another tool's retained payloads: one claiming to be the served room, one malformed.
    impostor = {"room": ROOM_ID, "status": "idle", "updated_at": "2026-11-26T14:03:11.201Z"}
    served.supervisor.publish("roomctl/zz/state", json.dumps(impostor), retain=True)
    bad = {**impostor, "room": "bad", "devices": [1]}
    served.supervisor.publish("roomctl/bad/state", json.dumps(bad), retain=True)
    served.supervisor.publish("roomctl/junk/state", "not json", retain=True)
    result = served.status()
    assert result.returncode == EXIT_OK, result.stderr
    assert "Traceback" not in result.stderr
    assert "running" in row(result.stdout, ROOM_ID)
    assert "idle" in row(result.stdout, "zz")
    assert "unreadable state" in row(result.stdout, "bad")
    assert "bad: unreadable state: devices must be an object, not [1]" in result.stdout
    assert "unreadable state" in row(result.stdout, "junk")
    one = served.status("--room", "bad")
    assert one.returncode == EXIT_NOT_SERVED
    assert "Traceback" not in one.stderr
    nobody = served.status("--room", "no-such-room")
    assert nobody.returncode == EXIT_NO_REPLY
    assert "no rooms found" in nobody.stderr


@dataclass
class Watching:
    """`roomctl status --watch` written to a pipe, its output collected as it comes."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def read(self) -> None:
        """Collect the process's output until it ends."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def text(self) -> str:
        """Return everything printed so far."""
        return "".join(list(self.lines))


def test_watch_shows_cues_as_they_fire_and_a_dead_daemon_as_offline(served: Served) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ROOMCTL_BROKER"}
    with as_a_shell_starts_it():
        process = subprocess.Popen(
            [sys.executable, "-m", "roomctl", "status", "--watch", "--broker", served.broker.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    watching = Watching(process)
    reader = threading.Thread(target=watching.read, daemon=True)
    reader.start()
    try:
        wait_for(lambda: "idle" in watching.text, timeout=ANSWER_TIMEOUT_S, what="the idle room")
        assert served.supervisor.command("start", profile="cued", operator="kim")["ok"] is True
        wait_for(
            lambda: f"{ROOM_ID} next cue: Baseline blood pressure in" in watching.text,
            timeout=ANSWER_TIMEOUT_S,
            what="the next cue",
        )
        cue = served.supervisor.wait_event("cue")
        shown = f"CUE {local_time(cue['ts'])}  {ROOM_ID}: Baseline blood pressure  (phase arrival)"
        wait_for(lambda: shown in watching.text, timeout=ANSWER_TIMEOUT_S, what="the cue shown")
        wait_for(
            lambda: f"{ROOM_ID} next cue: Blood pressure and pulse in" in watching.text,
            timeout=ANSWER_TIMEOUT_S,
            what="the cue after it",
        )
        served.process.send_signal(signal.SIGKILL)
        served.process.wait()
        offline = re.compile(rf"{ROOM_ID} .*offline since \d\d:\d\d:\d\d")
        wait_for(lambda: offline.search(watching.text), timeout=ANSWER_TIMEOUT_S, what="offline")
        # The cue stays on screen in the view that says the room is offline.
        last_view = watching.text.rsplit("-- ", 1)[-1]
        assert shown in last_view and "offline since" in last_view
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)


def test_watch_on_a_terminal_shows_the_cue_and_stops_on_ctrl_c(served: Served) -> None:
    primary, secondary = os.openpty()
    # A terminal 160 columns wide, so every cell of the table fits on one line.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("ROOMCTL_BROKER", "COLUMNS")}
    env["TERM"] = "xterm-256color"
    with as_a_shell_starts_it():
        process = subprocess.Popen(
            [sys.executable, "-m", "roomctl", "status", "--watch", "--broker", served.broker.url],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
        )
    os.close(secondary)
    screen: list[str] = []
    ansi = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

    def read() -> None:
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the process closed the terminal
                return
            if not chunk:
                return
            screen.append(ansi.sub("", chunk.decode(errors="replace")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(lambda: "idle" in "".join(screen), timeout=ANSWER_TIMEOUT_S, what="the view")
        assert served.supervisor.command("start", profile="cued")["ok"] is True
        cue = served.supervisor.wait_event("cue")
        shown = f"CUE {local_time(cue['ts'])}  {ROOM_ID}: Baseline blood pressure"
        wait_for(lambda: shown in "".join(screen), timeout=ANSWER_TIMEOUT_S, what="the cue")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(primary)
        reader.join(timeout=5)
