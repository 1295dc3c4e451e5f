"""The daemon over real MQTT: start, pause, resume, next, extend and stop, as devices see them."""

from __future__ import annotations

import itertools
import sqlite3
import time
from typing import Any

import pytest

import roomctl.runtime.worker
from roomctl.config.library import ProfileLibrary
from roomctl.core.levels import SILENCE, LightLevel
from roomctl.core.timeline import SessionPlan, Timeline, scene_lights
from roomctl.demo.sim._device import SimDevice
from roomctl.journal import Journal
from tests.fixtures.room import (
    QUIET_S,
    Rig,
    RigFactory,
    Sent,
    commanded_brightness,
    received,
    wait_for,
)

# Where a light is clearly mid-way through LONG's rise from standby (40 %) to 100 %: past
# a quarter of it (1 s of the 4 s wall fade at speed 10), short of its end.
MID_RISE = 0.55
# The cue test's session runs this long before its pause, and stays paused this long:
# the scenario is that a pause's time, not counted as session time, delays the cue.
RUN_BEFORE_PAUSE_S = 0.4
PAUSED_S = 0.5

# Two phases, linear, so a native light's whole fade is one command.
WARM = """\
title: Warm
phases:
  - name: arrival
    duration: 60s
    fade: 20s
    easing: linear
    lights:
      all: {brightness: 60%, color_temp: 3000K}
  - name: dim
    duration: 60s
    fade: 30s
    easing: linear
    lights:
      all: {brightness: 20%, color_temp: 2400K}
"""

# A long first fade (40 s of session time) to pause, skip or stop in the middle of.
LONG = """\
title: Long fade
phases:
  - name: rise
    duration: 60s
    fade: 40s
    easing: linear
    lights:
      all: {brightness: 100%, color_temp: 3000K}
  - name: dim
    duration: 60s
    fade: 60s
    easing: linear
    lights:
      all: {brightness: 10%, color_temp: 3000K}
"""

MISFIT = """\
title: Names a light the room lacks
phases:
  - name: only
    duration: 1m
    lights:
      window_lamp: {brightness: 50%}
"""


def expected_lights(rig: Rig, profile: str, at: float) -> dict[str, LightLevel]:
    """Return every light's level at session time `at`, played from standby."""
    loaded = ProfileLibrary(rig.profiles).load(profile, rig.room)
    standby = scene_lights(rig.room, rig.room.standby.lights, {})
    timeline = Timeline(loaded, rig.room, SessionPlan.from_profile(loaded), standby, SILENCE)
    return timeline.lights_at(at)


def last_json(sent: list[Sent]) -> dict[str, Any]:
    """Return the last command's JSON payload."""
    assert sent, "no command received"
    payload: dict[str, Any] = sent[-1].json()
    return payload


def test_start_sends_each_light_its_first_phase(serve_room: RigFactory) -> None:
    rig = serve_room({"warm": WARM}, speed=10)
    sup = rig.supervisor
    sent_at = time.monotonic()
    reply = sup.command("start", profile="warm", operator="kim")
    assert reply["ok"] is True and reply["status"] == "running"

    # The fade is 20 s of session time: 2 s of wall time at speed 10, one native command.
    ceiling = wait_for(lambda: received(rig.device("ceiling"), sent_at), what="ceiling command")
    assert ceiling[0].json() == {
        "state": "ON",
        "brightness": round(0.6 * 254),
        "color_temp": 333,
        "transition": 2,
    }
    strip = wait_for(lambda: received(rig.device("strip"), sent_at), what="strip command")
    assert strip[0].json()["bri"] == round(0.6 * 255)
    assert strip[0].json()["tt"] == 20
    assert strip[0].json()["seg"][0]["cct"] == 3000
    panel = wait_for(lambda: received(rig.device("panel"), sent_at), what="panel command")
    params = panel[0].json()["params"]
    assert params["on"] is True and params["brightness"] == 60
    assert params["transition_duration"] == 2
    cove = wait_for(lambda: received(rig.device("cove"), sent_at), what="cove command")
    assert cove[0].json() == {
        "state": "ON",
        "brightness": round(0.6 * 255),
        "color_temp": 333,
        "transition": 2,
    }
    # The Tasmota light steps (Speed2 is too short for session fades) and lands on target.
    wait_for(
        lambda: rig.device("lamp").level().brightness == 0.6, what="the lamp at 60 %", timeout=6
    )
    last = received(rig.device("lamp"), sent_at)[-1].text
    assert "Dimmer 60" in last and "CT 333" in last

    state = sup.state
    assert state["status"] == "running"
    assert state["profile"] == "warm"
    assert state["phase"] == "arrival"
    assert state["phase_index"] == 0
    assert state["phase_count"] == 2
    assert state["session_id"]
    started = sup.wait_event("session_started", sent_at)
    assert started["profile"] == "warm"
    assert started["session_id"] == state["session_id"]
    phase = sup.wait_event("phase_started", sent_at)
    assert (phase["phase"], phase["phase_index"]) == ("arrival", 0)
    for name, device in rig.sim.devices.items():
        wait_for(lambda d=device: abs(d.level().brightness - 0.6) < 0.01, what=f"{name} at 60 %")
    # A native linear fade is one command, and the hold after it sends nothing more.
    time.sleep(QUIET_S)  # watching for a command that must not come
    for name in ("ceiling", "strip", "panel", "cove"):
        assert len(received(rig.device(name), sent_at)) == 1, name


