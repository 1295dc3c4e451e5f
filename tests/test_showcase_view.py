"""The demo's live view: the time left runs down between two published states."""

from __future__ import annotations

import json
import time
from pathlib import Path

from rich.console import Console

from roomctl.api import iso_timestamp
from roomctl.config.library import load_room
from roomctl.demo.showcase import Showcase
from roomctl.demo.sim.room import SimulatedRoom
from tests.fixtures.room import ROOM_ID, room_yaml

# How long ago the last state came, in the view's (monotonic) time.
SINCE_STATE_S = 30.0


def test_the_time_left_runs_down_with_the_elapsed_time(tmp_path: Path) -> None:
    room_file = tmp_path / "room.yaml"
    room_file.write_text(room_yaml())
    showcase = Showcase(room_file, tmp_path, speed=2.0, sound=False)
    state = {
        "room": ROOM_ID,
        "status": "running",
        "profile": "demo",
        "session_id": "s1",
        "phase": "onset",
        "phase_index": 0,
        "phase_count": 2,
        "elapsed_s": 60.0,
        "phase_remaining_s": 240.0,
        "remaining_s": 540.0,
        "devices": {},
        "updated_at": iso_timestamp(time.time() - SINCE_STATE_S),
    }
    showcase._take(f"roomctl/{ROOM_ID}/state", json.dumps(state).encode())
    showcase._state["_received"] -= SINCE_STATE_S  # the state came 30 s ago, at 2x speed
    console = Console(record=True, width=120)
    console.print(showcase._view(SimulatedRoom(load_room(room_file), "mqtt://127.0.0.1:1")))
    text = console.export_text()
    # 60 s of session time later: 2m elapsed, 3m of the phase and 8m of the session left.
    assert "2m" in text
    assert "3m/8m" in text
