"""`roomctl run` as a real process: online once serving, offline and exit 0 on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from roomctl.config.library import load_room
from roomctl.demo.sim.room import SimulatedRoom
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import (
    QUIET_S,
    ROOM_ID,
    Supervisor,
    clinic_files,
    received,
    room_yaml,
    run_command,
    set_lights_to_standby,
    wait_for,
)

RISE = """\
title: Rise
phases:
  - name: rise
    duration: 60s
    fade: 40s
    easing: linear
    lights:
      all: {brightness: 100%, color_temp: 3000K}
"""

# Starting Python and connecting takes about a second; a loaded CI machine may take longer.
SERVE_TIMEOUT_S = 15.0
# A clean stop publishes offline and disconnects within the bus's 3 s flush limit.
EXIT_TIMEOUT_S = 10.0
AVAILABILITY = f"roomctl/{ROOM_ID}/availability"
# Where the ceiling is clearly under way on RISE's fade from standby (40 %) to 100 %.
UNDER_WAY = 0.5


def test_run_serves_until_sigterm_and_leaves_the_lights_alone(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # Profiles come from sessions/ beside the room file's folder when --profiles is not given.
    room_file = clinic_files(tmp_path / "profiles", room_yaml(), {"rise": RISE})
    room = load_room(room_file)
    sim = SimulatedRoom(room, mosquitto.url)
    sim.start()
    log = (tmp_path / "roomctl.log").open("wb")
    command = run_command(room_file, mosquitto.url, tmp_path / "state", "--speed", "10")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    sup = Supervisor(mosquitto.url)
    try:
        sup.start()
        set_lights_to_standby(room, sim, sup.publish)
        online = wait_for(
            lambda: [s for s in sup.on(AVAILABILITY) if s.payload == b"online"],
            timeout=SERVE_TIMEOUT_S,
            what="availability online",
        )
        assert online
        sup.wait_state(lambda s: all(d["online"] for d in s["devices"].values()))
        # `online` is retained: a supervisor that comes later finds it too.
        late = Supervisor(mosquitto.url)
        late.start()
        wait_for(lambda: late.on(AVAILABILITY), what="retained availability")
        assert [s.payload for s in late.on(AVAILABILITY)] == [b"online"]
        late.stop()

        started = time.monotonic()
        assert sup.command("start", profile="rise")["ok"] is True
        ceiling = sim.devices["ceiling"]
        wait_for(lambda: received(ceiling, started), what="the ceiling's fade")
        wait_for(lambda: ceiling.level().brightness > UNDER_WAY, what="the fade under way")

        stopped = time.monotonic()
        level = ceiling.level().brightness
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=EXIT_TIMEOUT_S) == 0
        offline = wait_for(
            lambda: [s for s in sup.on(AVAILABILITY, stopped) if s.payload == b"offline"],
            what="availability offline",
        )
        assert offline
        later = Supervisor(mosquitto.url)
        later.start()
        wait_for(lambda: later.on(AVAILABILITY), what="retained availability")
        assert [s.payload for s in later.on(AVAILABILITY)] == [b"offline"]
        later.stop()
        # Nothing is sent to the lights at shutdown; the fade runs on in the bulb.
        time.sleep(QUIET_S)  # watching for a command that must not come
        for name, device in sim.devices.items():
            assert received(device, stopped) == [], name
        assert ceiling.level().brightness > level
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        sup.stop()
        sim.stop()
    assert f"serving {ROOM_ID}" in (tmp_path / "roomctl.log").read_text()