def test_start_is_refused_while_a_session_runs_and_for_bad_profiles(
    serve_room: RigFactory,
) -> None:
    rig = serve_room({"warm": WARM, "misfit": MISFIT}, speed=10)
    sup = rig.supervisor
    assert sup.command("start", profile="warm")["ok"] is True
    session_id = sup.wait_state(lambda s: s["status"] == "running").json()["session_id"]

    since = time.monotonic()
    again = sup.command("start", profile="warm")
    assert again["ok"] is False
    assert "stop" in again["error"]
    assert again["status"] == "running"
    rejected = sup.wait_event("command_rejected", since)
    assert "stop" in rejected["reason"]

    assert sup.command("pause")["ok"] is True
    paused_again = sup.command("start", profile="warm")
    assert paused_again["ok"] is False and "stop" in paused_again["error"]
    assert sup.command("stop")["ok"] is True

    unknown = sup.command("start", profile="nosuch")
    assert unknown["ok"] is False and "nosuch" in unknown["error"]
    misfit = sup.command("start", profile="misfit")
    assert misfit["ok"] is False and "window_lamp" in misfit["error"]
    state = sup.wait_state(lambda s: s["status"] == "ended").json()
    assert state["session_id"] == session_id
    wait_for(lambda: len(sup.events("command_rejected", since)) >= 4, what="4 rejections")
    assert len(sup.events("command_rejected", since)) == 4
    assert sup.events("session_started", since) == []


def test_start_at_loads_the_session_to_that_time(serve_room: RigFactory) -> None:
    rig = serve_room({"warm": WARM})
    sup = rig.supervisor
    sent_at = time.monotonic()
    # 65 s is 5 s into the second phase's 30 s fade from 60 % to 20 %.
    reply = sup.command("start", profile="warm", at="65s")
    assert reply["ok"] is True
    replied = time.monotonic()
    state = sup.wait_state(lambda s: s["status"] == "running", sent_at).json()
    assert state["phase"] == "dim" and state["phase_index"] == 1
    assert abs(state["elapsed_s"] - 65.0) < 0.5
    assert abs(state["phase_remaining_s"] - 55.0) < 0.5
    assert sup.wait_event("session_started", sent_at)["at_s"] == 65.0

    # Every light shows what playing the session to this time would show, straight away.
    for name in ("ceiling", "strip", "panel", "cove"):
        wait_for(lambda n=name: received(rig.device(n), sent_at), what=f"{name} command")
    for name in ("ceiling", "strip", "panel", "cove", "lamp"):
        device = rig.device(name)

        def there(d: SimDevice = device, n: str = name) -> bool:
            expected = expected_lights(rig, "warm", 65.0 + (time.monotonic() - replied))
            return abs(d.level().brightness - expected[n].brightness) < 0.02

        # Within a second: Shelly's shortest transition is 0.5 s, Tasmota's Backlog lags.
        wait_for(there, timeout=1.0, what=f"{name} at the session's level")


