"""Lights reconciled from what they report: power cycles, changes by hand, silence, forgery."""

from __future__ import annotations

import time

import pytest

from roomctl.core import RECORD_CAP
from roomctl.core.levels import LightLevel
from roomctl.demo.sim._device import SimDevice
from roomctl.journal import Journal
from roomctl.runtime.lights import ANSWER_TIMEOUT_S
from roomctl.runtime.reconcile import ECHO_GRACE_S
from tests.fixtures.room import Rig, RigFactory, received, wait_for

# One light of each family; the cove (the red team's case) has no availability topic.
LIGHTS = """\
  ceiling: {type: zigbee2mqtt, topic: zigbee2mqtt/test/ceiling}
  lamp:    {type: tasmota, topic: test-lamp}
  cove:    {type: mqtt_json, command_topic: test/cove/set, state_topic: test/cove}
  strip:   {type: wled, topic: wled/test}
  panel:   {type: shelly, topic: shelly-test}
"""
LIMITS = "limits: {min_brightness: 10%}\n"

STEPS = """\
title: Steps
phases:
  - name: first
    duration: 10m
    fade: 0s
    lights: {all: {brightness: 60%, color_temp: 3000K}}
  - name: second
    duration: 10m
    fade: 0s
    lights: {all: {brightness: 30%, color_temp: 3000K}}
"""

# "Within a couple of seconds": the red team's cove stayed dark for 25 s.
REAPPLY_TIMEOUT_S = 2.5
# A device's brightness unit at worst (Tasmota's 1 %), to compare what a light shows.
UNIT = 0.011


def _at(device: SimDevice, brightness: float) -> bool:
    level = device.level()
    return level.on and abs(level.brightness - brightness) < UNIT


def _serve(serve_room: RigFactory) -> Rig:
    return serve_room({"steps": STEPS}, devices=LIGHTS, extra=LIMITS)


def _settle(device: SimDevice) -> None:
    """Wait until roomctl's last command to a light is older than the echo grace."""
    wait_for(
        lambda: time.monotonic() - max(at for at, _t, _p in device.received) > ECHO_GRACE_S,
        timeout=ECHO_GRACE_S + 5,
        what="the last command to settle",
    )


@pytest.mark.parametrize("name", ["cove", "ceiling", "lamp", "strip", "panel"])
@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_a_power_cycled_light_gets_the_sessions_level_again(
    serve_room: RigFactory, name: str, paused: bool
) -> None:
    rig = _serve(serve_room)
    sup = rig.supervisor
    light = rig.device(name)
    assert sup.command("start", profile="steps")["ok"] is True
    wait_for(lambda: _at(light, 0.6), what=f"{name} at 60 %")
    if paused:
        assert sup.command("pause")["ok"] is True
    _settle(light)

    cycled = time.monotonic()
    light.power_cycle()  # it boots off and announces itself as that family does
    wait_for(lambda: _at(light, 0.6), timeout=REAPPLY_TIMEOUT_S, what=f"{name} back at 60 %")
    sent = received(light, cycled)
    assert sent, "roomctl sent the light nothing"
    assert sup.state["status"] == ("paused" if paused else "running")
    assert not sup.events("manual_change", cycled)


def test_a_power_cycle_just_after_a_command_is_not_taken_for_its_echo(
    serve_room: RigFactory,
) -> None:
    rig = _serve(serve_room)
    cove = rig.device("cove")
    assert rig.supervisor.command("start", profile="steps")["ok"] is True
    wait_for(lambda: _at(cove, 0.6), what="cove at 60 %")
    cove.power_cycle()  # its OFF report comes while the start's command is fresh
    wait_for(lambda: _at(cove, 0.6), timeout=ECHO_GRACE_S + REAPPLY_TIMEOUT_S, what="60 %")
    assert rig.supervisor.wait_event("device_restored")["device"] == "cove"


