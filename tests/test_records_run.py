"""`history` and `report` over MQTT, from a real `roomctl run`: the record, read, unchanged."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from roomctl.config.library import load_room
from roomctl.demo.sim.room import SimulatedRoom
from roomctl.journal import JOURNAL_FILE, Journal
from roomctl.runtime.records import READ_BOUND_S
from tests.fixtures.broker import Mosquitto
from tests.fixtures.disk import FreezableDisk
from tests.fixtures.room import (
    QUIET_S,
    RESPONSE_BASE,
    ROOM_ID,
    Supervisor,
    received,
    room_yaml,
    set_lights_to_standby,
    wait_for,
)

# Two minutes of profile with a cue in each phase; at SPEED it runs in 2 s of wall time.
SHORT = """\
title: Short and sweet
phases:
  - name: arrival
    duration: 60s
    fade: 10s
    lights:
      all: {brightness: 50%, color_temp: 3000K}
    cues:
      - {at: 20s, notify: Baseline blood pressure}
  - name: rest
    duration: 60s
    lights:
      all: {brightness: 30%}
    cues:
      - {at: 30s, notify: Check the client}
"""
# Long enough that it is still running when the test freezes the disk.
LONG = """\
title: Long
phases:
  - name: one
    duration: 2h
    lights:
      all: {brightness: 50%}
