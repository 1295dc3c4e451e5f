"""`roomctl start|pause|...` and `roomctl status` against a served room: replies and exit codes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

import roomctl.cli.control
import roomctl.cli.status
import roomctl.mqtt.client
from roomctl.cli.group import cli
from tests.fixtures.broker import free_port
from tests.fixtures.room import ROOM_ID, Rig, RigFactory

WARM = """\
title: Warm
phases:
  - name: arrival
    duration: 60s
    fade: 20s
    lights:
      all: {brightness: 60%, color_temp: 3000K}
  - name: dim
    duration: 60s
    fade: 30s
    lights:
      all: {brightness: 20%, color_temp: 2400K}
"""

EXIT_ACCEPTED, EXIT_REFUSED, EXIT_NO_REPLY, EXIT_BROKER = 0, 1, 2, 3
# Long enough for a daemon on a loaded machine to answer, short enough to keep the test fast.
TEST_REPLY_TIMEOUT_S = 1.0

assert roomctl.cli.control.EXIT_NO_REPLY == EXIT_NO_REPLY
assert roomctl.cli.control.EXIT_BROKER == EXIT_BROKER
assert roomctl.cli.status.status is cli.commands["status"]


def roomctl_(rig: Rig, *args: str) -> Result:
    """Run a roomctl command in-process against the rig's broker."""
    return CliRunner().invoke(cli, [*args, "--broker", rig.broker.url])


def test_commands_exit_0_when_accepted_and_1_when_refused(serve_room: RigFactory) -> None:
    rig = serve_room({"warm": WARM}, speed=10)
    room = ("--room", ROOM_ID)
    started = roomctl_(rig, "start", "warm", *room, "--operator", "kim")
    assert started.exit_code == EXIT_ACCEPTED, started.output
    assert "start accepted; the session is running" in started.stdout
    rig.supervisor.wait_state(lambda s: s["profile"] == "warm" and s["status"] == "running")

    again = roomctl_(rig, "start", "warm", *room)
    assert again.exit_code == EXIT_REFUSED
    assert "refused: room test-room has a session running: stop it first" in again.stderr

    steps = [
        (("pause", *room, "--operator", "kim"), EXIT_ACCEPTED, "the session is paused"),
        (("pause", *room), EXIT_REFUSED, "cannot pause: room test-room has a paused session"),
        (("resume", *room), EXIT_ACCEPTED, "the session is running"),
        (("extend", "5m", *room), EXIT_ACCEPTED, "the session is running"),
        (("extend", "soon", *room), EXIT_REFUSED, "refused"),
        (("next", *room), EXIT_ACCEPTED, "the session is running"),
        (("release", *room), EXIT_REFUSED, "cannot release: room test-room is not in emergency"),
        (("emergency", *room), EXIT_ACCEPTED, "the room is in emergency"),
        (("release", *room), EXIT_ACCEPTED, "the session is paused"),
        (("resume", *room), EXIT_ACCEPTED, "the session is running"),
        (("stop", *room), EXIT_ACCEPTED, "the session has ended"),
        (
            ("stop", *room),
            EXIT_REFUSED,
            "cannot stop: room test-room has no session running (its last session ended): "
            "start one first",
        ),
    ]
    for args, code, said in steps:
        result = roomctl_(rig, *args)
        assert result.exit_code == code, (args, result.output)
        assert said in (result.stdout if code == EXIT_ACCEPTED else result.stderr), args
    for kind in ("paused", "resumed", "extended", "skipped", "emergency", "released", "stopped"):
        rig.supervisor.wait_event(kind)
    rig.supervisor.wait_state(lambda s: s["status"] == "ended")


def test_status_prints_the_room(serve_room: RigFactory) -> None:
    rig = serve_room({"warm": WARM}, speed=10)
    assert rig.supervisor.command("start", profile="warm", operator="kim")["ok"] is True
    assert rig.supervisor.command("pause", operator="kim")["ok"] is True
    rig.supervisor.wait_state(lambda s: s["status"] == "paused")  # retained on the broker
    result = roomctl_(rig, "status", "--room", ROOM_ID)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for shown in (ROOM_ID, "paused", "warm", "arrival", "kim"):
        assert shown in out, shown
    everything = roomctl_(rig, "status")
    assert everything.exit_code == 0 and ROOM_ID in everything.stdout
    nobody = roomctl_(rig, "status", "--room", "no-such-room")
    assert nobody.exit_code == EXIT_NO_REPLY


def test_no_reply_exits_2(serve_room: RigFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = serve_room({"warm": WARM})
    monkeypatch.setattr(roomctl.mqtt.client, "REPLY_TIMEOUT_S", TEST_REPLY_TIMEOUT_S)
    unserved = roomctl_(rig, "pause", "--room", "no-such-room")
    assert unserved.exit_code == EXIT_NO_REPLY
    assert "no reply" in unserved.stderr
    no_broker = CliRunner().invoke(
        cli, ["pause", "--room", ROOM_ID, "--broker", f"mqtt://127.0.0.1:{free_port()}"]
    )
    assert no_broker.exit_code == EXIT_BROKER
    assert "cannot reach the broker" in no_broker.stderr
    # Without --broker, $ROOMCTL_BROKER says where to go.
    via_env = CliRunner().invoke(
        cli, ["start", "warm", "--room", ROOM_ID], env={"ROOMCTL_BROKER": rig.broker.url}
    )
    assert via_env.exit_code == EXIT_ACCEPTED, via_env.output
