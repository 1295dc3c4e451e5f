"""Home Assistant discovery from a real `roomctl run` on a real Mosquitto, pressed as HA does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from roomctl.config.library import load_room
from roomctl.demo.sim.room import SimulatedRoom
from tests.fixtures.broker import Mosquitto
from tests.fixtures.home_assistant import HomeAssistantClient, attributes, entity_value
from tests.fixtures.room import QUIET_S, ROOM_ID, Supervisor, room_yaml, wait_for

OBSERVATION = """\
title: Observation
phases:
  - name: settle
    duration: 10m
    lights:
      all: {brightness: 50%, color_temp: 3000K}
    cues:
      - at: 10s
        notify: Baseline blood pressure
  - name: rise
    duration: 10m
    lights:
      all: {brightness: 80%, color_temp: 3500K}
    cues:
      - at: 5m
        notify: Check pulse
"""
# Session seconds per wall second: the cue at 10 s fires a second after the start.
SPEED = 10.0
CONFIG = f"homeassistant/device/roomctl_{ROOM_ID}/config"
# Starting Python and connecting takes about a second; a loaded CI machine may take longer.
SERVE_TIMEOUT_S = 15.0
# A clean stop publishes offline and disconnects within the bus's 3 s flush limit.
EXIT_TIMEOUT_S = 10.0
OPERATOR = "home-assistant"


@dataclass
class Served:
    """A room served by `roomctl run`, Home Assistant's client and a supervisor."""

    mosquitto: Mosquitto
    process: subprocess.Popen[bytes]
    ha: HomeAssistantClient
    sup: Supervisor
    state_dir: Path

    def config(self, since: int = 0) -> dict[str, Any]:
        """Return the first retained-config payload seen after the first `since` ones."""
        found = wait_for(
            lambda: self.ha.configs(CONFIG)[since:] or None,
            timeout=SERVE_TIMEOUT_S,
            what="the discovery config",
        )
        payload = found[0][0]
        assert payload, "the config was removed"
        return dict(json.loads(payload))

    def component(self, key: str) -> dict[str, Any]:
        """Return one component of the latest config."""
        component: dict[str, Any] = self.config()["cmps"][key]
        return component

    def shows(self, key: str) -> Any:
        """Return what an entity on the room's state shows now."""
        return entity_value(self.component(key), self.sup.states()[-1].payload)


