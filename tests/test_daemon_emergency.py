"""Emergency and release through the daemon: at once, ahead of every queue, then back over 3 s."""

from __future__ import annotations

import time
from typing import Any

from tests.fixtures.room import RigFactory, commanded_brightness, received, wait_for, zigbee_lights

# A jump (no fade) for every light: six zigbee2mqtt lights at one command a second make a
# queue that takes six seconds to drain.
JUMP = """\
title: Jump
phases:
  - name: warm
    duration: 60s
    fade: 0s
    lights:
      all: {brightness: 70%, color_temp: 2700K}
"""

WARM = """\
title: Warm
phases:
  - name: arrival
    duration: 60s
    fade: 20s
    easing: linear
    lights:
      all: {brightness: 60%, color_temp: 3000K}
"""

ZIGBEE_EMERGENCY = {"state": "ON", "brightness": 254, "color_temp": 250, "transition": 0}
# Shelly's shortest transition: what it is sent for an instant change.
SHELLY_INSTANT_S = 0.5
# How long the full-queue test watches for a queued command after the emergency: the queue
# sends one a second (the room's zigbee2mqtt rate), so a leak would show within this.
QUEUE_WATCH_S = 1.5
# Session time before the emergency: the scenario is an emergency in mid-fade.
RUN_BEFORE_EMERGENCY_S = 1.0
# How long the emergency holds before its release: time that must not count as session time.
EMERGENCY_HELD_S = 0.5
# Session times are published to a tenth of a second or finer.
ELAPSED_ROUNDING_S = 0.05


def test_emergency_overtakes_a_full_queue(serve_room: RigFactory) -> None:
    rig = serve_room({"jump": JUMP}, devices=zigbee_lights(6), extra="rates: {zigbee2mqtt: 1}\n")
    sup = rig.supervisor
    started = time.monotonic()
    assert sup.command("start", profile="jump")["ok"] is True
    sent = sup.send({"action": "emergency", "operator": "kim", "request_id": "e1"})
    assert sup.wait_reply("e1") == {
        "request_id": "e1",
        "ok": True,
        "status": "emergency",
        "recorded": True,
    }

    def emergencies() -> dict[str, float]:
        found = {}
        for name, device in rig.sim.devices.items():
            hits = [s.at for s in received(device, sent) if s.json() == ZIGBEE_EMERGENCY]
            if hits:
                found[name] = hits[0]
        return found

    arrived = wait_for(lambda: len(e := emergencies()) == 6 and e, what="six emergency commands")
    assert max(arrived.values()) - sent < 0.5
    # The queue was full: most lights had not yet had the phase's jump to 70 %.
    had_phase = [n for n, d in rig.sim.devices.items() if received(d, started, sent)]
    assert len(had_phase) <= 3
    # Nothing queued before the emergency arrives after it, ever (the queue would have
    # sent another command within a second). A step the queue let go in the instant
    # between the emergency's publish and its arrival may come before it.
    time.sleep(QUEUE_WATCH_S)  # watching for a queued command that must not come
    for name, device in rig.sim.devices.items():
        after = received(device, arrived[name])
        assert [s.json() for s in after] == [ZIGBEE_EMERGENCY], name
        assert device.level().brightness == 1.0
    sup.wait_state(lambda s: s["status"] == "emergency", sent)
    assert sup.wait_event("emergency", sent)["by"] == "kim"