def test_a_change_by_hand_is_kept_until_the_next_phase_and_recorded(
    serve_room: RigFactory,
) -> None:
    rig = _serve(serve_room)
    sup = rig.supervisor
    ceiling, lamp = rig.device("ceiling"), rig.device("lamp")
    assert sup.command("start", profile="steps")["ok"] is True
    wait_for(lambda: _at(ceiling, 0.6) and _at(lamp, 0.6), what="60 %")
    _settle(ceiling)
    _settle(lamp)

    changed = time.monotonic()
    ceiling.change_by_hand(LightLevel(on=True, brightness=0.8))
    lamp.change_by_hand(LightLevel(on=True, brightness=0.02))  # below the room's 10 %
    event = sup.wait_event("manual_change", changed)
    assert event["device"] in ("ceiling", "lamp")
    state = sup.wait_state(
        lambda s: "manual" in s["devices"]["ceiling"] and "manual" in s["devices"]["lamp"],
        changed,
    ).json()
    assert abs(state["devices"]["ceiling"]["manual"]["brightness"] - 0.8) < UNIT
    assert state["devices"]["lamp"]["manual"]["brightness"] == pytest.approx(0.1, abs=UNIT)
    assert state["devices"]["cove"].get("manual") is None
    # The lamp is raised to the room's floor; the ceiling keeps what was set at it.
    wait_for(lambda: _at(lamp, 0.1), what="the lamp raised to 10 %")
    assert _at(ceiling, 0.8)
    assert received(ceiling, changed) == []

    # The session goes on in the same phase (an extend re-plays it): the change holds.
    assert sup.command("extend", by="1m")["ok"] is True
    assert sup.command("extend", by="1m")["ok"] is True  # the first one's sends are done
    assert received(ceiling, changed) == []
    assert _at(ceiling, 0.8)

    # The next phase takes over again.
    moved = time.monotonic()
    assert sup.command("next")["ok"] is True
    wait_for(lambda: _at(ceiling, 0.3) and _at(lamp, 0.3), what="the next phase's 30 %")
    assert received(ceiling, moved)
    state = sup.wait_state(lambda s: "manual" not in s["devices"]["ceiling"], moved).json()
    assert "manual" not in state["devices"]["lamp"]

    journal = Journal(rig.state_dir, readonly=True)
    try:
        session_id = sup.state["session_id"]
        recorded = [e for e in journal.events(session_id) if e.type == "manual_change"]
    finally:
        journal.close()
    assert {e.data["device"] for e in recorded} == {"ceiling", "lamp"}
    lamp_kept = next(e.data["kept"] for e in recorded if e.data["device"] == "lamp")
    assert lamp_kept["brightness"] == pytest.approx(0.1, abs=UNIT)


def test_a_light_without_availability_that_stops_answering_shows_offline(
    serve_room: RigFactory,
) -> None:
    rig = _serve(serve_room)
    sup = rig.supervisor
    cove = rig.device("cove")
    assert sup.state["devices"]["cove"]["online"] is True  # its state reports say so
    assert sup.command("start", profile="steps")["ok"] is True
    wait_for(lambda: _at(cove, 0.6), what="cove at 60 %")

    gone = time.monotonic()
    cove.go_offline()  # no availability topic: nothing says it is gone
    assert sup.command("next")["ok"] is True
    events = wait_for(
        lambda: sup.events("device_offline", gone),
        timeout=ANSWER_TIMEOUT_S + 5,
        what="the cove's silence to show",
    )
    assert events[0]["device"] == "cove"
    assert time.monotonic() - gone > ANSWER_TIMEOUT_S
    state = sup.wait_state(lambda s: s["devices"]["cove"]["online"] is False, gone).json()
    assert state["devices"]["ceiling"]["online"] is True
    assert _at(cove, 0.6)  # it missed the next phase

    back = time.monotonic()
    cove.go_online()
    sup.wait_state(lambda s: s["devices"]["cove"]["online"] is True, back)
    wait_for(lambda: _at(cove, 0.3), timeout=REAPPLY_TIMEOUT_S, what="cove at 30 %")


# Forged availability pairs the red team sent.
FORGED_PAIRS = 500


def test_forged_device_news_is_shown_live_but_recorded_within_the_cap(
    serve_room: RigFactory,
) -> None:
    rig = _serve(serve_room)
    sup = rig.supervisor
    assert sup.command("start", profile="steps")["ok"] is True
    session_id = sup.state["session_id"]
    forged = time.monotonic()
    for _ in range(FORGED_PAIRS):
        sup.publish("tele/test-lamp/LWT", "Offline")
        sup.publish("tele/test-lamp/LWT", "Online")
    wait_for(
        lambda: len(sup.events("device_online", forged)) == FORGED_PAIRS,
        timeout=30,
        what="every forged online on the live stream",
    )
    assert len(sup.events("device_offline", forged)) == FORGED_PAIRS
    assert sup.command("stop")["ok"] is True  # what was recorded is on disk

    journal = Journal(rig.state_dir, readonly=True)
    try:
        recorded = [e for e in journal.events(session_id) if e.data.get("device") == "lamp"]
    finally:
        journal.close()
    news = [e for e in recorded if e.type in ("device_online", "device_offline")]
    assert len(news) == RECORD_CAP
    assert len(recorded) <= RECORD_CAP + 1  # and at most one summary of the rest
