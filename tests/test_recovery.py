"""Restart safety with real processes: kill -9, restart, and a journal that fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.config.library import load_room
from roomctl.demo.sim import SimulatedRoom
from roomctl.journal import Journal
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import set_lights_to_standby, wait_for

ROOM_ID = "rec-1"
# A daemon process imports its libraries and connects within a couple of seconds; a loaded
# CI machine may take several.
PROCESS_START_TIMEOUT_S = 15.0
# A clean stop takes the daemon at most 11 s (its rooms 5, the final `offline` 3, the
# journal's last commit 3); a loaded machine adds to that.
EXIT_TIMEOUT_S = 20.0
# A reply, a recovery or the last will comes within a second; a loaded machine may take more.
REPLY_TIMEOUT_S = 10.0
# Session time that runs before the daemon is killed: long enough for the 5-minute fade to
# have moved the ceiling measurably (1.5 s of 300 s from 40 % to 10 %: 0.15 points).
RUN_BEFORE_KILL_S = 1.5
# Session time that runs before a pause, so the paused position is not the start.
RUN_BEFORE_PAUSE_S = 1.0
# How long the daemon stays down: the recovered event must report at least this as away.
DOWN_S = 1.0
# The short profile's length, and what the daemon stays down beyond it: the session runs
# out while no daemon watches.
SHORT_S = 4.0
PAST_THE_END_S = 1.0

ROOM_YAML = f"""
id: {ROOM_ID}
name: Recovery test room
devices:
  ceiling: {{type: zigbee2mqtt, topic: z2m/rec/ceiling}}
  lamp: {{type: tasmota, topic: rec-lamp}}
standby: {{lights: {{all: {{brightness: 40%, color_temp: 3500K}}}}}}
emergency: {{lights: {{all: {{brightness: 100%, color_temp: 4000K}}}}}}
"""

LONG_YAML = """
title: Long fade
phases:
  - name: dim
    duration: 10m
    fade: 5m
    easing: linear
    lights: {all: {brightness: 10%, color_temp: 2700K}}
"""

SHORT_YAML = """
title: Short
phases:
  - name: only
    duration: 4s
    fade: 1s
    lights: {all: {brightness: 20%}}
