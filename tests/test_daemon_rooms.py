"""Several rooms in one daemon: each has its own topics, session and lights."""

from __future__ import annotations

import time
from pathlib import Path

from roomctl.config.library import load_room
from roomctl.demo.sim.room import SimulatedRoom
from roomctl.runtime.daemon import Daemon, DaemonOptions
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import Supervisor, received, wait_for

HOLD = """\
title: Hold
phases:
  - name: hold
    duration: 10m
    fade: 0s
    lights:
      all: {brightness: 60%}
"""


def _room(room_id: str) -> str:
    return (
        f"id: {room_id}\ndevices:\n"
        f"  ceiling: {{type: zigbee2mqtt, topic: zigbee2mqtt/{room_id}/ceiling}}\n"
        f"  lamp: {{type: tasmota, topic: {room_id}-lamp}}\n"
    )


def test_two_rooms_in_one_daemon_are_independent(mosquitto: Mosquitto, tmp_path: Path) -> None:
    rooms, sessions = tmp_path / "profiles" / "rooms", tmp_path / "profiles" / "sessions"
    rooms.mkdir(parents=True)
    sessions.mkdir()
    (sessions / "hold.yaml").write_text(HOLD)
    files = []
    for room_id in ("room-a", "room-b"):
        files.append(rooms / f"{room_id}.yaml")
        files[-1].write_text(_room(room_id))
    sims = [SimulatedRoom(load_room(f), mosquitto.url) for f in files]
    supervisors = [Supervisor(mosquitto.url, room_id) for room_id in ("room-a", "room-b")]
    daemon = Daemon(DaemonOptions(room_files=files, broker=mosquitto.url, audio=False))
    try:
        for part in (*sims, *supervisors):
            part.start()
        daemon.start()
        assert all(service.bus.wait_connected(5.0) for service in daemon.rooms)
        a, b = supervisors
        for sup in supervisors:
            wait_for(lambda s=sup: s.on(s.topics.availability), what="availability")
            assert set(availability(sup)) == {b"online"}
        since = time.monotonic()
        assert a.command("start", profile="hold")["ok"] is True
        assert a.wait_state(lambda s: s["status"] == "running").json()["room"] == "room-a"
        wait_for(lambda: sims[0].devices["ceiling"].level().brightness == 152 / 254, what="a lit")
        # Room b saw nothing of it: no session, no command to its lights.
        assert b.wait_state(lambda s: s["status"] == "idle").json()["room"] == "room-b"
        assert b.state["status"] == "idle"
        assert b.replies(since) == [] and b.events("session_started", since) == []
        assert all(received(d, since) == [] for d in sims[1].devices.values())
        assert b.command("pause")["ok"] is False
        assert b.command("start", profile="hold")["ok"] is True
        assert a.command("stop")["ok"] is True
        a.wait_state(lambda s: s["status"] == "ended")
        assert b.wait_state(lambda s: s["status"] != "idle").json()["status"] == "running"
    finally:
        daemon.stop()
        for part in (*sims, *supervisors):
            part.stop()


def availability(sup: Supervisor) -> list[bytes]:
    """Return the availability payloads a supervisor saw."""
    return [s.payload for s in sup.on(sup.topics.availability)]