def test_pause_freezes_native_fades_and_resume_continues(serve_room: RigFactory) -> None:
    rig = serve_room({"long": LONG}, speed=10)
    sup = rig.supervisor
    started = time.monotonic()
    assert sup.command("start", profile="long")["ok"] is True
    first = sup.wait_state(lambda s: s["status"] == "running", started)
    before, before_at = first.json(), first.at
    ceiling = rig.device("ceiling")
    wait_for(lambda: ceiling.level().brightness > MID_RISE, what="the ceiling mid-way up")

    shown = rig.sim.levels()
    paused_at = time.monotonic()
    reply = sup.command("pause", operator="kim")
    assert reply["ok"] is True and reply["status"] == "paused"
    paused = sup.wait_state(lambda s: s["status"] == "paused", paused_at).json()
    assert paused["paused_by"] == "kim"
    assert sup.wait_event("paused", paused_at)["by"] == "kim"

    # The native fade is stopped on the bulb: transition 0 where it had got to. The
    # light moves 15 % a second, so it may have gone on a little since `shown`. A light's
    # freeze is its last command: a step sent just before the daemon took the pause may
    # still arrive after `paused_at`, ahead of it.
    def frozen_ceiling() -> dict[str, Any] | None:
        commands = received(ceiling, paused_at)
        last: dict[str, Any] | None = commands[-1].json() if commands else None
        return last if last is not None and last["transition"] == 0 else None

    freeze = wait_for(frozen_ceiling, what="the freeze command")
    assert 0.3 < shown["ceiling"].brightness < 0.9  # really mid-fade
    assert -0.01 < freeze["brightness"] / 254 - shown["ceiling"].brightness < 0.04

    def last_commands() -> dict[str, float | None] | None:
        got = {name: received(device, paused_at) for name, device in rig.sim.devices.items()}
        if not all(got.values()):
            return None
        kinds = {name: device.kind for name, device in rig.sim.devices.items()}
        return {
            name: commanded_brightness(kinds[name], cmds[-1].text) for name, cmds in got.items()
        }

    def at_freeze(told: dict[str, float | None]) -> bool:
        return all(
            abs(rig.device(n).level().brightness - (b or 0.0)) < 0.006 for n, b in told.items()
        )

    def stays_at_freeze() -> dict[str, float | None] | None:
        told = last_commands()
        if told is None or not at_freeze(told):
            return None
        # Watching for a light that moves on: one still fading would go 4.5 points meanwhile.
        time.sleep(QUIET_S)
        return told if last_commands() == told and at_freeze(told) else None

    # Every light stops at its freeze level and stays there. The stepped Tasmota light may
    # pass it first: its Backlog finishes the step it held before it takes the freeze.
    told = wait_for(stays_at_freeze, what="every light to stay at its freeze level")
    # The stepped Tasmota light is left out: its Backlog runs 200 ms a command behind.
    for name in ("ceiling", "strip", "panel", "cove"):
        assert -0.01 < (told[name] or 0.0) - shown[name].brightness < 0.04, name
    still = rig.sim.levels()
    # One freeze per light (after at most one step already on its way) and nothing else
    # while paused.
    for name, device in rig.sim.devices.items():
        commands = received(device, paused_at)
        assert len(commands) <= 2, name
        assert commanded_brightness(device.kind, commands[-1].text) == told[name], name

    resumed_at = time.monotonic()
    pause_length = resumed_at - paused_at
    assert sup.command("resume", operator="kim")["ok"] is True
    resumed = sup.wait_state(lambda s: s["status"] == "running", resumed_at)
    state = resumed.json()
    assert abs(state["elapsed_s"] - paused["elapsed_s"]) < 0.5
    assert state["paused_by"] is None
    assert sup.wait_event("resumed", resumed_at)["paused_s"] >= pause_length - 0.1
    # The phase ends later by the pause's length (in wall time).
    end_before = before_at + before["phase_remaining_s"] / rig.speed
    end_after = resumed.at + state["phase_remaining_s"] / rig.speed
    assert abs(end_after - end_before - pause_length) < 0.25
    # The ceiling heads on to 100 % over what was left of the fade, from where it stood.
    first = wait_for(lambda: received(ceiling, resumed_at), what="the resumed fade")[0]
    go = first.json()
    level, since = ceiling.level().brightness, time.monotonic() - first.at
    assert go["brightness"] == 254
    left = (40.0 - state["elapsed_s"]) / rig.speed
    assert abs(go["transition"] - left) <= 0.2
    # From where it stood: its frozen level, plus what the fade has done since the command
    # came (read a moment later; on a busy machine that moment can be 100 ms or more).
    rate = (1.0 - still["ceiling"].brightness) / go["transition"]
    assert -0.03 < level - still["ceiling"].brightness < 0.03 + rate * since