"""


class Supervisor:
    """A paho client that watches a room's topics and sends it commands."""

    def __init__(self, url_port: int) -> None:
        self.state: dict[str, Any] = {}
        # Every state seen, with the monotonic and the wall time it arrived.
        self.states: list[tuple[float, float, dict[str, Any]]] = []
        self.availability: str | None = None
        self.events: list[dict[str, Any]] = []
        self.replies: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="supervisor")
        self._client.on_message = self._on_message
        self._client.connect("127.0.0.1", url_port)
        self._client.subscribe(f"roomctl/{ROOM_ID}/#", qos=1)
        self._client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        kind = msg.topic.rsplit("/", 1)[-1]
        with self._lock:
            if kind == "availability":
                self.availability = msg.payload.decode()
                return
            data = json.loads(msg.payload)
            if kind == "state":
                self.state = data
                self.states.append((time.monotonic(), time.time(), data))
            elif kind == "events":
                self.events.append(data)
            elif kind == "reply" and data.get("request_id"):
                self.replies[data["request_id"]] = data

    def send(self, action: str, **fields: object) -> dict[str, Any]:
        request_id = f"r{time.monotonic_ns()}"
        body = {"action": action, "request_id": request_id, **fields}
        self._client.publish(f"roomctl/{ROOM_ID}/cmd", json.dumps(body), qos=1)
        wait_for(lambda: request_id in self.replies, REPLY_TIMEOUT_S, f"a reply to {action}")
        return self.replies[request_id]

    def publish(self, topic: str, payload: str) -> None:
        self._client.publish(topic, payload, qos=1).wait_for_publish(REPLY_TIMEOUT_S)

    def wait_state(
        self, status: str, since: float, what: str
    ) -> tuple[float, float, dict[str, Any]]:
        """Return the first state with a status that arrived since a monotonic time."""

        def found() -> tuple[float, float, dict[str, Any]] | None:
            with self._lock:
                seen = [s for s in self.states if s[0] >= since and s[2]["status"] == status]
            return seen[0] if seen else None

        arrived: tuple[float, float, dict[str, Any]] = wait_for(found, REPLY_TIMEOUT_S, what)
        return arrived

    def event_types(self) -> list[str]:
        with self._lock:
            return [e["type"] for e in self.events]

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class Setup:
    """Files, simulated lights, a supervisor, and `roomctl run` processes."""

    def __init__(self, tmp_path: Path, broker: Mosquitto) -> None:
        self.broker = broker
        self.room_file = tmp_path / "rooms" / "rec-1.yaml"
        self.room_file.parent.mkdir()
        self.room_file.write_text(ROOM_YAML)
        sessions = tmp_path / "sessions"
        sessions.mkdir()
        (sessions / "long.yaml").write_text(LONG_YAML)
        (sessions / "short.yaml").write_text(SHORT_YAML)
        self.state_dir = tmp_path / "state"
        self.state_dir.mkdir()
        room = load_room(self.room_file)
        self.sim = SimulatedRoom(room, broker.url)
        self.sim.start()
        self.supervisor = Supervisor(broker.port)
        # The room is between sessions: its lights in standby (40 %), not at a simulated
        # light's power-on default, so a session's fade goes down from there as in a clinic.
        set_lights_to_standby(room, self.sim, self.supervisor.publish)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tmp_path / "daemon.log"

    def run(self) -> subprocess.Popen[bytes]:
        self.supervisor.availability = None
        command = [sys.executable, "-m", "roomctl", "run", "--room", str(self.room_file)]
        command += ["--broker", self.broker.url, "--state-dir", str(self.state_dir)]
        command += ["--no-sound"]
        # A daemon that hangs can be made to write every thread's stack (see close).
        env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
        wait_for(
            lambda: self.supervisor.availability == "online",
            PROCESS_START_TIMEOUT_S,
            "the daemon to say it is online",
        )
        return self.process

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=5)
        wait_for(
            lambda: self.supervisor.availability == "offline", REPLY_TIMEOUT_S, "the last will"
        )

    def close(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=EXIT_TIMEOUT_S)
                except subprocess.TimeoutExpired as late:
                    self.process.send_signal(signal.SIGABRT)  # its threads' stacks to the log
                    self.process.wait(timeout=EXIT_TIMEOUT_S)
                    tail = self.log.read_text(errors="replace")[-8000:]
                    raise AssertionError(
                        f"the daemon did not stop on SIGTERM; its log:\n{tail}"
                    ) from late
        finally:
            self.supervisor.close()
            self.sim.stop()


@pytest.fixture
def setup(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Setup]:
    env_setup = Setup(tmp_path, mosquitto)
    yield env_setup
    env_setup.close()


def _ceiling_commands(setup: Setup, since: float) -> list[dict[str, Any]]:
    device = setup.sim.devices["ceiling"]
    return [
        json.loads(p) for t, topic, p in device.received if t >= since and topic.endswith("/set")
    ]


