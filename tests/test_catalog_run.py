"""`roomctl run` publishes the retained catalog of each room, and again when its profiles change."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import ROOM_ID, Supervisor, clinic_files, room_yaml, run_command, wait_for

# From standby (40 % at 3500 K) to 100 % at 3000 K, straight, over 40 s of 60.
RISE = """\
title: Rise
description: Up to full light.
phases:
  - name: rise
    duration: 60s
    fade: 40s
    easing: linear
    lights:
      all: {brightness: 100%, color_temp: 3000K}
    cues:
      - {at: 30s, notify: Check the client}
"""
# Names a light the test room does not have.
MISFIT = """\
title: Misfit
phases:
  - name: one
    duration: 1m
    lights:
      readng_lamp: {brightness: 50%}
"""
CALM = """\
title: Calm
phases:
  - name: calm
    duration: 2m
    lights:
      all: off
    sound: {source: noise:pink, volume: -20 dB}
"""
# Starting Python and connecting takes about a second; a loaded CI machine may take longer.
SERVE_TIMEOUT_S = 15.0
# A change is seen within the 2-s poll; building and publishing takes milliseconds.
CHANGE_TIMEOUT_S = 15.0
EXIT_TIMEOUT_S = 10.0
CATALOG = f"roomctl/{ROOM_ID}/catalog"


def _catalogs(sup: Supervisor) -> list[dict[str, Any]]:
    return [seen.json() for seen in sup.on(CATALOG)]


def _latest_with(sup: Supervisor, predicate: Any) -> Any:
    found = [c for c in _catalogs(sup) if predicate(c)]
    return found[-1] if found else None


def _profile(catalog: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in catalog["profiles"] if p["name"] == name), None)


def test_run_publishes_the_catalog_and_publishes_it_again_when_a_profile_changes(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    room_file = clinic_files(tmp_path / "clinic", room_yaml(), {"rise": RISE, "misfit": MISFIT})
    sessions = tmp_path / "clinic" / "sessions"
    log = (tmp_path / "roomctl.log").open("wb")
    command = run_command(room_file, mosquitto.url, tmp_path / "state")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg")}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    watcher = Supervisor(mosquitto.url)
    late: Supervisor | None = None
    try:
        watcher.start()
        wait_for(lambda: watcher.on(CATALOG), timeout=SERVE_TIMEOUT_S, what="the catalog")
        # Retained: a console that connects later gets it at once.
        late = Supervisor(mosquitto.url)
        late.start()
        (catalog,) = wait_for(lambda: _catalogs(late), what="the retained catalog")
        assert catalog["room"] == ROOM_ID
        assert [p["name"] for p in catalog["profiles"]] == ["rise"]
        rise = catalog["profiles"][0]
        assert (rise["title"], rise["description"], rise["duration_s"]) == (
            "Rise",
            "Up to full light.",
            60.0,
        )
        (phase,) = rise["phases"]
        assert (phase["name"], phase["start_s"], phase["end_s"], phase["fade_s"]) == (
            "rise",
            0.0,
            60.0,
            40.0,
        )
        assert phase["cues"] == [{"id": "0.0", "at_s": 30.0, "notify": "Check the client"}]
        # A linear fade is drawn by its ends: standby, full light at 40 s, held to 60 s.
        assert phase["points"] == [
            [0.0, 0.4, 286, 0.0],
            [40.0, 1.0, 333, 0.0],
            [60.0, 1.0, 333, 0.0],
        ]
        (problem,) = catalog["problems"]
        assert problem["profile"] == "misfit"
        assert problem["error"].startswith(
            f"phases[0].lights.readng_lamp: room '{ROOM_ID}' has no light or group 'readng_lamp'"
        )
        assert str(tmp_path) not in late.on(CATALOG)[0].payload.decode()

        # A profile added: published again with it, sound and all.
        (sessions / "calm.yaml").write_text(CALM)
        added = wait_for(
            lambda: _latest_with(late, lambda c: _profile(c, "calm")),
            timeout=CHANGE_TIMEOUT_S,
            what="the catalog with calm",
        )
        calm = _profile(added, "calm")
        assert calm is not None
        assert calm["phases"][0]["points"] == [[0.0, 0.0, None, 0.1], [120.0, 0.0, None, 0.1]]
        # A profile changed: its new fade is in the next catalog.
        (sessions / "rise.yaml").write_text(RISE.replace("fade: 40s", "fade: 20s"))
        changed = wait_for(
            lambda: _latest_with(
                late, lambda c: (_profile(c, "rise") or {})["phases"][0]["fade_s"] == 20.0
            ),
            timeout=CHANGE_TIMEOUT_S,
            what="the catalog with rise's new fade",
        )
        assert _profile(changed, "rise") is not None
        assert _profile(changed, "calm") is not None
        assert changed["problems"][0]["profile"] == "misfit"
        # A profile mended: it leaves the problems for the profiles.
        (sessions / "misfit.yaml").write_text(MISFIT.replace("readng_lamp", "lamp"))
        mended = wait_for(
            lambda: _latest_with(late, lambda c: _profile(c, "misfit")),
            timeout=CHANGE_TIMEOUT_S,
            what="the catalog with misfit mended",
        )
        assert mended["problems"] == []
        assert [p["name"] for p in mended["profiles"]] == ["calm", "misfit", "rise"]

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=EXIT_TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        watcher.stop()
        if late is not None:
            late.stop()
