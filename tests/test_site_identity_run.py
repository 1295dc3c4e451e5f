"""A real `roomctl run --site north` on a real Mosquitto: its site in every name, not in topics."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from roomctl.config.library import load_room
from roomctl.demo.sim.room import SimulatedRoom
from roomctl.journal import JOURNAL_FILE
from roomctl.journal.schema import MIGRATIONS
from tests.fixtures.broker import Mosquitto
from tests.fixtures.home_assistant import HomeAssistantClient
from tests.fixtures.room import (
    QUIET_S,
    ROOM_ID,
    Supervisor,
    clinic_files,
    room_yaml,
    run_command,
    wait_for,
)

SITE = "north"
# One phase of a minute; at SPEED it runs in a second of wall time.
SHORT = """\
title: Short
phases:
  - name: only
    duration: 60s
    lights:
      all: {brightness: 50%}
"""
SPEED = 60.0
# 2023-11-14: long before the test runs, so the old session is listed last.
T0 = 1_700_000_000.0
SITE_CONFIG = f"homeassistant/device/roomctl_{SITE}_{ROOM_ID}/config"
PLAIN_CONFIG = f"homeassistant/device/roomctl_{ROOM_ID}/config"
# Starting Python and connecting takes about a second; a loaded CI machine may take longer.
SERVE_TIMEOUT_S = 15.0
# A session of SHORT lasts 1 s at SPEED; a loaded machine may stretch it.
SESSION_TIMEOUT_S = 20.0
# A clean stop publishes offline and disconnects within the bus's 3 s flush limit.
EXIT_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 30.0


def _old_journal(state_dir: Path) -> None:
    """Leave a journal as roomctl wrote it before sites (schema 1), with one ended session."""
    state_dir.mkdir(parents=True)
    connection = sqlite3.connect(state_dir / JOURNAL_FILE)
    connection.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    snapshot = json.dumps({"profile": {"title": "Short"}, "operator": "ann"})
    with connection:
        connection.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("old1", ROOM_ID, "short", T0, T0 + 60, "completed", T0 + 60, snapshot),
        )
    connection.close()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roomctl", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def test_a_daemon_at_a_site_names_it_in_state_home_assistant_and_record(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    room_yaml_text = room_yaml(extra="home_assistant: {}\n")
    room_file = clinic_files(tmp_path / "clinic", room_yaml_text, {"short": SHORT})
    state_dir = tmp_path / "state"
    _old_journal(state_dir)
    # The CLI's variable says "through the centre": the daemon must not take it as its site.
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg"), "ROOMCTL_SITE": "south"}
    env["ROOMCTL_DAEMON_SITE"] = "west"  # the flag wins over the daemon's variable too
    sim = SimulatedRoom(load_room(room_file), mosquitto.url)
    sim.start()
    ha = HomeAssistantClient(mosquitto.url)
    ha.start()
    sup = Supervisor(mosquitto.url)
    sup.start()
    command = run_command(room_file, mosquitto.url, state_dir, "--site", SITE)
    command += ["--speed", str(SPEED)]
    log_path = tmp_path / "roomctl.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        # The state names the site; its topics are the room's own, as without one.
        idle = sup.wait_state(lambda s: s["status"] == "idle", timeout=SERVE_TIMEOUT_S)
        assert idle.topic == f"roomctl/{ROOM_ID}/state"
        assert list(idle.json())[:3] == ["room", "site", "status"]
        assert idle.json()["site"] == SITE

        # Home Assistant's device: the site in its topic, its identifiers and every unique_id.
        found = wait_for(lambda: ha.configs(SITE_CONFIG) or None, SERVE_TIMEOUT_S, "the config")
        config: dict[str, Any] = json.loads(found[0][0])
        assert config["dev"]["identifiers"] == [f"roomctl_{SITE}_{ROOM_ID}"]
        assert config["dev"]["name"] == f"{SITE} · Test room"
        cmps = config["cmps"]
        assert {c["unique_id"] for c in cmps.values()} == {
            f"roomctl_{SITE}_{ROOM_ID}_{key}" for key in cmps
        }
        assert cmps["status"]["state_topic"] == f"roomctl/{ROOM_ID}/state"

        # A session, recorded at the site.
        since = time.monotonic()
        assert sup.command("start", profile="short", operator="kim")["ok"] is True
        started = sup.wait_event("session_started", since)
        session_id = str(started["session_id"])
        wait_for(lambda: sup.events("session_ended", since), SESSION_TIMEOUT_S, "the session's end")
        assert all(s.json()["site"] == SITE for s in sup.states())

        # The record queries over MQTT carry it; the old session has none.
        def history() -> list[dict[str, Any]] | None:
            reply = sup.command("history")
            assert reply["ok"] is True, reply
            listed: list[dict[str, Any]] = reply["sessions"]
            return listed if listed[0]["outcome"] is not None else None

        listed = wait_for(history, SESSION_TIMEOUT_S, "the session's end in the record")
        assert [(s["session_id"], s.get("site")) for s in listed] == [
            (session_id, SITE),
            ("old1", None),
        ]
        assert "site" not in listed[1]
        report = sup.command("report", session_id=session_id)
        assert report["ok"] is True and report["report"]["site"] == SITE
        old = sup.command("report", session_id="old1")
        assert old["ok"] is True and "site" not in old["report"]

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=EXIT_TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        sup.stop()
        sim.stop()
    try:
        # It said where it serves, with its site.
        assert f"serving {ROOM_ID} (site {SITE}) on" in log_path.read_text()
        # No config without the site was announced.
        assert ha.configs(PLAIN_CONFIG) == []

        # The CLI's record: history's site column, the report's heading and header.
        wide = {**env, "COLUMNS": "200"}  # rich's table, not cut to a pipe's 80 columns
        shown = _cli("history", "--state-dir", str(state_dir), "--tz", "UTC", env=wide)
        assert shown.returncode == 0, shown.stderr
        rows = [[c.strip() for c in line.split("│")[1:4]] for line in shown.stdout.splitlines()]
        assert [session_id, SITE, ROOM_ID] in rows and ["old1", "-", ROOM_ID] in rows
        printed = _cli("report", session_id, "--state-dir", str(state_dir), env=env)
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout.startswith(f"# Session {session_id} at {SITE}: Short\n")
        assert f"\n- Site: {SITE}\n- Room: {ROOM_ID}\n" in printed.stdout

        # Served no more: ha-remove with the daemon's site takes that device away.
        removed = _cli(
            "ha-remove", "--room", ROOM_ID, "--daemon-site", SITE, "--broker", mosquitto.url,
            env=env,
        )  # fmt: skip
        assert removed.returncode == 0, removed.stderr
        assert SITE_CONFIG in removed.stdout
        wait_for(lambda: ha.configs(SITE_CONFIG)[-1][0] == b"", what="the config cleared")
        late = HomeAssistantClient(mosquitto.url)
        late.start()
        try:
            time.sleep(QUIET_S)  # watching for a retained config that must not come
            assert late.configs(SITE_CONFIG) == []
        finally:
            late.stop()
    finally:
        ha.stop()