def test_next_mid_fade_starts_the_next_phase_from_the_current_level(
    serve_room: RigFactory,
) -> None:
    rig = serve_room({"long": LONG}, speed=10)
    sup = rig.supervisor
    assert sup.command("start", profile="long")["ok"] is True
    ceiling = rig.device("ceiling")
    wait_for(lambda: ceiling.level().brightness > MID_RISE, what="the ceiling mid-way up")

    level_before = ceiling.level().brightness
    sent_at = time.monotonic()
    reply = sup.command("next", operator="kim")
    assert reply["ok"] is True
    skipped = sup.wait_state(lambda s: s["phase"] == "dim", sent_at).json()
    assert skipped["phase_index"] == 1
    assert sup.wait_event("skipped", sent_at)["by"] == "kim"
    assert sup.wait_event("phase_started", sent_at)["phase"] == "dim"
    fade = wait_for(lambda: received(ceiling, sent_at), what="the next phase's fade")[0]
    go = fade.json()
    level, since = ceiling.level().brightness, time.monotonic() - fade.at
    # The dim phase fades to 10 % over 60 s of session time: 6 s wall.
    assert go["brightness"] == round(0.1 * 254)
    assert abs(go["transition"] - 6.0) <= 0.2
    # No jump: the light carries on from where the rise had brought it, less what the dim
    # fade has done since its command came (the reply waits for the disk, so the checks
    # above can take a second on a slow one, and the light dims ~0.075 a second).
    rate = (level_before - 0.1) / go["transition"]
    assert abs(level + rate * since - level_before) < 0.05
    # A step of the rise already on its way when `next` was handled may still arrive (a
    # stepped light's step heads for its next knot, and its next command then waits its
    # rate limit): at most one such command per light. From the next phase's first command
    # on, a light is only ever asked for less and less, never for more than it had (a fade
    # from the phase's start would ask for 100 %).
    for name, device in rig.sim.devices.items():

        def next_phase(d: Any = device) -> tuple[list[float | None], int] | None:
            asked = [commanded_brightness(d.kind, m.text) for m in received(d, sent_at)]
            lower = [i for i, a in enumerate(asked) if a is None or a <= level_before + 0.05]
            return (asked, lower[0]) if lower else None

        _, first = wait_for(next_phase, what=f"{name}'s next phase")
        assert first <= 1, (name, "more than one step of the rise after the skip")
        time.sleep(QUIET_S)  # watching for a command that must not come
        asked, first = wait_for(next_phase, what=f"{name}'s next phase")
        heading = [a if a is not None else 0.0 for a in asked[first:]]
        assert all(b <= a + 0.02 for a, b in itertools.pairwise(heading)), (name, asked)


def test_extend_adds_time_to_the_current_phase(serve_room: RigFactory) -> None:
    rig = serve_room({"warm": WARM}, speed=20)
    sup = rig.supervisor
    assert sup.command("start", profile="warm")["ok"] is True
    for name, device in rig.sim.devices.items():
        wait_for(lambda d=device: abs(d.level().brightness - 0.6) < 0.01, what=f"{name} at 60 %")
    before = sup.states()[-1]
    sent_at = time.monotonic()
    reply = sup.command("extend", by="30s", operator="kim")
    assert reply["ok"] is True
    after = sup.wait_state(lambda s: True, sent_at)
    moved = (after.at - before.at) * rig.speed
    expected = before.json()["phase_remaining_s"] + 30.0 - moved
    assert abs(after.json()["phase_remaining_s"] - expected) < 1.0
    assert abs(after.json()["remaining_s"] - (before.json()["remaining_s"] + 30.0 - moved)) < 1.0
    event = sup.wait_event("extended", sent_at)
    assert event["added_s"] == 30.0 and event["by"] == "kim"
    # The lights hold where they are: nothing is sent to them.
    time.sleep(QUIET_S)  # watching for a command that must not come
    for name, device in rig.sim.devices.items():
        assert received(device, sent_at) == [], name


def test_stop_fades_to_standby_and_ends_the_session(serve_room: RigFactory) -> None:
    rig = serve_room({"warm": WARM}, speed=20)
    sup = rig.supervisor
    ceiling = rig.device("ceiling")
    assert sup.command("start", profile="warm")["ok"] is True
    wait_for(lambda: ceiling.level().brightness == 152 / 254, what="the first phase")

    stopped_at = time.monotonic()
    reply = sup.command("stop", operator="kim")
    assert reply["ok"] is True and reply["status"] == "ended"
    assert sup.wait_event("stopped", stopped_at)["by"] == "kim"
    assert sup.wait_event("session_ended", stopped_at)["reason"] == "stopped"
    state = sup.wait_state(lambda s: s["status"] == "ended", stopped_at).json()
    assert state["phase"] is None

    # 10 s to standby at speed 20: the native commands' transitions add up to 0.5 s and the
    # last one lands on standby: 40 % (102 of 254) at 3500 K (286 mireds).
    fade = 10.0 / rig.speed
    wait_for(lambda: ceiling.level().brightness == 102 / 254, what="standby", timeout=3)
    sent = received(ceiling, stopped_at)
    last = sent[-1].json()
    assert (last["brightness"], last["color_temp"]) == (102, 286)
    assert abs(sum(s.json()["transition"] for s in sent) - fade) <= 0.15
    assert abs(sent[-1].at + last["transition"] - (stopped_at + fade)) < 0.25
    for name in ("strip", "panel", "cove", "lamp"):
        device = rig.device(name)
        wait_for(lambda d=device: abs(d.level().brightness - 0.4) < 0.01, what=f"{name} standby")
    assert sup.command("pause")["ok"] is False


