#!/usr/bin/env python3
"""Run a room's lights as simulated devices on a broker, to try a room before its hardware."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from roomctl.config.library import load_room
from roomctl.config.problems import ConfigError
from roomctl.core.levels import LightLevel
from roomctl.demo.sim import SimulatedRoom
from roomctl.models import RoomPreset
from roomctl.mqtt.broker_url import is_embedded, parse_broker_url

DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
BROKER_ENV = "ROOMCTL_BROKER"
# How often the levels are shown: often enough to watch a fade, rare enough to read.
SHOW_EVERY_S = 1.0


def main(argv: list[str] | None = None) -> int:
    """Start the simulated lights and show their levels until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("room", type=Path, help="room preset, e.g. profiles/rooms/room-1.yaml")
    parser.add_argument(
        "--broker",
        help=f"broker URL (default: the room's broker, else ${BROKER_ENV}, else {DEFAULT_BROKER})",
    )
    parser.add_argument(
        "--broker-for",
        action="append",
        default=[],
        metavar="TYPE=URL",
        help="the broker URL (account) for one device type, e.g. "
        "tasmota=mqtts://tasmota:PASS@host:8883?ca=ca.pem; repeat per type",
    )
    args = parser.parse_args(argv)
    broker_for = dict(item.split("=", 1) for item in args.broker_for if "=" in item)
    if len(broker_for) != len(args.broker_for):
        parser.error("--broker-for takes TYPE=URL")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        room = load_room(args.room)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    broker = (
        args.broker or _room_broker(room.broker) or os.environ.get(BROKER_ENV) or DEFAULT_BROKER
    )
    try:
        sim = SimulatedRoom(room, broker, broker_for)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        sim.start()
    except (OSError, TimeoutError) as error:
        print(f"cannot start the simulated lights: {error}", file=sys.stderr)
        return 2
    print(
        f"{len(sim.devices)} simulated lights of {room.id} on {_shown(room, broker, broker_for)}; "
        "Ctrl-C stops them.",
        flush=True,
    )
    shown: dict[str, LightLevel] = {}
    try:
        while not stop.wait(SHOW_EVERY_S):
            for name, level in sim.levels().items():
                if shown.get(name) != level:
                    shown[name] = level
                    print(f"{name:>16}  {_describe(level)}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


def _shown(room: RoomPreset, broker: str, broker_for: dict[str, str]) -> str:
    """Return the brokers the lights use, passwords hidden."""
    urls = {broker_for.get(spec.type, broker) for spec in room.lights().values()}
    return ", ".join(sorted(str(parse_broker_url(url)) for url in urls))


def _room_broker(setting: str | None) -> str | None:
    """Return the room's broker URL, or None when it has none or uses roomctl's own broker."""
    if setting is None:
        return None
    if is_embedded(setting):
        print(
            "the room uses roomctl's embedded broker, which lives inside `roomctl run` and "
            f"listens on {DEFAULT_BROKER} when that port is free (give --broker with the URL "
            "`roomctl run` printed if it said another)",
            file=sys.stderr,
        )
        return None
    return setting


def _describe(level: LightLevel) -> str:
    """Return a light level as a person reads it: off, or brightness and colour."""
    if not level.on:
        return "off"
    text = f"{level.brightness * 100:5.1f} %"
    if level.mireds is not None:
        text += f"  {1_000_000 / level.mireds:5.0f} K"
    if level.color is not None:
        text += "  #" + "".join(f"{round(c):02x}" for c in level.color)
    return text


if __name__ == "__main__":
    sys.exit(main())
