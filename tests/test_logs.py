"""The daemon's log: a session log at INFO, and repeated problems rate-limited."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from roomctl.logs import RateLimitedLog, clean, describe_event
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import ROOM_ID, Supervisor, room_yaml, wait_for

PROFILE = """\
title: Logged
phases:
  - name: arrival
    duration: 2s
    fade: 1s
    lights: {all: {brightness: 60%}}
    cues:
      - at: 1s
        notify: Check blood pressure
  - name: onset
    duration: 10m
    fade: 1s
    lights: {all: {brightness: 30%}}
"""
# Starting Python and connecting takes about a second; a loaded machine may take longer.
SERVE_TIMEOUT_S = 15.0
EXIT_TIMEOUT_S = 10.0


class Clock:
    """An explicit clock for the rate limiter."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_repeated_problem_is_logged_once_a_period_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    limited = RateLimitedLog(logging.getLogger("test.limited"), 60.0, clock)
    caplog.set_level(logging.INFO, "test.limited")
    assert limited.log(logging.WARNING, "down", "output %s down", "x") is True
    for second in range(1, 60):
        clock.now = float(second)
        assert limited.log(logging.WARNING, "down", "output %s down", "x") is False
    # Another problem has its own period.
    assert limited.log(logging.WARNING, "other", "disk full") is True
    clock.now = 60.0
    assert limited.log(logging.WARNING, "down", "output %s down", "x") is True
    assert [r.getMessage() for r in caplog.records] == [
        "output x down",
        "disk full",
        "output x down (59 more like this in the last 1m)",
    ]
    # Once the problem went away, its next occurrence is news at once.
    limited.reset("down")
    clock.now = 61.0
    assert limited.log(logging.WARNING, "down", "output %s down", "y") is True
    assert caplog.records[-1].getMessage() == "output y down"


def test_an_event_line_is_one_line_whatever_the_operator_typed() -> None:
    line = describe_event("paused", {"by": "kim\nERROR forged \ud800", "elapsed_s": 75.0})
    assert "\n" not in line
    assert line == "paused by kim\\nERROR forged \\ud800 at session time 1m15s"
    line.encode("utf-8")  # a lone surrogate would not encode
    assert describe_event("resumed", {"paused_s": 3}) == (
        "resumed (operator not given) after a pause of 3s"
    )


def test_run_logs_commands_phases_and_cues_and_no_scheduler_chatter(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    rooms, sessions = tmp_path / "rooms", tmp_path / "sessions"
    rooms.mkdir()
    sessions.mkdir()
    room_file = rooms / f"{ROOM_ID}.yaml"
    room_file.write_text(room_yaml())
    (sessions / "logged.yaml").write_text(PROFILE)
    command = [sys.executable, "-m", "roomctl", "run", "--room", str(room_file)]
    command += ["--broker", mosquitto.url, "--state-dir", str(tmp_path / "state"), "--no-sound"]
    log_file = tmp_path / "stderr.log"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")}
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
    sup = Supervisor(mosquitto.url)
    try:
        sup.start()
        wait_for(
            lambda: [s for s in sup.on(sup.topics.availability) if s.payload == b"online"],
            timeout=SERVE_TIMEOUT_S,
            what="availability online",
        )
        assert sup.command("start", profile="logged", operator="kim")["ok"] is True
        sup.wait_event("cue")
        sup.wait_event("phase_started", since=0.0)
        wait_for(lambda: len(sup.events("phase_started")) == 2, what="the second phase")
        assert sup.command("pause", operator="lee")["ok"] is True
        assert sup.command("resume")["ok"] is True
        assert sup.command("stop", operator="kim")["ok"] is True
        sup.wait_event("session_ended")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=EXIT_TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        sup.stop()
    text = log_file.read_text()
    lines = [line for line in text.splitlines() if "roomctl.session" in line]
    expected = [
        "session started: profile logged by kim",
        "phase arrival (1) started",
        "cue due at 1s in phase arrival: Check blood pressure",
        "phase onset (2) started",
        "paused by lee at session time",
        "resumed (operator not given) after a pause of",
        "stopped by kim at session time",
        "session ended (stopped)",
    ]
    assert len(lines) == len(expected), text
    for line, wanted in zip(lines, expected, strict=True):
        assert " INFO roomctl.session: room test-room [" in line, line
        assert wanted in line, (wanted, line)
    assert "Added job" not in text
    assert "apscheduler" not in text


def test_a_missing_speaker_says_what_to_do_and_the_room_serves_on(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    rooms = tmp_path / "rooms"
    rooms.mkdir()
    room_file = rooms / f"{ROOM_ID}.yaml"
    room_file.write_text(room_yaml(devices="  speaker: {type: audio, output: no-such-output}\n"))
    command = [sys.executable, "-m", "roomctl", "run", "--room", str(room_file)]
    command += ["--broker", mosquitto.url, "--state-dir", str(tmp_path / "state")]
    log_file = tmp_path / "stderr.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    sup = Supervisor(mosquitto.url)
    try:
        sup.start()
        wait_for(
            lambda: [s for s in sup.on(sup.topics.availability) if s.payload == b"online"],
            timeout=SERVE_TIMEOUT_S,
            what="availability online",
        )
        sup.wait_state(lambda s: s["devices"]["speaker"]["online"] is False)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=EXIT_TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        sup.stop()
    text = log_file.read_text()
    (line,) = [line for line in text.splitlines() if "speaker speaker unavailable" in line]
    assert " WARNING " in line
    assert "no-such-output" in line
    assert "pactl info" in line
    assert "--no-sound" in line
    assert " ERROR " not in text


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("Check blood pressure", "Check blood pressure"),
        ("Zimmer 3 \u00b7 Ärztin", "Zimmer 3 · Ärztin"),  # printable non-ASCII is kept as is
        ("two\nlines\r\tand a bell\x07", "two\\nlines\\r\\tand a bell\\x07"),
        ("lone \udc80 surrogate", "lone \\udc80 surrogate"),
        ("nbsp\u00a0and line sep\u2028", "nbsp\\xa0and line sep\\u2028"),
        (12.5, "12.5"),
    ],
)
def test_clean_keeps_printable_text_and_escapes_the_rest(value: object, line: str) -> None:
    assert clean(value) == line