CUED = """\
title: Cued
phases:
  - name: only
    duration: 60s
    fade: 0s
    lights:
      all: {brightness: 60%, color_temp: 3000K}
    cues:
      - at: 10s
        notify: Check blood pressure
"""


def test_cues_fire_on_session_time_and_a_pause_delays_them(serve_room: RigFactory) -> None:
    rig = serve_room({"cued": CUED}, speed=10)
    sup = rig.supervisor
    started = time.monotonic()
    assert sup.command("start", profile="cued")["ok"] is True
    time.sleep(RUN_BEFORE_PAUSE_S)  # the scenario: session time before the pause
    assert sup.command("pause")["ok"] is True
    time.sleep(PAUSED_S)  # the scenario: paused time, which the cue must wait out
    assert sup.command("resume")["ok"] is True
    paused_for = sup.wait_event("resumed", started)["paused_s"]
    cue = sup.wait_event("cue", started)
    arrived = next(s.at for s in sup.on(sup.topics.events) if s.json()["type"] == "cue")
    assert cue["notify"] == "Check blood pressure"
    assert cue["phase"] == "only" and cue["at_s"] == 10.0
    # 10 s of session time is 1 s of wall time at speed 10, plus the pause.
    assert abs(arrived - started - (1.0 + paused_for)) < 0.25
    assert len(sup.events("cue", started)) == 1


def test_state_is_republished_while_a_session_runs_and_stands_still_paused(
    serve_room: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roomctl.runtime.worker, "HEARTBEAT_S", 0.3)
    rig = serve_room({"cued": CUED}, speed=10)
    sup = rig.supervisor
    started = time.monotonic()
    assert sup.command("start", profile="cued")["ok"] is True
    wait_for(lambda: len(sup.states(started)) >= 5, what="heartbeat states")
    running = [s.json()["elapsed_s"] for s in sup.states(started)]
    assert running == sorted(running) and running[-1] - running[0] >= 6.0
    paused_at = time.monotonic()
    assert sup.command("pause")["ok"] is True
    wait_for(lambda: len(sup.states(paused_at)) >= 4, what="heartbeat states while paused")
    paused = [s.json() for s in sup.states(paused_at)]
    assert all(s["status"] == "paused" for s in paused)
    assert len({s["elapsed_s"] for s in paused}) == 1
    assert len({s["updated_at"] for s in paused}) == len(paused)


# How long the busy-journal test holds the journal at most: past the cue (1 s) by enough
# that a room waiting for its heartbeat's write would show its cue late, and under the
# journal's 2-s busy timeout, so the writes wait rather than fail.
JOURNAL_HELD_S = 1.8


def test_a_busy_journal_does_not_hold_back_a_cue_and_loses_nothing(
    serve_room: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Heartbeats every 0.3 s give the room a journal write to make before the cue.
    monkeypatch.setattr(roomctl.runtime.worker, "HEARTBEAT_S", 0.3)
    rig = serve_room({"cued": CUED}, speed=10)
    sup = rig.supervisor
    started = time.monotonic()
    reply = sup.command("start", profile="cued")
    assert reply["ok"] is True
    # Another process holds the journal, as a slow disk would, across the cue (due 1 s
    # after the start at speed 10), for less than the journal's busy timeout.
    blocker = sqlite3.connect(rig.state_dir / "journal.sqlite3", timeout=5)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        wait_for(
            lambda: sup.events("cue", started),
            timeout=JOURNAL_HELD_S - (time.monotonic() - started),
            what="the cue while the journal is held",
        )
    finally:
        blocker.rollback()
        blocker.close()
    arrived = next(s.at for s in sup.on(sup.topics.events) if s.json()["type"] == "cue")
    assert arrived - started < 1.0 + 0.3
    session_id = sup.wait_event("session_started", started)["session_id"]
    journal = Journal(rig.state_dir, readonly=True)
    try:
        wait_for(
            lambda: "cue" in [e.type for e in journal.events(session_id)],
            what="the cue in the journal once it is free",
        )
        types = [e.type for e in journal.events(session_id)]
        assert types[:3] == ["session_started", "phase_started", "cue"]
    finally:
        journal.close()
    states = sup.states(started)
    assert states, "no state since the start"
    assert all("journal" not in s.json() for s in states)
