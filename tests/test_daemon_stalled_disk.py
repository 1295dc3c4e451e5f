"""A stalled state disk never holds a room back: emergency and pause go out, the state says so."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.journal import Journal
from roomctl.journal.spill import RUNTIME_ENV
from roomctl.runtime.room import REFUSAL_RECORD_CAP
from tests.fixtures.broker import Mosquitto
from tests.fixtures.disk import FreezableDisk
from tests.test_recovery import ROOM_ID, Setup, wait_for

# Junk commands queued ahead of the emergency, as in the red team's flood.
JUNK = 500
# The room answers a command whose record the disk has not taken within 1 s (ACK_WAIT_S);
# 5 s is that on a loaded machine, far short of the 26 s the frozen disk held it before.
REPLY_TIMEOUT_S = 5.0
# The state topic says the disk stalls 2 s into a write (JOURNAL_STALL_S), plus load.
STALL_SHOWN_TIMEOUT_S = 8.0
# A daemon stops within its 5-s stop timeout even on a frozen disk; plus the exit.
STOP_TIMEOUT_S = 15.0


@pytest.fixture
def setup(tmp_path: Path, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    # The daemon's spill files go under the test's folder (it inherits the environment).
    monkeypatch.setenv(RUNTIME_ENV, str(tmp_path / "run"))
    env_setup = Setup(tmp_path, mosquitto)
    yield env_setup
    env_setup.close()


def _send(setup: Setup, action: str, **fields: object) -> str:
    request_id = f"r{time.monotonic_ns()}"
    body = {"action": action, "request_id": request_id, **fields}
    setup.supervisor._client.publish(f"roomctl/{ROOM_ID}/cmd", json.dumps(body), qos=1)
    return request_id


def _reply(setup: Setup, request_id: str) -> dict[str, Any]:
    wait_for(lambda: request_id in setup.supervisor.replies, REPLY_TIMEOUT_S, "the reply")
    return setup.supervisor.replies[request_id]


def _flood(setup: Setup) -> None:
    """Queue JUNK refusable commands from another client, as fast as it can publish them."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="junk")
    client.connect("127.0.0.1", setup.broker.port)
    client.loop_start()
    infos = [
        client.publish(f"roomctl/{ROOM_ID}/cmd", b'{"action": "dance"}', qos=1) for _ in range(JUNK)
    ]
    for info in infos:
        info.wait_for_publish(REPLY_TIMEOUT_S)
    client.disconnect()
    client.loop_stop()


def _ceiling_since(setup: Setup, since: float) -> list[dict[str, Any]]:
    device = setup.sim.devices["ceiling"]
    return [
        json.loads(p) for t, topic, p in device.received if t >= since and topic.endswith("/set")
    ]


def test_a_frozen_state_disk_holds_back_neither_pause_nor_emergency_and_loses_nothing(
    setup: Setup, frozen_disk: FreezableDisk
) -> None:
    setup.state_dir = frozen_disk.path
    setup.run()
    started = _reply(setup, _send(setup, "start", profile="long", operator="kim"))
    assert started["ok"] is True and started["recorded"] is True
    session_id = setup.supervisor.state["session_id"]

    frozen_disk.freeze()
    paused = _reply(setup, _send(setup, "pause", operator="kim"))
    # Carried out and answered, said to be not yet on disk.
    assert paused["ok"] is True and paused["status"] == "paused"
    assert paused["recorded"] is False
    assert "state disk" in paused["warning"]
    wait_for(lambda: setup.supervisor.state.get("status") == "paused", 5.0, "paused")
    wait_for(
        lambda: setup.supervisor.state.get("journal", {}).get("ok") is False,
        STALL_SHOWN_TIMEOUT_S,
        "the stalled disk on the state topic",
    )

    _flood(setup)
    sent = time.monotonic()
    emergency = _send(setup, "emergency", operator="lee")
    wait_for(
        lambda: any(c.get("brightness") == 254 for c in _ceiling_since(setup, sent)),
        REPLY_TIMEOUT_S,
        "the emergency at the ceiling",
    )
    assert _reply(setup, emergency)["status"] == "emergency"

    # A stop on the frozen disk does its work in time: offline, and the log says where
    # the records the disk did not take are. (The process itself cannot end while one of
    # its threads waits in the kernel for the frozen disk: no process can, even killed.)
    assert setup.process is not None
    setup.process.send_signal(signal.SIGTERM)
    wait_for(lambda: setup.supervisor.availability == "offline", STOP_TIMEOUT_S, "offline")
    wait_for(
        lambda: "journal records could not be written" in setup.log.read_text(errors="replace"),
        STOP_TIMEOUT_S,
        "the spilled records in the log",
    )
    frozen_disk.thaw()
    assert setup.process.wait(timeout=STOP_TIMEOUT_S) == 0

    # Restarted on the thawed disk: the session comes back in emergency, and the record
    # has the pause and the emergency.
    setup.run()
    wait_for(
        lambda: (
            setup.supervisor.state.get("session_id") == session_id
            and setup.supervisor.state.get("status") == "emergency"
        ),
        10.0,
        "the session back in emergency",
    )
    journal = Journal(setup.state_dir, readonly=True)

    def recorded() -> list[str]:
        return [e.type for e in journal.events(session_id)]

    wait_for(lambda: "emergency" in recorded(), 10.0, "the emergency in the journal")
    kinds = recorded()
    assert kinds.index("session_started") < kinds.index("paused") < kinds.index("emergency")
    # The junk, refused while frozen, kept and then written: the first ones one by one,
    # the rest counted (a flood does not fill the record).
    assert kinds.count("command_rejected") == REFUSAL_RECORD_CAP
    [left_out] = [e for e in journal.events(session_id) if e.type == "commands_unrecorded"]
    assert left_out.data["count"] == JUNK - REFUSAL_RECORD_CAP
