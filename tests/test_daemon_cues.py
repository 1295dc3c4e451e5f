"""Cue acknowledgements end to end: real Mosquitto, real `roomctl run` and `roomctl` processes.

A fired cue is listed pending in the state until staff acknowledge it; the ack names who
and how long after, in the event, the journal and the report; an ack of a cue that is not
pending is refused and changes nothing; a pending cue survives a kill -9 of the daemon.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from roomctl.journal import Journal
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import ROOM_ID, Supervisor, room_yaml, wait_for

# Two cues close together: at the session clock's 10x they fire 3 s and 6 s after the start.
CUED = """\
title: Cued
phases:
  - name: arrival
    duration: 10m
    lights: {all: {brightness: 60%}}
    cues:
      - at: 30s
        notify: Baseline blood pressure
      - at: 60s
        notify: Blood pressure and pulse
"""
# The session clock's speed: the cues come within seconds, the session lasts a minute.
SPEED = 10
# Starting Python and connecting takes about a second; a loaded 2-core machine far longer.
PROCESS_TIMEOUT_S = 30.0
# The cues fire within 6 s of the start; a loaded machine may take longer to start them.
CUE_TIMEOUT_S = 30.0
# A clean stop takes the daemon seconds (its rooms, the last will, the journal's commit).
EXIT_TIMEOUT_S = 20.0
# The daemon stays down this long after the kill: the ack's after_s must count it.
DOWN_S = 2.0
EXIT_OK, EXIT_REFUSED, EXIT_NO_REPLY = 0, 1, 2
# No daemon serves this room: a command to it gets no reply.
NOBODY = "no-such-room"


def roomctl(*args: str) -> subprocess.CompletedProcess[str]:
    """Run one roomctl command line as a process and return what it did."""
    env = {k: v for k, v in os.environ.items() if k != "ROOMCTL_BROKER"}
    return subprocess.run(
        [sys.executable, "-m", "roomctl", *args],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        env=env,
        check=False,
    )


def wall(iso: str) -> float:
    """Return a published timestamp as wall seconds."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class Served:
    """The test room with a cued profile, served by `roomctl run` processes on Mosquitto."""

    def __init__(self, tmp_path: Path, broker: Mosquitto) -> None:
        rooms, sessions = tmp_path / "rooms", tmp_path / "sessions"
        rooms.mkdir()
        sessions.mkdir()
        self.room_file = rooms / f"{ROOM_ID}.yaml"
        self.room_file.write_text(room_yaml())
        (sessions / "cued.yaml").write_text(CUED)
        self.state_dir = tmp_path / "state"
        self.broker = broker
        self.log = tmp_path / "daemon.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.sup = Supervisor(broker.url)
        self.sup.start()

    def run(self) -> float:
        """Start the daemon; return the monotonic time it was started, once it is online."""
        since = time.monotonic()
        command = [sys.executable, "-m", "roomctl", "run", "--room", str(self.room_file)]
        command += ["--broker", self.broker.url, "--state-dir", str(self.state_dir)]
        command += ["--no-sound", "--speed", str(SPEED)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        wait_for(
            lambda: [s for s in self.sup.on(self.sup.topics.availability, since) if s.payload],
            timeout=PROCESS_TIMEOUT_S,
            what="the daemon to say it is online",
        )
        return since

    def kill(self) -> None:
        """Kill the daemon with SIGKILL, as a crash or `kill -9` would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=EXIT_TIMEOUT_S)

    def ack(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `roomctl ack` for the test room on this broker."""
        return roomctl("ack", *args, "--room", ROOM_ID, "--broker", self.broker.url)

    def cue(self, cue_id: str, since: float = 0.0) -> dict[str, Any]:
        """Return the `cue` event of a cue id, waiting for it to fire."""
        found: dict[str, Any] = wait_for(
            lambda: next((e for e in self.sup.events("cue", since) if e["cue_id"] == cue_id), None),
            timeout=CUE_TIMEOUT_S,
            what=f"cue {cue_id} to fire",
        )
        return found

    def pending(self, ids: list[str], since: float = 0.0) -> dict[str, Any]:
        """Return the first state since `since` whose pending cues are `ids`, waiting for it."""
        seen = self.sup.wait_state(
            lambda s: [c["id"] for c in s["pending_cues"]] == ids,
            since,
            what=f"the state to list {ids} pending",
            timeout=CUE_TIMEOUT_S,
        )
        state: dict[str, Any] = seen.json()
        return state

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=EXIT_TIMEOUT_S)
        self.sup.stop()


