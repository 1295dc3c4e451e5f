"""What the lights get from the daemon: limits, the zigbee rate limit, and device health."""

from __future__ import annotations

import time

from tests.fixtures.room import (
    RigFactory,
    Sent,
    commanded_brightness,
    received,
    wait_for,
    zigbee_lights,
)

# Down to the room's 20 % floor, off (a fade down to it), and on again from off.
LOW = """\
title: Low
phases:
  - name: low
    duration: 10s
    fade: 5s
    lights: {all: {brightness: 20%}}
  - name: out
    duration: 30s
    fade: 3s
    lights: {all: off}
  - name: back
    duration: 10s
    fade: 5s
    lights: {all: {brightness: 30%, color_temp: 2700K}}
"""

# Black asks for no light at all: the room's floor holds whatever the colour.
BLACK = """\
title: Black
phases:
  - name: dark
    duration: 60s
    fade: 0s
    lights: {all: {brightness: 50%, color: "#000000"}}
"""

BRIGHT = """\
title: Bright
phases:
  - name: bright
    duration: 60s
    fade: 3s
    lights: {all: {brightness: 90%, color_temp: 4000K}}
"""

STEPS = """\
title: Steps
phases:
  - name: first
    duration: 60s
    fade: 0s
    lights: {all: {brightness: 60%}}
  - name: second
    duration: 60s
    fade: 0s
    lights: {all: {brightness: 30%}}
"""

# A device's smallest brightness unit, as a fraction: zigbee2mqtt's 1 of 254.
ONE_UNIT = 1 / 254
# Broker and thread jitter between two sends of the rate limiter, as they arrive.
ARRIVAL_JITTER_S = 0.1


def test_no_light_goes_below_the_rooms_minimum(serve_room: RigFactory) -> None:
    rig = serve_room({"low": LOW}, extra="limits: {min_brightness: 20%}\n", speed=20)
    sup = rig.supervisor
    # From just before the fade to off; then an emergency while everything is off, and
    # its release back to off; then on again from off.
    since = time.monotonic()
    assert sup.command("start", profile="low", at="9s")["ok"] is True
    wait_for(
        lambda: all(not d.level().on for d in rig.sim.devices.values()),
        what="every light off",
    )
    assert sup.command("emergency")["ok"] is True
    for name, device in rig.sim.devices.items():
        wait_for(lambda d=device: d.level().brightness == 1.0, what=f"{name} at 100 %")
    released = time.monotonic()
    assert sup.command("release")["ok"] is True
    wait_for(
        lambda: all(not d.level().on for d in rig.sim.devices.values()),
        timeout=3,
        what="every light off again",
    )
    assert sup.command("resume")["ok"] is True
    wait_for(lambda: sup.events("session_ended", released), timeout=10, what="the end")
    ended = time.monotonic()
    offs = 0
    for name, device in rig.sim.devices.items():
        asked = [commanded_brightness(device.kind, s.text) for s in received(device, since, ended)]
        lit = [b for b in asked if b is not None]
        offs += asked.count(None)
        assert min(lit) >= 0.2 - ONE_UNIT, (name, min(lit))
        assert min(lit) <= 0.2 + 0.01, (name, min(lit))  # the floor was reached
    assert offs >= 2 * len(rig.sim.devices)  # the explicit offs did go out


def _window_counts(times: list[float], window: float) -> int:
    """Return the most arrivals within any window of `window` seconds."""
    times = sorted(times)
    most = 0
    for i, start in enumerate(times):
        most = max(most, sum(1 for t in times[i:] if t < start + window))
    return most


def test_zigbee_commands_keep_to_the_network_rate(serve_room: RigFactory) -> None:
    rig = serve_room({"bright": BRIGHT}, devices=zigbee_lights(8))
    sup = rig.supervisor
    since = time.monotonic()
    assert sup.command("start", profile="bright")["ok"] is True
    for name, device in rig.sim.devices.items():
        wait_for(
            lambda d=device: d.level().brightness == round(0.9 * 254) / 254,
            timeout=8,
            what=f"{name} at 90 %",
        )
    # Every command of the start has arrived: each light shows the level it was sent.
    sent: list[Sent] = [s for d in rig.sim.devices.values() for s in received(d, since)]
    times = sorted(s.at for s in sent)
    assert len(times) >= 8
    # The queue really was busy: 8 commands at 5 a second take at least 1.4 s to go out.
    assert times[-1] - times[0] >= (len(times) - 1) / 5 - ARRIVAL_JITTER_S
    # At most 5 a second (the default zigbee2mqtt rate) in any window, allowing jitter.
    assert _window_counts([s.at for s in sent], 1.0 - ARRIVAL_JITTER_S) <= 5
    # Every light had its fair turn early on: each got its first command within 2 s.
    for name, device in rig.sim.devices.items():
        assert received(device, since)[0].at - since < 2.0, name


def test_a_light_that_goes_offline_and_comes_back_gets_its_current_level(
    serve_room: RigFactory,
) -> None:
    rig = serve_room({"steps": STEPS}, speed=10)
    sup = rig.supervisor
    ceiling = rig.device("ceiling")
    assert sup.command("start", profile="steps")["ok"] is True
    wait_for(lambda: ceiling.level().brightness == round(0.6 * 254) / 254, what="60 %")

    gone = time.monotonic()
    ceiling.go_offline()
    assert sup.wait_event("device_offline", gone)["device"] == "ceiling"
    state = sup.wait_state(lambda s: s["devices"]["ceiling"]["online"] is False, gone).json()
    assert state["devices"]["lamp"]["online"] is True
    assert state["status"] == "running"
    # The session moves on while the light is away; it misses the change to 30 %.
    assert sup.command("next")["ok"] is True
    wait_for(lambda: abs(rig.device("cove").level().brightness - 0.3) < 0.01, what="30 %")
    assert ceiling.level().brightness == round(0.6 * 254) / 254

    back = time.monotonic()
    ceiling.go_online()
    assert sup.wait_event("device_online", back)["device"] == "ceiling"
    sup.wait_state(lambda s: s["devices"]["ceiling"]["online"] is True, back)
    given = wait_for(lambda: received(ceiling, back), what="the light's current level")
    assert given[0].json()["brightness"] == round(0.3 * 254)
    assert given[0].json()["transition"] == 0
    wait_for(lambda: ceiling.level().brightness == round(0.3 * 254) / 254, what="30 %")


def test_a_black_phase_starts_and_every_light_shows_the_floor(serve_room: RigFactory) -> None:
    rig = serve_room({"black": BLACK}, extra="limits: {min_brightness: 20%}\n")
    sup = rig.supervisor
    since = time.monotonic()
    # Limits clamp, they do not refuse: one profile serves rooms with different floors.
    assert sup.command("start", profile="black")["ok"] is True
    for name, device in rig.sim.devices.items():
        # What the simulated light emits: its brightness times its colour's value.
        wait_for(
            lambda d=device: d.level().on and abs(d.level().brightness - 0.2) <= 0.01,
            what=f"{name} at the 20 % floor",
        )
    for name, device in rig.sim.devices.items():
        asked = [commanded_brightness(device.kind, s.text) for s in received(device, since)]
        assert asked and min(b for b in asked if b is not None) >= 0.2 - ONE_UNIT, name
        assert device.level().brightness >= 0.2 - ONE_UNIT, name
        # Not black on the wire: black has no hue and lights in neutral white.
        assert "#000000" not in received(device, since)[-1].text, name
