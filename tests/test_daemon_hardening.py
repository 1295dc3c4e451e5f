"""What a hostile client sends can neither bypass the rules nor hold back an emergency."""

from __future__ import annotations

import json
import subprocess
import time

from tests.fixtures.room import RigFactory, received, wait_for, zigbee_lights

HOLD = """\
title: Hold
phases:
  - name: hold
    duration: 10m
    fade: 0s
    lights:
      all: {brightness: 60%, color_temp: 3000K}
"""


def test_a_retained_command_is_refused_cleared_and_not_run_at_a_restart(
    serve_room: RigFactory,
) -> None:
    rig = serve_room({"hold": HOLD})
    sup = rig.supervisor
    assert sup.command("start", profile="hold", operator="kim")["ok"] is True
    session_id = sup.wait_state(lambda s: s["status"] == "running").json()["session_id"]

    since = time.monotonic()
    emergency = {"action": "emergency", "operator": "mallory", "request_id": "kept"}
    sup.publish(rig.supervisor.topics.cmd, json.dumps(emergency), retain=True)
    reply = sup.wait_reply("kept")
    assert reply["ok"] is False
    assert "retained commands are never executed" in reply["error"]
    assert sup.wait_event("command_rejected", since)["reason"] == reply["error"]
    # The daemon clears it: subscribers see the empty retained message that deletes it.
    wait_for(lambda: any(not s.payload for s in sup.on(sup.topics.cmd, since)), what="the clearing")
    assert sup.state["status"] == "running"

    # A restart finds nothing retained to run: the session comes back running, not in
    # emergency "by mallory".
    assert rig.daemon is not None
    rig.daemon.stop()
    restarted = time.monotonic()
    rig.serve()
    state = sup.wait_state(lambda s: s["session_id"] == session_id, restarted).json()
    # A retained command comes with the subscription, ahead of anything sent after it: by
    # the barrier's reply the room has taken it, and still runs the session.
    assert sup.barrier()["status"] == "running", state
    assert sup.events("emergency", since) == []
    assert [r for r in sup.replies(restarted) if r["request_id"] == "kept"] == []


# Junk commands flooding the cmd topic ahead of an emergency sent to its own topic.
FLOOD = 2000
# The reply to a command behind the flood comes once all 2,000 are refused: 1.4-2.7 s on
# this machine, over 5 s with both cores busy. The test is about order, not speed.
BEHIND_FLOOD_TIMEOUT_S = 30.0


def test_an_emergency_on_its_topic_overtakes_a_flood_on_cmd(serve_room: RigFactory) -> None:
    rig = serve_room({"hold": HOLD}, devices=zigbee_lights(6))
    sup = rig.supervisor
    assert sup.command("start", profile="hold")["ok"] is True
    for device in rig.sim.devices.values():
        wait_for(lambda d=device: abs(d.level().brightness - 0.6) < 0.01, what="the hold level")
    flood = subprocess.run(
        ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(rig.broker.port), "-t", sup.topics.cmd,
         "-l", "-q", "1"],
        input=b"garbage\n" * FLOOD, check=True, timeout=60,
    )  # fmt: skip
    assert flood.returncode == 0
    # Behind the flood on cmd: a command the room refuses, answered once all junk is.
    marker = sup.send({"action": "resume", "request_id": "marker"})
    sent = time.monotonic()
    sup.publish(sup.topics.emergency, json.dumps({"action": "emergency", "request_id": "e"}))
    reply = sup.wait_reply("e")
    assert reply["ok"] is True and reply["status"] == "emergency"
    wait_for(lambda: all(received(d, sent) for d in rig.sim.devices.values()), what="the emergency")
    reached = max(min(s.at for s in received(d, sent)) for d in rig.sim.devices.values())
    assert all(received(d, sent)[0].json()["brightness"] == 254 for d in rig.sim.devices.values())
    answered = sup.wait_reply("marker", timeout=BEHIND_FLOOD_TIMEOUT_S)
    # The junk sent before the emergency was still being read when every light had it;
    # the resume behind it reached a room in emergency, and was refused.
    marker_at = next(r.at for r in sup.on(sup.topics.reply, marker) if b'"marker"' in r.payload)
    assert reached < marker_at
    assert answered["ok"] is False and answered["status"] == "emergency"


def test_the_emergency_topic_takes_only_emergencies(serve_room: RigFactory) -> None:
    rig = serve_room({"hold": HOLD})
    sup = rig.supervisor
    since = time.monotonic()
    sup.publish(sup.topics.emergency, json.dumps({"action": "stop", "request_id": "s"}))
    refused = sup.wait_reply("s")
    assert refused["ok"] is False
    assert refused["error"].startswith("only an emergency goes to roomctl/R/emergency")
    sup.publish(sup.topics.emergency, json.dumps({"action": "emergency", "request_id": "r"}), True)
    assert "retained commands are never executed" in sup.wait_reply("r")["error"]
    wait_for(
        lambda: any(not s.payload for s in sup.on(sup.topics.emergency, since)),
        what="the retained emergency cleared",
    )
    assert sup.state["status"] == "idle"
