"""The broker restarts mid-session: the daemon comes back with its retained topics and its time."""

from __future__ import annotations

import time
from datetime import datetime

from tests.fixtures.room import ROOM_ID, RigFactory, Supervisor, received, wait_for

HOLD = """\
title: Hold
phases:
  - name: hold
    duration: 10m
    fade: 0s
    lights:
      all: {brightness: 60%, color_temp: 3000K}
"""

# The daemon's first reconnect comes within 0.5 s, the next within 1 s, and so on; the
# simulated lights retry after 1, 2, 4 then every 5 s. A loaded 2-core CI machine can
# miss two of their tries, so allow three rounds of the longest.
RECONNECT_TIMEOUT_S = 20.0
# How long the broker stays down: the outage's time must count as session time.
OUTAGE_S = 1.0


def _wall(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_a_broker_restart_keeps_the_session_and_its_retained_topics(
    serve_room: RigFactory,
) -> None:
    rig = serve_room({"hold": HOLD})
    sup = rig.supervisor
    since = time.monotonic()
    assert sup.command("start", profile="hold")["ok"] is True
    started = _wall(sup.wait_event("session_started", since)["ts"])
    session_id = sup.wait_state(lambda s: s["status"] == "running").json()["session_id"]
    ceiling = rig.device("ceiling")
    wait_for(lambda: ceiling.level().brightness == round(0.6 * 254) / 254, what="60 %")

    rig.broker.stop()  # Mosquitto keeps nothing: every retained message is gone
    time.sleep(OUTAGE_S)  # the scenario: the broker is away this long
    rig.broker.start()
    restarted, restarted_wall = time.monotonic(), time.time()

    # A supervisor that connects afresh finds the room online and its state, in time.
    late = Supervisor(rig.broker.url)
    late.start()
    try:
        availability = wait_for(
            lambda: late.on(f"roomctl/{ROOM_ID}/availability"),
            timeout=RECONNECT_TIMEOUT_S,
            what="retained availability",
        )
        assert availability[-1].payload == b"online"
        # The state is published afresh (not only the copy kept from before the outage).
        # Mosquitto sends every client's will as it stops, so the lights are reported
        # offline, then online again as they reconnect.
        fresh = late.wait_state(
            lambda s: (
                s["status"] == "running"
                and _wall(s["updated_at"]) >= restarted_wall
                and set(s["devices"]) == set(rig.sim.devices)
                and all(d["online"] is True for d in s["devices"].values())
            ),
            what="a fresh retained state with every light online",
            timeout=RECONNECT_TIMEOUT_S,
        ).json()
        assert fresh["session_id"] == session_id
        truth = _wall(fresh["updated_at"]) - started
        assert abs(fresh["elapsed_s"] - truth) < 1.0
        assert fresh["elapsed_s"] > OUTAGE_S  # the outage counted as session time

        # Commands work again, and the session's time still is true.
        paused = time.monotonic()
        assert late.command("pause", operator="kim")["ok"] is True
        after = late.wait_state(lambda s: s["status"] == "paused", paused).json()
        assert abs(after["elapsed_s"] - (_wall(after["updated_at"]) - started)) < 1.0
        assert late.wait_event("paused", paused)["by"] == "kim"
    finally:
        late.stop()
    # The lights kept their level through it all: the ceiling shows 60 %, and nothing sent
    # to it since the restart asked for another level. Nothing at all may have been sent:
    # the level goes again only to a light the daemon saw drop off, and a daemon that is
    # back after its lights sees none drop (one run in eight here).
    assert ceiling.level().brightness == round(0.6 * 254) / 254
    asked = {s.json()["brightness"] for s in received(ceiling, restarted)}
    assert asked <= {152}, asked