@pytest.fixture
def served(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Served]:
    room = Served(tmp_path, mosquitto)
    yield room
    room.close()


def test_a_named_operator_acks_a_pending_cue_and_the_record_says_who_and_when(
    served: Served,
) -> None:
    served.run()
    assert served.sup.command("start", profile="cued", operator="kim")["ok"] is True
    started = served.sup.wait_state(lambda s: s["status"] == "running").json()
    assert started["next_cue"]["id"] == "0.0" and started["pending_cues"] == []
    session_id = started["session_id"]
    first, second = served.cue("0.0"), served.cue("0.1")
    assert (first["notify"], first["phase"], first["at_s"]) == (
        "Baseline blood pressure",
        "arrival",
        30.0,
    )
    state = served.pending(["0.0", "0.1"])
    assert state["pending_cues"][0] == {
        "id": "0.0",
        "notify": "Baseline blood pressure",
        "phase": "arrival",
        "at_s": 30.0,
        "fired_at": first["ts"],
    }

    # An ack of a cue that never fired is refused, and nothing changes.
    refused = served.sup.command("ack", cue="7.3", operator="kim")
    assert (refused["ok"], refused["error"]) == (False, "cue 7.3 is not pending")
    served.sup.barrier()
    assert served.sup.events("cue_acknowledged") == []
    assert [c["id"] for c in served.sup.state["pending_cues"]] == ["0.0", "0.1"]

    # The newer cue, by name, from the command line: the older one stays pending.
    acked = served.ack("0.1", "--operator", "nurse kim")
    assert acked.returncode == EXIT_OK, acked.stderr
    assert acked.stdout.strip() == f"{ROOM_ID}: ack accepted; the session is running"
    event = wait_for(lambda: served.sup.events("cue_acknowledged"), what="the ack event")[0]
    assert (event["cue_id"], event["by"], event["notify"]) == (
        "0.1",
        "nurse kim",
        "Blood pressure and pulse",
    )
    assert event["session_id"] == session_id
    assert event["after_s"] == pytest.approx(wall(event["ts"]) - wall(second["ts"]), abs=0.11)
    assert event["after_s"] > 0
    served.pending(["0.0"])

    # Already acknowledged: refused, exit 1, and the older cue is still pending.
    again = served.ack("0.1", "--operator", "nurse kim")
    assert again.returncode == EXIT_REFUSED
    assert "cue 0.1 is not pending" in again.stderr
    assert [c["id"] for c in served.sup.state["pending_cues"]] == ["0.0"]

    # The older cue stays pending through the session's end, into the record.
    assert served.sup.command("stop", operator="kim")["ok"] is True
    ended = served.sup.wait_state(lambda s: s["status"] == "ended").json()
    assert [c["id"] for c in ended["pending_cues"]] == ["0.0"]
    report = roomctl("report", session_id, "--state-dir", str(served.state_dir), "--format", "json")
    assert report.returncode == 0, report.stderr
    cues = {c["cue_id"]: c for c in json.loads(report.stdout)["cues"]}
    assert (cues["0.1"]["acknowledged_by"], cues["0.1"]["acknowledged_after_s"]) == (
        "nurse kim",
        event["after_s"],
    )
    assert cues["0.0"]["acknowledged"] is None
    markdown = roomctl("report", session_id, "--state-dir", str(served.state_dir)).stdout
    [acked_row] = [row for row in markdown.splitlines() if "| Blood pressure and pulse |" in row]
    assert f"by nurse kim, after {event['after_s']:.1f} s" in acked_row
    [open_row] = [row for row in markdown.splitlines() if "| Baseline blood pressure |" in row]
    assert "| not acknowledged |" in open_row

    # Without a cue id: the oldest pending one, also after the end.
    oldest = served.ack()
    assert oldest.returncode == EXIT_OK, oldest.stderr
    assert "the session has ended" in oldest.stdout
    served.pending([])
    nothing = served.ack()
    assert nothing.returncode == EXIT_REFUSED and "no cue is pending" in nothing.stderr
    recorded = Journal(served.state_dir, readonly=True).events(session_id)
    acks = [(e.data["cue_id"], e.data["by"]) for e in recorded if e.type == "cue_acknowledged"]
    assert acks == [("0.1", "nurse kim"), ("0.0", None)]