def test_kill_9_mid_fade_resumes_the_same_session_at_the_right_time(setup: Setup) -> None:
    setup.run()
    ceiling = setup.sim.devices["ceiling"]
    standby = ceiling.level().brightness
    reply = setup.supervisor.send("start", profile="long", operator="kim")
    assert reply["ok"] is True
    started = time.time()
    _at, _wall, running = setup.supervisor.wait_state("running", 0.0, "running")
    session_id = running["session_id"]
    # The fade runs a while before the kill (the scenario: killed mid-fade).
    time.sleep(RUN_BEFORE_KILL_S)
    before_kill = ceiling.level().brightness
    assert before_kill < standby, "the ceiling is fading down from standby"
    killed = time.time()
    setup.kill()
    time.sleep(DOWN_S)  # the scenario: the daemon stays down this long
    restarted = time.monotonic()
    setup.run()
    wait_for(lambda: "recovered" in setup.supervisor.event_types(), REPLY_TIMEOUT_S, "recovered")
    # The restarted daemon's own state, not the last one the killed daemon left.
    _at, arrived, state = setup.supervisor.wait_state("running", restarted, "the recovered state")
    assert state["session_id"] == session_id
    # Published at most a moment before it arrived: its session time is the time since start.
    assert abs(state["elapsed_s"] - (arrived - started)) <= 1.0
    recovered = next(e for e in setup.supervisor.events if e["type"] == "recovered")
    assert recovered["session_id"] == session_id
    assert recovered["away_s"] >= DOWN_S
    # The ceiling is given its fade again: on the linear 5-minute fade from 40% (standby)
    # to 10%, the target with the rest of the fade as its native transition.
    wait_for(lambda: _ceiling_commands(setup, restarted), 5, "a command to the ceiling")
    truth = time.time() - started
    command = _ceiling_commands(setup, restarted)[0]
    assert command["brightness"] == round(0.10 * 254)
    assert command["transition"] == pytest.approx(300.0 - truth, abs=1.5)
    # The light kept fading on its own while roomctl was down, and goes on without a jump.
    after = ceiling.level().brightness
    assert after <= before_kill + 0.002
    assert after == pytest.approx(before_kill, abs=0.002 * (time.time() - killed) + 0.01)
    # Nothing the supervisor saw is missing from the record.
    setup.supervisor.send("stop", operator="kim")
    wait_for(lambda: "session_ended" in setup.supervisor.event_types(), 5, "the session to end")
    setup.process.terminate()  # type: ignore[union-attr]
    assert setup.process.wait(timeout=EXIT_TIMEOUT_S) == 0  # type: ignore[union-attr]
    journal = Journal(setup.state_dir, readonly=True)
    recorded = [e.type for e in journal.events(session_id)]
    # QoS 1 is at-least-once: a subscriber may see an event twice, never miss one.
    unique = {(e["type"], e["ts"]): e for e in setup.supervisor.events}.values()
    seen = [
        e["type"]
        for e in sorted(unique, key=lambda e: e["ts"])
        if e.get("session_id") == session_id
    ]
    assert recorded == seen
    assert recorded[:2] == ["session_started", "phase_started"]
    assert "recovered" in recorded
    assert recorded[-1] == "session_ended"


def test_a_paused_session_comes_back_paused_where_it_was(setup: Setup) -> None:
    setup.run()
    assert setup.supervisor.send("start", profile="long")["ok"] is True
    time.sleep(RUN_BEFORE_PAUSE_S)  # the scenario: session time passes before the pause
    paused = time.monotonic()
    assert setup.supervisor.send("pause", operator="lee")["ok"] is True
    paused_at = setup.supervisor.wait_state("paused", paused, "paused")[2]["elapsed_s"]
    assert paused_at >= RUN_BEFORE_PAUSE_S
    setup.kill()
    time.sleep(DOWN_S)  # the scenario: time passes while down, which must not count
    restarted = time.monotonic()
    setup.run()
    wait_for(lambda: "recovered" in setup.supervisor.event_types(), REPLY_TIMEOUT_S, "recovered")
    state = setup.supervisor.wait_state("paused", restarted, "the recovered state")[2]
    assert state["paused_by"] == "lee"
    assert state["elapsed_s"] == pytest.approx(paused_at, abs=0.05)
    resumed = setup.supervisor.send("resume", operator="lee")
    assert resumed["ok"] is True
    assert resumed["status"] == "running"


def test_an_emergency_comes_back_as_an_emergency(setup: Setup) -> None:
    setup.run()
    assert setup.supervisor.send("start", profile="long")["ok"] is True
    assert setup.supervisor.send("emergency", operator="lee")["ok"] is True
    setup.kill()
    restarted = time.monotonic()
    setup.run()
    wait_for(lambda: "recovered" in setup.supervisor.event_types(), REPLY_TIMEOUT_S, "recovered")
    setup.supervisor.wait_state("emergency", restarted, "the recovered emergency")
    wait_for(lambda: _ceiling_commands(setup, restarted), 5, "the emergency scene")
    command = _ceiling_commands(setup, restarted)[0]
    assert command["brightness"] == 254
    assert command.get("transition", 0) == 0
    assert setup.supervisor.send("release")["status"] == "paused"


