"""Errors that point the right way: a real Mosquitto with a password file and an ACL.

A wrong password, or an account that may not command, is reported at once as the broker's
refusal with exit 3, not as "no reply" after 5 s; a usage error exits 64, not 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.broker import Mosquitto, free_port, write_password_file

EXIT_NO_REPLY, EXIT_BROKER, EXIT_USAGE = 2, 3, 64
# Starting Python takes about a second; a loaded CI machine may take longer.
PROCESS_TIMEOUT_S = 30.0
# The CLI waits this long for a reply before it says "no reply" (roomctl.mqtt.client).
REPLY_TIMEOUT_S = 5.0
ACL = """\
user kim
topic write roomctl/+/cmd
topic read roomctl/#

user screen
topic read roomctl/#

user daemon
topic readwrite roomctl/#
"""


def roomctl(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run one roomctl command as a process; return its result and how long it took."""
    env = {k: v for k, v in os.environ.items() if k != "ROOMCTL_BROKER"}
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "roomctl", *args],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        env=env,
        check=False,
    )
    return result, time.monotonic() - began


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Mosquitto]:
    """Start a Mosquitto that wants a password and lets only kim command rooms."""
    passwords = write_password_file(
        tmp_path / "passwd", {"kim": "secret", "screen": "view", "daemon": "serve"}
    )
    acl = tmp_path / "roomctl.acl"
    acl.write_text(ACL)
    broker = Mosquitto(workdir=tmp_path, password_file=passwords, extra_config=f"acl_file {acl}")
    broker.start()
    yield broker
    broker.stop()


def url(broker: Mosquitto, user: str, password: str) -> str:
    """Return the broker's URL with an account in it."""
    return f"mqtt://{user}:{password}@127.0.0.1:{broker.port}"


def startup() -> float:
    """Return how long a roomctl process takes that does not touch the broker."""
    result, took = roomctl("--help")
    assert result.returncode == 0
    return took


def at_once(took: float, baseline: float) -> bool:
    """Return whether a command ended well before the 5 s a reply is waited for."""
    return took < baseline + REPLY_TIMEOUT_S * 0.6


def test_a_wrong_password_is_the_broker_refusing_at_once(guarded: Mosquitto) -> None:
    baseline = startup()
    for command in (("pause", "--room", "room-1"), ("status",), ("status", "--watch")):
        result, took = roomctl(*command, "--broker", url(guarded, "kim", "wrong"))
        assert result.returncode == EXIT_BROKER, (command, result.stderr)
        assert "refused the connection (Not authorized)" in result.stderr, command
        assert "check the user name and password in the broker URL" in result.stderr
        assert "no reply" not in result.stderr and "no rooms found" not in result.stderr
        assert "wrong" not in result.stderr  # the password is never printed
        assert at_once(took, baseline), (command, took, baseline)


def test_an_account_that_may_not_command_is_told_so(guarded: Mosquitto) -> None:
    baseline = startup()
    result, took = roomctl(
        "emergency", "--room", "room-1", "--broker", url(guarded, "screen", "view")
    )
    assert result.returncode == EXIT_BROKER, result.stderr
    assert "the broker refused the command to roomctl/room-1/cmd for this account" in result.stderr
    assert "Not authorized" in result.stderr
    assert "no reply" not in result.stderr
    assert at_once(took, baseline), (took, baseline)
    # An account that may command but is served by nobody: no reply, exit 2.
    nobody, _ = roomctl("pause", "--room", "room-1", "--broker", url(guarded, "kim", "secret"))
    assert nobody.returncode == EXIT_NO_REPLY, nobody.stderr
    assert "no reply from room room-1" in nobody.stderr


def test_no_broker_is_exit_3_and_usage_errors_exit_64() -> None:
    unreachable, _ = roomctl(
        "pause", "--room", "room-1", "--broker", f"mqtt://127.0.0.1:{free_port()}"
    )
    assert unreachable.returncode == EXIT_BROKER
    assert "cannot reach the broker at mqtt://127.0.0.1:" in unreachable.stderr
    for args in (
        ("start",),  # no profile
        ("pause",),  # no --room
        ("status", "--bogus"),
        ("no-such-command",),
        ("pause", "--room", "room-1", "--broker", "localhost:1883"),  # not a URL
    ):
        result, _ = roomctl(*args)
        assert result.returncode == EXIT_USAGE, (args, result.stderr)
        assert "Traceback" not in result.stderr
    helped, _ = roomctl("status", "--help")
    assert helped.returncode == 0
    assert "exit 4 if not served" in helped.stdout


def test_an_emergency_the_emergency_topic_refuses_goes_to_cmd(
    guarded: Mosquitto, tmp_path: Path
) -> None:
    """kim may write only roomctl/+/cmd (an ACL from before roomctl/R/emergency)."""
    room = tmp_path / "rooms" / "room-1.yaml"
    room.parent.mkdir()
    room.write_text("id: room-1\ndevices:\n  ceiling: {type: zigbee2mqtt, topic: z/ceiling}\n")
    (tmp_path / "sessions").mkdir()
    daemon = subprocess.Popen(
        [sys.executable, "-m", "roomctl", "run", "--room", str(room), "--no-sound",
         "--broker", url(guarded, "daemon", "serve"), "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert daemon.stderr is not None
        while "serving room-1" not in daemon.stderr.readline():
            assert daemon.poll() is None, "the daemon ended"
        result, _took = roomctl(
            "emergency", "--room", "room-1", "--broker", url(guarded, "kim", "secret")
        )
        assert result.returncode == 0, result.stderr
        assert "emergency accepted" in result.stdout
    finally:
        daemon.terminate()
        daemon.wait(timeout=PROCESS_TIMEOUT_S)