def test_emergency_pauses_the_session_and_release_fades_back(serve_room: RigFactory) -> None:
    rig = serve_room({"warm": WARM})
    sup = rig.supervisor
    start_sent = time.monotonic()
    assert sup.command("start", profile="warm")["ok"] is True
    start_answered = time.monotonic()
    time.sleep(RUN_BEFORE_EMERGENCY_S)  # the scenario: into the 20 s fade from 40 % to 60 %

    sent = time.monotonic()
    assert sup.command("emergency", operator="kim")["ok"] is True
    answered = time.monotonic()
    state = sup.wait_state(lambda s: s["status"] == "emergency", sent).json()
    elapsed = state["elapsed_s"]
    # The session began between the start's send and reply, the emergency stopped its clock
    # between its own: the session time is the time between, however slow the machine.
    assert sent - start_answered - ELAPSED_ROUNDING_S <= elapsed
    assert elapsed <= answered - start_sent + ELAPSED_ROUNDING_S
    assert sup.wait_event("emergency", sent)["by"] == "kim"
    devices = rig.sim.devices
    for name, device in devices.items():
        wait_for(lambda d=device: received(d, sent), what=f"{name}'s emergency command")
    first = {name: received(device, sent)[0] for name, device in devices.items()}
    assert max(s.at for s in first.values()) - sent < 0.5
    assert first["ceiling"].json() == ZIGBEE_EMERGENCY
    assert first["cove"].json() == {
        "state": "ON",
        "brightness": 255,
        "color_temp": 250,
        "transition": 0,
    }
    assert first["strip"].json()["bri"] == 255 and first["strip"].json()["tt"] == 0
    panel = first["panel"].json()["params"]
    assert panel["brightness"] == 100 and panel["transition_duration"] == SHELLY_INSTANT_S
    lamp = first["lamp"].text
    assert "Fade 0" in lamp and "Dimmer 100" in lamp and "CT 250" in lamp
    for name, device in devices.items():
        wait_for(lambda d=device: d.level().brightness == 1.0, what=f"{name} at 100 %")

    time.sleep(EMERGENCY_HELD_S)  # the scenario: time in emergency, not session time
    released = time.monotonic()
    reply = sup.command("release", operator="kim")
    assert reply["ok"] is True and reply["status"] == "paused"
    after = sup.wait_state(lambda s: s["status"] == "paused", released).json()
    assert abs(after["elapsed_s"] - elapsed) < 0.2  # the session clock stood still
    assert sup.wait_event("released", released)["by"] == "kim"
    # Back to the paused session's level over 3 s: standby (102 of 254, as the light
    # reported it) a twentieth of the way to 60 % per second of session time.
    start = 102 / 254
    level = start + (0.6 - start) * after["elapsed_s"] / 20.0
    ceiling = wait_for(lambda: received(devices["ceiling"], released), what="release")[0].json()
    assert abs(ceiling["brightness"] - 254 * level) <= 1.5
    assert ceiling["transition"] == 3
    cove = wait_for(lambda: received(devices["cove"], released), what="release")[0].json()
    assert cove["transition"] == 3
    strip = wait_for(lambda: received(devices["strip"], released), what="release")[0].json()
    assert strip["tt"] == 30
    panel = wait_for(lambda: received(devices["panel"], released), what="release")[0].json()
    assert panel["params"]["transition_duration"] == 3
    # A fade, not a jump: the ceiling is seen between full and the session's level.
    wait_for(
        lambda: level + 0.05 < devices["ceiling"].level().brightness < 0.95,
        what="the ceiling on its way back down",
    )
    for name, device in devices.items():
        wait_for(
            lambda d=device: abs(d.level().brightness - level) < 0.02,
            timeout=3,
            what=f"{name} back at the session's level",
        )
        assert all(
            (b := commanded_brightness(device.kind, s.text)) is None or b >= level - 0.02
            for s in received(device, released)
        ), name

    resumed = time.monotonic()
    assert sup.command("resume")["ok"] is True
    running = sup.wait_state(lambda s: s["status"] == "running", resumed).json()
    assert abs(running["elapsed_s"] - elapsed) < 0.2
    go = wait_for(lambda: received(devices["ceiling"], resumed), what="the fade going on")
    assert go[-1].json()["brightness"] == round(0.6 * 254)


def test_emergency_outside_a_session_and_release_to_where_it_was(serve_room: RigFactory) -> None:
    rig = serve_room({"warm": WARM}, speed=10)
    sup = rig.supervisor
    ceiling = rig.device("ceiling")

    def emergency_and_release(after: str) -> dict[str, Any]:
        sent = time.monotonic()
        assert sup.command("emergency")["ok"] is True
        state = sup.wait_state(lambda s: s["status"] == "emergency", sent).json()
        assert state["phase"] is None
        wait_for(lambda: received(ceiling, sent), what="the emergency command")
        assert received(ceiling, sent)[0].json() == ZIGBEE_EMERGENCY
        released = time.monotonic()
        reply = sup.command("release")
        assert reply == {
            "request_id": reply["request_id"],
            "ok": True,
            "status": after,
            "recorded": True,
        }
        sup.wait_state(lambda s: s["status"] == after, released)
        wait_for(lambda: ceiling.level().brightness == 102 / 254, what="standby again")
        assert received(ceiling, released)[-1].json()["brightness"] == 102
        assert sup.command("release")["ok"] is False
        assert sup.command("resume")["ok"] is False
        return dict(state)

    emergency_and_release("idle")

    # After a session was stopped: back to standby, and the ended session stays ended.
    assert sup.command("start", profile="warm")["ok"] is True
    stopped = time.monotonic()
    assert sup.command("stop")["ok"] is True
    ended = sup.wait_event("session_ended", stopped)
    wait_for(lambda: ceiling.level().brightness == 102 / 254, what="the stop's standby")
    state = emergency_and_release("ended")
    assert state["elapsed_s"] == ended["elapsed_s"]
    assert state["remaining_s"] == 0.0
    final = sup.state
    assert final["elapsed_s"] == ended["elapsed_s"] and final["phase"] is None