"""
SPEED = 60.0
# The test room's standby brightness (room_yaml: 40 %).
STANDBY = 0.4
# Starting Python and connecting takes about a second; a loaded CI machine may take longer.
SERVE_TIMEOUT_S = 15.0
# A session of SHORT lasts 2 s at SPEED; a loaded machine may stretch it.
SESSION_TIMEOUT_S = 20.0
# A stalled disk is answered READ_BOUND_S after the query; the rest is a loaded machine.
STALLED_REPLY_TIMEOUT_S = READ_BOUND_S + 4.0
EXIT_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 30.0


class Daemon:
    """A room file, its profiles, simulated lights, a supervisor and a `roomctl run`."""

    def __init__(self, tmp_path: Path, broker: Mosquitto) -> None:
        rooms, sessions = tmp_path / "clinic" / "rooms", tmp_path / "clinic" / "sessions"
        rooms.mkdir(parents=True)
        sessions.mkdir()
        self.room_file = rooms / f"{ROOM_ID}.yaml"
        # Commands must name their operator; a query, which changes nothing, need not.
        self.room_file.write_text(room_yaml(extra="require_operator: true\n"))
        (sessions / "short.yaml").write_text(SHORT)
        (sessions / "long.yaml").write_text(LONG)
        self.broker = broker
        self.log = tmp_path / "roomctl.log"
        self.env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")}
        self.room = load_room(self.room_file)
        self.sim = SimulatedRoom(self.room, broker.url)
        self.sim.start()
        self.sup = Supervisor(broker.url)
        self.sup.start()
        set_lights_to_standby(self.room, self.sim, self.sup.publish)
        self.process: subprocess.Popen[bytes] | None = None
        self.state_dir = tmp_path / "state"

    def run(self) -> None:
        command = [sys.executable, "-m", "roomctl", "run", "--room", str(self.room_file)]
        command += ["--broker", self.broker.url, "--state-dir", str(self.state_dir)]
        command += ["--no-sound", "--speed", str(SPEED)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=self.env)
        wait_for(
            lambda: any(s.payload == b"online" for s in self.sup.on(self.sup.topics.availability)),
            SERVE_TIMEOUT_S,
            "the daemon online",
        )

    def close(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                assert self.process.wait(timeout=EXIT_TIMEOUT_S) == 0
        finally:
            self.sup.stop()
            self.sim.stop()

    def session(self, profile: str, operator: str, *then: str) -> str:
        """Start a profile, send the further actions, and return the session's id."""
        since = time.monotonic()
        assert self.sup.command("start", profile=profile, operator=operator)["ok"] is True
        started = self.sup.wait_event("session_started", since)
        for action in then:
            assert self.sup.command(action, operator=operator)["ok"] is True, action
        return str(started["session_id"])

    def ask(self, action: str, **fields: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Send a query with a v5 response topic; return its replies on both topics."""
        request_id = f"{action}-{time.monotonic_ns()}"
        topic = f"{RESPONSE_BASE}/{request_id}"
        body = {"action": action, "request_id": request_id, **fields}
        self.sup.send(body, response_topic=topic, correlation=request_id.encode())
        shared = self.sup.wait_reply(request_id)
        (own,) = wait_for(lambda: self.sup.on(topic), what="the reply on the response topic")
        assert own.correlation == request_id.encode()
        assert json.loads(own.payload) == shared
        return shared, json.loads(own.payload)

    def cli_report(self, session_id: str) -> Any:
        command = [sys.executable, "-m", "roomctl", "report", session_id, "--format", "json"]
        result = subprocess.run(
            [*command, "--state-dir", str(self.state_dir)],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def daemon(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Daemon]:
    served = Daemon(tmp_path, mosquitto)
    yield served
    served.close()


def _rows(state_dir: Path) -> tuple[int, int]:
    """Return how many sessions and events the journal file holds."""
    with sqlite3.connect(f"file:{state_dir / JOURNAL_FILE}?mode=ro", uri=True) as db:
        sessions = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    return int(sessions), int(events)


def test_history_and_report_answer_from_the_record_and_change_nothing(daemon: Daemon) -> None:
    daemon.run()
    sup = daemon.sup
    stopped = daemon.session("short", "ann", "stop")
    since = time.monotonic()
    completed = daemon.session("short", "kim", "pause", "resume")
    ended = wait_for(
        lambda: [e for e in sup.events("session_ended", since) if e["session_id"] == completed],
        SESSION_TIMEOUT_S,
        "the second session to end",
    )
    assert ended[0]["reason"] == "completed"
    end_state = sup.wait_state(lambda s: s["status"] == "ended" and s["session_id"] == completed)

    # The room's fade back to standby ends before the queries: from then on no light moves.
    wait_for(
        lambda: all(
            abs(d.level().brightness - STANDBY) < 0.01
            and not received(d, time.monotonic() - QUIET_S)
            for d in daemon.sim.devices.values()
        ),
        SESSION_TIMEOUT_S,
        "the lights settled in standby",
    )
    rows_before = _rows(daemon.state_dir)
    lights_since = time.monotonic()
    states_before = len(sup.states())

    history, _ = daemon.ask("history")
    assert history["ok"] is True and history["status"] == "ended"
    sessions = history["sessions"]
    assert [s["session_id"] for s in sessions] == [completed, stopped]
    newest, older = sessions
    assert (newest["profile"], newest["title"], newest["operator"]) == (
        "short",
        "Short and sweet",
        "kim",
    )
    assert (newest["outcome"], older["outcome"], older["operator"]) == (
        "completed",
        "stopped",
        "ann",
    )
    # The same sessions, times and lengths as the journal holds (what `roomctl history` lists).
    journal = Journal(daemon.state_dir, readonly=True)
    rows = journal.sessions(ROOM_ID)
    assert [r.session_id for r in rows] == [completed, stopped]
    assert newest["length_s"] == round(rows[0].ended_at - rows[0].started_at, 1)  # type: ignore[operator]
    assert newest["started_at"].endswith("Z") and newest["ended_at"] > newest["started_at"]

    (only, _) = daemon.ask("history", limit=1)
    assert [s["session_id"] for s in only["sessions"]] == [completed]

    report, _ = daemon.ask("report", session_id=completed)
    assert report["ok"] is True and "omitted" not in report
    assert report["report"] == daemon.cli_report(completed)
    filed = report["report"]
    assert [p["name"] for p in filed["phases"]] == ["arrival", "rest"]
    assert [c["text"] for c in filed["cues"]] == ["Baseline blood pressure", "Check the client"]
    assert [p["by"] for p in filed["pauses"]] == ["kim"]
    assert filed["operator"] == "kim" and filed["end_reason"] == "completed"

    unknown, _ = daemon.ask("report", session_id="0badc0ffee00")
    assert unknown["ok"] is False
    assert unknown["error"] == (
        f"room {ROOM_ID} has no session '0badc0ffee00' in its record (unknown, or another room's)"
    )
    refused, _ = daemon.ask("history", limit=500)
    assert refused["ok"] is False and refused["error"] == "'limit' is from 1 to 100, not 500"

    # Reading the record changed nothing: no rows, no state, no light command.
    time.sleep(QUIET_S)  # watching for what must not happen
    assert _rows(daemon.state_dir) == rows_before
    assert len(sup.states()) == states_before
    assert sup.state == end_state.json()
    devices = daemon.sim.devices
    assert {n: received(d, lights_since) for n, d in devices.items()} == {n: [] for n in devices}
    assert sup.events(since=lights_since) == []


def test_a_stalled_disk_answers_a_query_in_time_and_pause_still_works(
    daemon: Daemon, frozen_disk: FreezableDisk
) -> None:
    daemon.state_dir = frozen_disk.path
    daemon.run()
    sup = daemon.sup
    session_id = daemon.session("long", "kim")
    frozen_disk.freeze()
    sent = time.monotonic()
    sup.send({"action": "history", "request_id": "stalled"})
    # The room is not held by the query the disk holds: a pause is carried out and answered.
    paused = sup.command("pause", operator="kim")
    assert paused["ok"] is True and paused["status"] == "paused"
    reply = wait_for(
        lambda: next((r for r in sup.replies() if r.get("request_id") == "stalled"), None),
        STALLED_REPLY_TIMEOUT_S,
        "the reply to history on a frozen disk",
    )
    waited = time.monotonic() - sent
    assert reply == {
        "request_id": "stalled",
        "ok": False,
        "status": "paused",
        "error": "the record cannot be read now: the state disk has not answered within 2 s",
    }
    assert READ_BOUND_S <= waited < STALLED_REPLY_TIMEOUT_S
    # While the reader waits for the disk, a query is answered at once, and the room goes on.
    sent = time.monotonic()
    again = daemon.ask("report", session_id=session_id)[0]
    assert again["ok"] is False
    assert re.fullmatch(
        r"the record cannot be read now: the state disk has not answered for \d+ s", again["error"]
    )
    assert time.monotonic() - sent < READ_BOUND_S
    assert sup.command("resume", operator="kim")["status"] == "running"
    frozen_disk.thaw()
    # Thawed, the record answers again, with the session and its pause.
    history = wait_for(
        lambda: (r := daemon.ask("history")[0])["ok"] and r, STALLED_REPLY_TIMEOUT_S, "a reading"
    )
    assert [s["session_id"] for s in history["sessions"]] == [session_id]
    report = daemon.ask("report", session_id=session_id)[0]
    assert [p["by"] for p in report["report"]["pauses"]] == ["kim"]
