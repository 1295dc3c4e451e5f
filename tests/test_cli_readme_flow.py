"""The README's `Using it` commands, run as a stranger runs them, with the shipped room.

The commands are read from the README itself: `roomctl run` with the room's embedded
broker, the simulated lights, then start, status and the rest with no --broker. Only
`--state-dir` and `--no-sound` are added to `roomctl run` (a private journal, no speakers
on a test machine). The embedded broker must be on 127.0.0.1:1883, so the test is skipped
when something else holds that port.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from roomctl.mqtt.broker_url import parse_broker_url
from roomctl.mqtt.client import Client
from tests.fixtures.room import wait_for

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
STANDARD_PORT = 1883
# Starting Python, the room and its broker takes a few seconds; a loaded CI machine longer.
PROCESS_TIMEOUT_S = 60.0
# A clean stop publishes offline and disconnects within the bus's 3 s flush limit.
EXIT_TIMEOUT_S = 15.0


def readme_commands() -> list[str]:
    """Return the command lines of the README's `Using it` block, comments and `&` removed."""
    section = README.read_text().split("## Using it", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip().removesuffix("&").strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith(".")]


def port_taken(port: int) -> bool:
    """Return whether something listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def room_state() -> dict[str, Any]:
    """Return room-1's retained state on the embedded broker (MQTT 3.1.1 only)."""
    with Client(parse_broker_url(f"mqtt://127.0.0.1:{STANDARD_PORT}?protocol=3.1.1")) as client:
        topic = "roomctl/room-1/state"
        # amqtt also hands over retained messages on other topics: keep the state's.
        found = [d for d in client.retained(topic) if d.topic == topic]
    assert found, "no state of room-1 on the broker"
    state: dict[str, Any] = json.loads(found[-1].payload)
    return state


@pytest.fixture
def stranger(tmp_path: Path) -> dict[str, str]:
    """Return a shell environment like a stranger's after `. .venv/bin/activate`."""
    env = {k: v for k, v in os.environ.items() if k != "ROOMCTL_BROKER"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


def shell(line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one README line in the repository, as the README writes it."""
    return subprocess.run(
        shlex.split(line),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )


@pytest.fixture
def background(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Collect background processes; SIGTERM them all afterwards (and kill stragglers)."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_readme_flow_works_with_the_shipped_room(
    stranger: dict[str, str], background: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    if port_taken(STANDARD_PORT):
        pytest.skip(f"127.0.0.1:{STANDARD_PORT} is taken by another process on this machine")
    commands = readme_commands()
    run = next(c for c in commands if c.startswith("roomctl run "))
    sim = next(c for c in commands if c.startswith("scripts/sim_devices.py "))
    assert run == "roomctl run --room profiles/rooms/room-1.yaml"
    run_log, sim_log = tmp_path / "run.log", tmp_path / "sim.log"
    state_dir = Path(stranger["XDG_STATE_HOME"]) / "roomctl"
    extra = ["--state-dir", str(state_dir), "--no-sound"]
    with run_log.open("wb") as out:
        background.append(
            subprocess.Popen(
                [*shlex.split(run), *extra], cwd=REPO, env=stranger, stdout=out, stderr=out
            )
        )
    wait_for(
        lambda: "serving room-1" in run_log.read_text(),
        timeout=PROCESS_TIMEOUT_S,
        what="roomctl run to serve room-1",
    )
    said = run_log.read_text()
    if "instead" in said:  # something took 1883 between the check and the start
        pytest.skip(f"127.0.0.1:{STANDARD_PORT} was taken meanwhile: {said}")
    # The URL is printed without -v, and it is where the other commands look.
    assert "roomctl: serving room-1 on mqtt://127.0.0.1:1883" in said, said
    assert "other roomctl commands" not in said

    # The simulated lights, exactly as the README writes it (an executable script).
    with sim_log.open("wb") as out:
        background.append(
            subprocess.Popen(shlex.split(sim), cwd=REPO, env=stranger, stdout=out, stderr=out)
        )
    wait_for(
        lambda: "5 simulated lights of room-1 on mqtt://127.0.0.1:1883" in sim_log.read_text(),
        timeout=PROCESS_TIMEOUT_S,
        what="the simulated lights",
    )
    wait_for(
        lambda: all(room_state()["devices"][n]["online"] for n in ("ceiling", "strip", "panel")),
        timeout=PROCESS_TIMEOUT_S,
        what="the simulated lights online in the room's state",
    )
    accepted = {
        "roomctl start": "start accepted; the session is running",
        "roomctl pause": "pause accepted; the session is paused",
        "roomctl resume": "resume accepted; the session is running",
        "roomctl extend": "extend accepted; the session is running",
        "roomctl next": "next accepted; the session is running",
        "roomctl stop": "stop accepted; the session has ended",
    }
    for line in commands:
        name = " ".join(line.split()[:2])
        if name in accepted:
            result = shell(line, stranger)
            assert result.returncode == 0, (line, result.stderr)
            assert accepted[name] in result.stdout, line
            if name == "roomctl start":
                status = shell("roomctl status", stranger)
                assert status.returncode == 0, status.stderr
                row = next(s for s in status.stdout.splitlines() if "room-1" in s)
                assert "running" in row and "im-ketamine-60" in row, status.stdout
                # Every light reports (cove, without availability, by its state); the
                # speaker is not opened (--no-sound).
                assert "unknown: speaker" in row
                assert "room-1 next cue:" in status.stdout
        elif line.startswith("roomctl emergency"):
            # `a && b` as a shell runs it.
            for part in line.split("&&"):
                result = shell(part.strip(), stranger)
                assert result.returncode == 0, (part, result.stderr)
        elif line.startswith("roomctl history"):
            history = shell(line, stranger)
            assert history.returncode == 0, history.stderr
            session_id = room_state()["session_id"]
            assert session_id in history.stdout
        elif line.startswith("roomctl report"):
            report = shell(line.replace("SESSION_ID", room_state()["session_id"]), stranger)
            assert report.returncode == 0, report.stderr
            assert re.search(r"Profile: im-ketamine-60", report.stdout)
        elif line.startswith("roomctl status") and "--watch" not in line:
            assert shell(line, stranger).returncode == 0
    daemon = background[0]
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=EXIT_TIMEOUT_S) == 0
