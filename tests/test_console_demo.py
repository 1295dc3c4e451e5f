"""`roomctl demo --console`: the demo room and the console, driven over HTTP, until Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.room import wait_for

# Starting the embedded broker, the simulated lights, the daemon and the web stack.
START_TIMEOUT_S = 45.0
# A session state follows a command within milliseconds; allow for a loaded machine.
STATE_TIMEOUT_S = 15.0
_DEMO = (sys.executable, "-m", "roomctl", "demo")
_SERVING = re.compile(r"serving (http://\S+/)")
_ACCOUNT = re.compile(r"log in as '(\w+)' with password '([^']+)'")


def test_the_console_demo_serves_the_demo_room_to_its_printed_account(tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_DEMO, "--console", "--no-sound", "--speed", "10", "--listen", "127.0.0.1:0"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        found = wait_for(lambda: _ACCOUNT.search(log.read_text()), START_TIMEOUT_S, "the account")
        url = _SERVING.search(log.read_text())
        assert url is not None, log.read_text()
        name, password = found.group(1), found.group(2)
        with httpx.Client(base_url=url.group(1), timeout=STATE_TIMEOUT_S) as client:
            wrong = client.post("/api/login", json={"username": name, "password": "nope"})
            assert wrong.status_code == 401
            session = client.post("/api/login", json={"username": name, "password": password})
            assert session.status_code == 200, session.text
            assert session.json()["role"] == "supervisor"
            csrf = {"X-CSRF-Token": session.json()["csrf"]}

            def room() -> dict[str, Any] | None:
                response = client.get("/api/rooms/room-1")
                body: dict[str, Any] = response.json()
                return body if response.status_code == 200 and body.get("state") else None

            first = wait_for(room, START_TIMEOUT_S, "the console to see room-1")
            assert first["availability"] == "online"
            assert "demo" in first["profiles"]
            # The embedded broker speaks MQTT v3.1.1: the reply comes on the room's reply
            # topic, not a v5 response topic, and still reaches the button.
            reply = client.post(
                "/api/rooms/room-1/commands",
                json={"action": "start", "profile": "demo"},
                headers=csrf,
            )
            assert reply.status_code == 200, reply.text
            assert reply.json()["ok"] is True
            wait_for(
                lambda: (r := room()) and r["state"]["status"] == "running" and r,
                STATE_TIMEOUT_S,
                "the demo session to run",
            )
            paused = client.post(
                "/api/rooms/room-1/commands", json={"action": "pause"}, headers=csrf
            )
            assert paused.json() == {**paused.json(), "ok": True, "status": "paused"}
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0, log.read_text()