def test_a_session_that_ran_out_while_down_ends_cleanly_to_standby(setup: Setup) -> None:
    setup.run()
    assert setup.supervisor.send("start", profile="short")["ok"] is True
    started = time.monotonic()
    setup.kill()
    # The scenario: the whole session runs out while no daemon watches.
    time.sleep(max(0.0, started + SHORT_S + PAST_THE_END_S - time.monotonic()))
    restarted = time.monotonic()
    setup.run()
    wait_for(lambda: "session_ended" in setup.supervisor.event_types(), 10, "the session to end")
    ended = next(e for e in setup.supervisor.events if e["type"] == "session_ended")
    assert ended["reason"] == "completed"
    # It ended when its 4 s ran out, not when the restart noticed.
    assert ended["elapsed_s"] == SHORT_S
    # The state comes after the event: wait for it rather than read what was there.
    state = setup.supervisor.wait_state("ended", restarted, "the ended state")[2]
    assert state["elapsed_s"] == SHORT_S
    wait_for(lambda: _ceiling_commands(setup, restarted), 5, "the standby fade")
    assert _ceiling_commands(setup, restarted)[-1]["brightness"] == round(0.40 * 254)
    journal = Journal(setup.state_dir, readonly=True)
    # The record follows the event (the room does not wait for the disk).
    wait_for(lambda: journal.unfinished(ROOM_ID) is None, 5, "the end in the journal")
    [row] = journal.sessions(ROOM_ID)
    assert row.ended_at == pytest.approx(row.started_at + SHORT_S, abs=0.1)


def test_a_corrupt_journal_is_refused_and_never_overwritten(setup: Setup) -> None:
    journal_file = setup.state_dir / "journal.sqlite3"
    journal_file.write_bytes(b"garbage" * 1000)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "roomctl", "run", "--room", str(setup.room_file)),
            *("--broker", setup.broker.url, "--state-dir", str(setup.state_dir), "--no-sound"),
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert b"damaged" in result.stderr
    assert journal_file.read_bytes() == b"garbage" * 1000


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_a_full_state_dir_is_reported_and_nothing_is_lost(setup: Setup) -> None:
    mount = setup.state_dir
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    filler = mount / "filler"
    try:
        setup.run()
        assert setup.supervisor.send("start", profile="long")["ok"] is True
        session_id = setup.supervisor.wait_state("running", 0.0, "running")[2]["session_id"]
        # Fill the disk: dd stops with "no space left", which is the point.
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], check=False)
        reply = setup.supervisor.send("pause", operator="kim")
        assert reply["ok"] is True  # the room keeps running
        wait_for(lambda: "journal" in setup.supervisor.state, 5, "the journal problem")
        assert setup.supervisor.state["journal"]["ok"] is False
        assert "full" in setup.supervisor.state["journal"]["error"]
        assert setup.supervisor.state["status"] == "paused"
        filler.unlink()
        assert setup.supervisor.send("resume", operator="kim")["ok"] is True
        wait_for(lambda: "journal" not in setup.supervisor.state, 5, "the journal to recover")
        setup.process.terminate()  # type: ignore[union-attr]
        setup.process.wait(timeout=EXIT_TIMEOUT_S)  # type: ignore[union-attr]
        recorded = [e.type for e in Journal(mount, readonly=True).events(session_id)]
        assert recorded == ["session_started", "phase_started", "paused", "resumed"]
    finally:
        if setup.process is not None and setup.process.poll() is None:
            setup.process.terminate()
            setup.process.wait(timeout=EXIT_TIMEOUT_S)
        subprocess.run(["umount", "-l", str(mount)], check=False)