@pytest.fixture
def served(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[Served]:
    """Serve a room with Home Assistant discovery, its lights simulated."""
    rooms, sessions = tmp_path / "profiles" / "rooms", tmp_path / "profiles" / "sessions"
    rooms.mkdir(parents=True)
    sessions.mkdir()
    room_file = rooms / f"{ROOM_ID}.yaml"
    extra = "home_assistant: {discovery: true, prefix: homeassistant}\n"
    room_file.write_text(room_yaml(extra=extra))
    (sessions / "observation.yaml").write_text(OBSERVATION)
    sim = SimulatedRoom(load_room(room_file), mosquitto.url)
    sim.start()
    ha = HomeAssistantClient(mosquitto.url)
    ha.start()
    sup = Supervisor(mosquitto.url)
    sup.start()
    state_dir = tmp_path / "state"
    command = [sys.executable, "-m", "roomctl", "run", "--room", str(room_file), "--no-sound"]
    command += ["--broker", mosquitto.url, "--state-dir", str(state_dir), "--speed", str(SPEED)]
    log = (tmp_path / "roomctl.log").open("wb")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        yield Served(mosquitto, process, ha, sup, state_dir)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        sup.stop()
        ha.stop()
        sim.stop()


def test_the_room_is_announced_once_as_a_retained_device_config(served: Served) -> None:
    config = served.config()
    # Retained: a Home Assistant that starts later finds it.
    late = HomeAssistantClient(served.mosquitto.url)
    late.start()
    try:
        found = wait_for(lambda: late.configs(CONFIG), what="the retained config")
        assert found == [(json.dumps(config, separators=(",", ":")).encode(), True)]
    finally:
        late.stop()
    assert config["dev"]["identifiers"] == [f"roomctl_{ROOM_ID}"]
    assert config["dev"]["name"] == "Test room"
    assert config["o"]["name"] == "roomctl" and config["o"]["sw"]
    components = config["cmps"]
    assert {c["unique_id"] for c in components.values()} == {
        f"roomctl_{ROOM_ID}_{key}" for key in components
    }
    assert {c["availability_topic"] for c in components.values()} == {
        f"roomctl/{ROOM_ID}/availability"
    }
    # The select's options are the room's catalog; one device per light.
    assert components["profile_choice"]["options"] == ["observation"]
    lights = {"ceiling", "lamp", "strip", "panel", "cove"}
    assert {k for k in components if k.startswith("device_")} == {f"device_{n}" for n in lights}


def test_entities_show_idle_running_paused_emergency_and_ended_and_buttons_act(
    served: Served,
) -> None:
    ha, sup = served.ha, served.sup
    served.config()
    sup.wait_state(lambda s: all(d["online"] for d in s["devices"].values()), what="lights on")
    # Idle.
    assert served.shows("status") == "idle"
    assert served.shows("profile") is None and served.shows("phase") is None
    assert served.shows("ends_at") is None and served.shows("time_left") is None
    assert served.shows("emergency_on") is False and served.shows("journal") is False
    assert served.shows("device_ceiling") is True
    assert served.shows("pending_cue") is None

    # Choosing a profile starts nothing.
    chosen = time.monotonic()
    ha.choose(served.component("profile_choice"), "observation")
    time.sleep(QUIET_S)  # watching for a start that must not come
    assert sup.barrier()["status"] == "idle"
    assert sup.events("session_started", chosen) == []

    # The start button starts the chosen profile, as home-assistant.
    pressed = time.monotonic()
    ha.press(served.component("start_selected"))
    started = sup.wait_event("session_started", pressed)
    assert (started["profile"], started["by"]) == ("observation", OPERATOR)
    running = sup.wait_state(lambda s: s["status"] == "running", pressed).payload
    state = json.loads(running)
    assert entity_value(served.component("status"), running) == "running"
    assert entity_value(served.component("profile"), running) == "observation"
    assert entity_value(served.component("phase"), running) == "settle"
    ends = entity_value(served.component("ends_at"), running)
    published = datetime.fromisoformat(state["updated_at"])
    expected = published + timedelta(seconds=state["remaining_s"] / SPEED)
    assert abs((ends - expected).total_seconds()) <= 1.0
    assert entity_value(served.component("time_left"), running) == round(state["remaining_s"])
    assert entity_value(served.component("next_cue"), running) == "Baseline blood pressure"

    # The cue fires: the event entity takes it; the pending cue sensor shows it.
    cue = sup.wait_event("cue", pressed)
    event = entity_value(served.component("room_event"), json.dumps(cue).encode())
    assert event["event_type"] == "cue" and event["notify"] == "Baseline blood pressure"
    assert event["cue_id"] == "0.0"
    pending = sup.wait_state(lambda s: bool(s["pending_cues"]), pressed).payload
    assert entity_value(served.component("pending_cue"), pending) == "Baseline blood pressure"
    assert attributes(served.component("pending_cue"), pending)["count"] == 1
    assert entity_value(served.component("next_cue"), pending) == "Check pulse"

    # Acknowledge, pause, resume, extend, next, emergency, release, stop: each as HA presses it.
    def press(key: str, event_type: str) -> dict[str, Any]:
        at = time.monotonic()
        ha.press(served.component(key))
        found = sup.wait_event(event_type, at)
        assert found["by"] == OPERATOR, (key, found)
        return found

    press("ack", "cue_acknowledged")
    acked = sup.wait_state(lambda s: not s["pending_cues"], pressed).payload
    assert entity_value(served.component("pending_cue"), acked) is None

    # Every running state since the start (the cue, its acknowledgement) ends at one instant.
    shown_ends = {
        entity_value(served.component("ends_at"), seen.payload)
        for seen in sup.states(pressed)
        if seen.json()["status"] == "running"
    }
    assert len(sup.states(pressed)) >= 3 and shown_ends == {ends}

    at = time.monotonic()
    press("pause", "paused")
    paused = sup.wait_state(lambda s: s["status"] == "paused", at).payload
    assert entity_value(served.component("status"), paused) == "paused"
    assert entity_value(served.component("ends_at"), paused) is None
    assert entity_value(served.component("time_left"), paused) > 0

    at = time.monotonic()
    press("resume", "resumed")
    sup.wait_state(lambda s: s["status"] == "running", at)
    assert press("extend", "extended")["added_s"] == 300

    at = time.monotonic()
    press("next", "skipped")
    moved = sup.wait_state(lambda s: s["phase"] == "rise", at).payload
    assert entity_value(served.component("phase"), moved) == "rise"
    phase_event = sup.wait_event("phase_started", at)
    shown = entity_value(served.component("room_event"), json.dumps(phase_event).encode())
    assert (shown["event_type"], shown["phase"]) == ("phase_started", "rise")

    at = time.monotonic()
    press("emergency", "emergency")
    emergency = sup.wait_state(lambda s: s["status"] == "emergency", at).payload
    assert entity_value(served.component("status"), emergency) == "emergency"
    assert entity_value(served.component("emergency_on"), emergency) is True
    assert entity_value(served.component("ends_at"), emergency) is None

    at = time.monotonic()
    press("release", "released")
    released = sup.wait_state(lambda s: s["status"] == "paused", at).payload
    assert entity_value(served.component("emergency_on"), released) is False

    at = time.monotonic()
    press("stop", "stopped")
    ended = sup.wait_state(lambda s: s["status"] == "ended", at).payload
    assert entity_value(served.component("status"), ended) == "ended"
    assert entity_value(served.component("ends_at"), ended) is None
    assert entity_value(served.component("phase"), ended) is None
    assert entity_value(served.component("time_left"), ended) == 0

    # The record says who did it (the journal is written behind the room: wait for the end).
    def ended_report() -> dict[str, Any] | None:
        reply = sup.command("report", session_id=started["session_id"])
        assert reply["ok"] is True, reply
        report: dict[str, Any] = reply["report"]
        return report if report["ended"] is not None and len(report["pauses"]) == 2 else None

    report = wait_for(ended_report, what="the session's report")
    assert report["operator"] == OPERATOR
    assert [(p["by"], p["emergency"]) for p in report["pauses"]] == [
        (OPERATOR, False),
        (OPERATOR, True),
    ]
    assert [c["acknowledged_by"] for c in report["cues"]] == [OPERATOR]
    assert [i["kind"] for i in report["incidents"] if f"by {OPERATOR}" in i["detail"]] == [
        "extended",
        "skipped",
        "emergency",
        "released",
        "stopped",
    ], report["incidents"]


def test_home_assistant_online_announces_again_and_removal_clears_the_config(
    served: Served,
) -> None:
    first = served.config()
    count = len(served.ha.configs(CONFIG))
    served.ha.publish("homeassistant/status", "online")
    again = served.config(since=count)
    assert again == first

    # A press with no profile chosen starts nothing.
    at = time.monotonic()
    served.ha.press(first["cmps"]["start_selected"])
    time.sleep(QUIET_S)  # watching for a start that must not come
    assert served.sup.barrier()["status"] == "idle"
    assert served.sup.events("session_started", at) == []

    # A press left retained (by a misconfigured tool) never starts a session.
    served.ha.choose(first["cmps"]["profile_choice"], "observation")
    at = time.monotonic()
    served.ha.publish(first["cmps"]["start_selected"]["command_topic"], "PRESS", 1, retain=True)
    time.sleep(QUIET_S)  # watching for a start that must not come
    assert served.sup.barrier()["status"] == "idle"
    assert served.sup.events("session_started", at) == []
    served.ha.publish(first["cmps"]["start_selected"]["command_topic"], "", 1, retain=True)

    # While the room is served, ha-remove refuses (the daemon would announce it again).
    remove = [sys.executable, "-m", "roomctl", "ha-remove", "--room", ROOM_ID]
    remove += ["--broker", served.mosquitto.url]
    refused = subprocess.run(
        remove, capture_output=True, text=True, timeout=EXIT_TIMEOUT_S, check=False
    )
    assert refused.returncode == 1 and "still served" in refused.stderr

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=EXIT_TIMEOUT_S) == 0
    removed = subprocess.run(
        remove, capture_output=True, text=True, timeout=EXIT_TIMEOUT_S, check=False
    )
    assert removed.returncode == 0, removed.stderr
    wait_for(lambda: served.ha.configs(CONFIG)[-1][0] == b"", what="the config cleared")
    # A Home Assistant that starts later finds no device: nothing is retained any more.
    late = HomeAssistantClient(served.mosquitto.url)
    late.start()
    try:
        time.sleep(QUIET_S)  # watching for a retained config that must not come
        assert late.configs(CONFIG) == []
    finally:
        late.stop()
