"""The session record a clinician files: `roomctl report` and `history` on real journals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from roomctl.journal import Journal, SessionRow, StoredEvent
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import ROOM_ID, Supervisor, room_yaml, wait_for

# Load-to-time: the session is started 12 minutes in, where `onset` begins; its cue is due
# 2 s later, while the daemon is down.
PROFILE = """\
title: Loaded
phases:
  - name: arrival
    duration: 12m
    lights: {all: {brightness: 60%}}
  - name: onset
    duration: 10m
    lights: {all: {brightness: 30%}}
    cues:
      - at: 2s
        notify: Check blood pressure
"""
# Starting Python and connecting takes about a second; a loaded machine may take longer.
SERVE_TIMEOUT_S = 15.0
EXIT_TIMEOUT_S = 10.0
# The daemon stays down this long after the kill: the cue's time passes meanwhile.
DOWN_S = 5.0
T0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC


def roomctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the roomctl command line and return what it did."""
    return subprocess.run(
        [sys.executable, "-m", "roomctl", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


class Served:
    """A room that requires an operator, served by `roomctl run` processes."""

    def __init__(self, tmp_path: Path, broker: Mosquitto) -> None:
        rooms, sessions = tmp_path / "rooms", tmp_path / "sessions"
        rooms.mkdir()
        sessions.mkdir()
        self.room_file = rooms / f"{ROOM_ID}.yaml"
        self.room_file.write_text(room_yaml(extra="require_operator: true\n"))
        (sessions / "loaded.yaml").write_text(PROFILE)
        self.state_dir = tmp_path / "state"
        self.broker = broker
        self.log = tmp_path / "daemon.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.sup = Supervisor(broker.url)
        self.sup.start()

    def run(self) -> None:
        since = time.monotonic()
        command = [sys.executable, "-m", "roomctl", "run", "--room", str(self.room_file)]
        command += ["--broker", self.broker.url, "--state-dir", str(self.state_dir)]
        command += ["--no-sound"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        wait_for(
            lambda: [
                s
                for s in self.sup.on(self.sup.topics.availability, since)
                if s.payload == b"online"
            ],
            timeout=SERVE_TIMEOUT_S,
            what="the daemon to say it is online",
        )

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        return roomctl(*args, "--room", ROOM_ID, "--broker", self.broker.url)

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


def test_the_record_shows_load_to_time_a_late_cue_and_refusals_apart(served: Served) -> None:
    served.run()
    refused = served.command("start", "loaded", "--at", "12m")
    assert refused.returncode == 1
    assert "requires an operator" in refused.stderr
    started = served.command("start", "loaded", "--at", "12m", "--operator", "kim")
    assert started.returncode == 0, started.stderr
    session_id = served.sup.wait_event("session_started")["session_id"]
    sent = served.sup.send(b"this is not json")
    wait_for(lambda: len(served.sup.events("command_rejected")) == 2, what="the refusal")
    # A refusal's reply does not wait for its record: the daemon may be killed once the
    # record is on disk, not before.
    assert [r["ok"] for r in wait_for(lambda: served.sup.replies(sent), what="a reply")] == [False]
    wait_for(lambda: _refusals_on_disk(served.state_dir, session_id) == 1, what="its record")
    assert served.process is not None
    served.process.send_signal(signal.SIGKILL)
    served.process.wait(timeout=EXIT_TIMEOUT_S)
    time.sleep(DOWN_S)  # the daemon is down while the cue's time passes
    served.run()
    cue = served.sup.wait_event("cue")
    assert cue["at_s"] == 722.0
    assert cue["late_s"] >= DOWN_S - 2.0
    # An emergency is never refused for want of a name; the rest are.
    assert served.command("emergency").returncode == 0
    assert served.command("release").returncode == 1
    assert served.command("release", "--operator", "kim").returncode == 0
    assert served.command("stop", "--operator", "kim").returncode == 0
    served.sup.wait_event("session_ended")

    report = roomctl("report", session_id, "--state-dir", str(served.state_dir), "--tz", "UTC")
    assert report.returncode == 0, report.stderr
    text = report.stdout
    assert "at 12m into the profile (load-to-time), by kim" in text
    assert "Times are in UTC" in text
    clinical = text.split("## Incidents")[1].split("## Technical")[0]
    technical = text.split("## Technical")[1]
    cues = text.split("## Cues")[1].split("## Incidents")[0]
    # The cue: due 12m02s into the session, fired on recovery and said to be late.
    (line,) = [row for row in cues.splitlines() if "Check blood pressure" in row]
    assert "| 12m02s |" in line
    assert "(daemon was down)" in line
    late = float(line.split("late by ")[1].split(" s")[0])
    assert late == pytest.approx(cue["late_s"], abs=0.6)
    # Refusals are technical, not clinical incidents.
    assert "refused" not in clinical
    assert "emergency" in clinical
    assert "daemon restarted" in clinical
    # The garbage and the release without operator (the start refused before the session
    # began belongs to no session).
    assert technical.count("command refused") == 2
    assert "requires an operator" in technical
    # Times are the zone's: the session started today, at a UTC clock time.
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert f"- Started: {today}" in text and "UTC" in text

    berlin = roomctl(
        "report", session_id, "--state-dir", str(served.state_dir), "--tz", "Europe/Berlin"
    )
    assert berlin.returncode == 0
    assert "Times are in Europe/Berlin" in berlin.stdout
    assert " CET" in berlin.stdout or " CEST" in berlin.stdout
    bad_zone = roomctl("report", session_id, "--state-dir", str(served.state_dir), "--tz", "Mars")
    assert bad_zone.returncode == 1
    assert "not a time zone" in bad_zone.stderr


def _refusals_on_disk(state_dir: Path, session_id: str) -> int:
    """Return how many refused commands of a session the journal holds."""
    journal = Journal(state_dir, readonly=True)
    try:
        return sum(e.type == "command_rejected" for e in journal.events(session_id))
    finally:
        journal.close()


def _surrogate_journal(state_dir: Path) -> None:
    """Write a session as an older roomctl could have: an operator name with a lone surrogate."""
    journal = Journal(state_dir)
    events = [
        StoredEvent(
            ROOM_ID, "s1", T0, "session_started", {"profile": "p", "at_s": 0.0, "by": "k\ud800m"}
        ),
        StoredEvent(ROOM_ID, "s1", T0, "phase_started", {"phase": "only|one", "phase_index": 0}),
        StoredEvent(ROOM_ID, "s1", T0 + 60, "paused", {"by": None}),
        StoredEvent(ROOM_ID, "s1", T0 + 90, "resumed", {"by": "lee\n", "paused_s": 30.0}),
        # A cue as a roomctl before `late_s` wrote it, and a type this roomctl does not know.
        StoredEvent(
            ROOM_ID, "s1", T0 + 95, "cue", {"phase": "only|one", "notify": "x", "at_s": 95}
        ),
        StoredEvent(ROOM_ID, "s1", T0 + 96, "door_opened", {"door": "\ud800"}),
        StoredEvent(ROOM_ID, "s1", T0 + 100, "command_rejected", {"reason": "bad \udcff"}),
        StoredEvent(ROOM_ID, "s1", T0 + 120, "session_ended", {"reason": "stopped"}),
    ]
    row = SessionRow(
        "s1",
        ROOM_ID,
        "p",
        T0,
        T0 + 120,
        "stopped",
        T0 + 120,
        {"profile": {"title": "Odd \ud800 text"}, "operator": "k\ud800m"},
    )
    journal.write(events, [row])
    journal.close()


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_a_report_prints_any_text_an_old_journal_holds(tmp_path: Path, fmt: str) -> None:
    _surrogate_journal(tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = roomctl("report", "s1", "--state-dir", str(tmp_path), "--format", fmt, env=env)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        assert "k\\\\ud800m" in result.stdout  # JSON of the escaped text
        return
    assert "k\\ud800m" in result.stdout
    if fmt == "md":
        text = _in_utc(tmp_path)
        assert "| 2027-01-15 08:01:00 UTC | (not given) | 30s | no |" in text
        assert "| only\\|one |" in result.stdout
        # What this roomctl cannot read is shown, never dropped, and never crashes the report.
        technical = text.split("## Technical")[1]
        assert "| 2027-01-15 08:01:35 UTC | a recorded cue event this roomctl cannot read |" in (
            technical
        )
        assert "a recorded door_opened event this roomctl cannot read" in technical
        assert "command refused: bad \\udcff" in technical


def _in_utc(state_dir: Path) -> str:
    result = roomctl("report", "s1", "--state-dir", str(state_dir), "--tz", "UTC")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_history_lists_sessions_in_the_zone_asked_for(tmp_path: Path) -> None:
    _surrogate_journal(tmp_path)
    result = roomctl("history", "--state-dir", str(tmp_path), "--tz", "Asia/Tokyo")
    assert result.returncode == 0, result.stderr
    assert "2027-01-15 17:00:00 JST" in result.stdout
    assert "times in Asia/Tokyo" in result.stdout
