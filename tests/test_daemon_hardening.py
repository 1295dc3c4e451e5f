"""What a hostile or careless client sends cannot bypass the room's rules: retained commands."""

from __future__ import annotations

import json
import time

from tests.fixtures.room import RigFactory, wait_for

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
    time.sleep(0.3)  # a retained command would be delivered with the subscription at once
    assert sup.state["status"] == "running", state
    assert sup.events("emergency", since) == []
    assert [r for r in sup.replies(restarted) if r["request_id"] == "kept"] == []
