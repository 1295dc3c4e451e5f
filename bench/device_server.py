#!/usr/bin/env python3
"""Run rooms' simulated lights in their own process, answering the bench over stdin/stdout.

The bench starts this as `python -m bench.device_server --broker URL ROOMFILE...`. It
starts every light of every room (roomctl.demo.sim), prints one JSON line `{"ready": ...}`,
then answers one JSON request per stdin line with one JSON line on stdout:

- `{"op": "wait", "room": R, "after": T, "settle": S, "timeout": S2}`: wait until every
  light of room R has received a command after monotonic time T and none has received
  one for S seconds (or S2 seconds passed); answer each light's last command
  [monotonic, topic, payload] (or null).
- `{"op": "levels", "room": R}`: what each light shows now: [on, brightness].
- `{"op": "received", "room": R, "after": T, "until": T2}`: each light's commands that
  arrived in (T, T2]: [[monotonic, topic, payload], ...].
- `{"op": "count"}`: how many commands all lights have received.
- `{"op": "topics"}`: the topic filters every light listens on (for the bench's tap).
- `{"op": "reached", "room": R, "after": T, "timeout": S}`: wait until every light of
  room R has received a full-brightness command (the emergency scene's) after monotonic
  time T, or S seconds passed; answer each light's first such arrival (or null).

Arrival times are `time.monotonic()`, which on Linux is one clock for every process of
the machine, so the bench compares them with its own send times directly.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.devices import full_brightness
from roomctl.config.library import load_room
from roomctl.demo.sim import Received, SimulatedRoom

# How often `wait` looks at the lights' logs: 1 ms keeps its own delay below the
# latencies measured (tens of ms) at negligible CPU for the few seconds it polls.
POLL_S = 0.001


def _arrivals_after(room: SimulatedRoom, after: float) -> dict[str, Received | None]:
    """Return each light's last command if it arrived after `after`, else None."""
    last: dict[str, Received | None] = {}
    for name, device in room.devices.items():
        received = device.received
        entry = received[-1] if received else None
        last[name] = entry if entry is not None and entry[0] > after else None
    return last


def _wait(room: SimulatedRoom, after: float, settle: float, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        last = _arrivals_after(room, after)
        stamps = [entry[0] for entry in last.values() if entry is not None]
        now = time.monotonic()
        if len(stamps) == len(last) and now - max(stamps) >= settle:
            break
        if now > deadline:
            break
        time.sleep(POLL_S)
    return {"last": last}


def _first_full(received: list[Received], after: float) -> float | None:
    """Return when the first full-brightness command after `after` arrived, or None."""
    first = None
    for stamp, _topic, payload in reversed(received):
        if stamp <= after:
            break
        if full_brightness(payload):
            first = stamp
    return first


def _reached(room: SimulatedRoom, after: float, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        first = {name: _first_full(d.received, after) for name, d in room.devices.items()}
        if all(v is not None for v in first.values()) or time.monotonic() > deadline:
            return {"first": first}
        time.sleep(POLL_S)


def _levels(room: SimulatedRoom) -> dict[str, Any]:
    return {
        "levels": {
            name: [level.on, round(level.brightness, 4)] for name, level in room.levels().items()
        }
    }


def _received(room: SimulatedRoom, after: float, until: float) -> dict[str, Any]:
    return {
        "messages": {
            name: [list(entry) for entry in list(device.received) if after < entry[0] <= until]
            for name, device in room.devices.items()
        }
    }


def _answer(rooms: dict[str, SimulatedRoom], request: dict[str, Any]) -> dict[str, Any]:
    op = request["op"]
    if op == "count":
        total = sum(len(d.received) for r in rooms.values() for d in r.devices.values())
        return {"count": total}
    if op == "topics":
        topics = {t for r in rooms.values() for d in r.devices.values() for t in d.topics}
        return {"topics": sorted(topics)}
    room = rooms[request["room"]]
    if op == "wait":
        return _wait(room, request["after"], request["settle"], request["timeout"])
    if op == "reached":
        return _reached(room, request["after"], request["timeout"])
    if op == "levels":
        return _levels(room)
    if op == "received":
        return _received(room, request["after"], request["until"])
    raise ValueError(f"unknown op {op!r}")


def main() -> int:
    """Start the lights, say ready, answer requests until stdin closes."""
    args = sys.argv[1:]
    if len(args) < 3 or args[0] != "--broker":
        print("usage: python -m bench.device_server --broker URL ROOMFILE...", file=sys.stderr)
        return 2
    broker, files = args[1], args[2:]
    rooms: dict[str, SimulatedRoom] = {}
    for path in files:
        preset = load_room(Path(path))
        room = SimulatedRoom(preset, broker)
        room.start()
        rooms[preset.id] = room
    print(json.dumps({"ready": sorted(rooms)}), flush=True)
    try:
        for line in sys.stdin:
            print(json.dumps(_answer(rooms, json.loads(line))), flush=True)
    finally:
        for room in rooms.values():
            room.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