def test_ack_exit_codes_for_a_room_nobody_serves_and_a_bad_command_line(served: Served) -> None:
    nobody = roomctl("ack", "--room", NOBODY, "--broker", served.broker.url)
    assert nobody.returncode == EXIT_NO_REPLY
    assert roomctl("ack", "--broker", served.broker.url).returncode == 64  # no --room
    bad_url = roomctl("ack", "--room", ROOM_ID, "--broker", "ftp://x")
    assert bad_url.returncode == 64


def test_a_pending_cue_survives_a_kill_and_is_acked_after_the_restart(served: Served) -> None:
    served.run()
    assert served.sup.command("start", profile="cued", operator="kim")["ok"] is True
    fired = served.cue("0.0")
    journal = Journal(served.state_dir, readonly=True)

    def recorded_pending() -> list[str]:
        row = journal.unfinished(ROOM_ID)
        return [] if row is None else [c["id"] for c in row.snapshot.get("pending_cues", [])]

    wait_for(lambda: "0.0" in recorded_pending(), what="the pending cue in the journal")
    served.kill()
    killed_at = time.time()
    time.sleep(DOWN_S)  # the daemon is down: the ack's after_s must count this time
    restarted = served.run()
    served.sup.wait_event("recovered", restarted)
    state = served.sup.wait_state(lambda s: bool(s["pending_cues"]), restarted).json()
    assert state["pending_cues"][0]["id"] == "0.0"
    assert state["pending_cues"][0]["fired_at"] == fired["ts"]  # as it fired, not again
    assert [e for e in served.sup.events("cue", restarted) if e["cue_id"] == "0.0"] == []
    reply = served.sup.command("ack", cue="0.0", operator="lee")
    assert reply["ok"] is True
    event = served.sup.wait_event("cue_acknowledged", restarted)
    assert (event["cue_id"], event["by"]) == ("0.0", "lee")
    assert event["after_s"] >= killed_at + DOWN_S - wall(fired["ts"])
    served.sup.wait_state(
        lambda s: "0.0" not in [c["id"] for c in s["pending_cues"]], restarted, "the ack"
    )


def test_an_ended_session_shows_its_pending_cue_again_after_a_restart(served: Served) -> None:
    served.run()
    assert served.sup.command("start", profile="cued", operator="kim")["ok"] is True
    fired = served.cue("0.0")
    assert served.sup.command("stop", operator="kim")["ok"] is True
    journal = Journal(served.state_dir, readonly=True)
    row = wait_for(
        lambda: next((r for r in journal.sessions(ROOM_ID) if r.ended_at is not None), None),
        what="the session's end in the journal",
    )
    assert row.snapshot["pending_cues"][0]["id"] == "0.0"
    served.kill()
    restarted = served.run()
    state = served.sup.wait_state(lambda s: s["status"] == "ended", restarted).json()
    assert state["session_id"] == row.session_id
    assert state["pending_cues"][0]["fired_at"] == fired["ts"]
    assert served.ack("0.0", "--operator", "lee").returncode == EXIT_OK
    served.sup.wait_state(
        lambda s: "0.0" not in [c["id"] for c in s["pending_cues"]], restarted, "the ack"
    )
    journal = Journal(served.state_dir, readonly=True)
    wait_for(
        lambda: (
            "0.0" not in [c["id"] for c in journal.sessions(ROOM_ID)[0].snapshot["pending_cues"]]
        ),
        what="the ack in the session's snapshot",
    )
    [after] = journal.sessions(ROOM_ID)
    assert (after.ended_at, after.end_reason) == (row.ended_at, row.end_reason)
    kinds = [e.type for e in journal.events(row.session_id)]
    assert kinds[-1] == "cue_acknowledged" and "recovered" not in kinds
