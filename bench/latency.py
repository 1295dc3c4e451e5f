"""Time pause and emergency from a supervisor's command to the lights, and the MQTT baseline."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bench.devices import DeviceProcess, full_brightness
from bench.stats import Spread
from bench.supervisor import Supervisor
from bench.tap import Tap

# After the last light's command, this long without another means the burst is over.
SETTLE_S = 0.03
# A light that has no command this long after a pause or emergency counts as missed.
LIGHT_TIMEOUT_S = 3.0
# Between one room's resume and the next pause in the rotation: random, so a pause lands
# at any moment of a fade step's cycle. With four rooms in rotation each room has run on
# for most of a second since its own resume, as a session does between staff actions.
PAUSE_GAP_S = (0.05, 0.25)
# Between resume and the next emergency: the resume re-plans all twelve fades at once,
# so the six Zigbee lights' commands queue behind their network's 5/s for over a second;
# an emergency within this gap always finds that queue full.
EMERGENCY_GAP_S = (0.1, 0.3)


def _last(lights_s: dict[str, float | None]) -> float | None:
    """Return when the last light had its command, or None if one never did."""
    values = list(lights_s.values())
    return None if any(v is None for v in values) else max(v for v in values if v)


@dataclass(frozen=True)
class Trial:
    """One command's reply time and each light's last command arrival after it (seconds).

    `lights_s` is when the broker handed each command over (the tap's stamp: what a
    light with a processor of its own would see); `simulated_s` when the simulated
    light's thread, one of dozens in the device process, logged it.
    """

    reply_s: float
    lights_s: dict[str, float | None]
    simulated_s: dict[str, float | None]

    @property
    def last_light_s(self) -> float | None:
        """Return when the last light had its command, or None if one never did."""
        return _last(self.lights_s)

    @property
    def last_simulated_s(self) -> float | None:
        """Return when the last simulated light logged its command, or None."""
        return _last(self.simulated_s)


def _trial(
    sup: Supervisor, devices: DeviceProcess, tap: Tap, room: str, action: str
) -> tuple[Trial, Any]:
    request_id, sent_mono, sent_wall = sup.send(room, action)
    reply = sup.reply(request_id, sent_mono, sent_wall)
    if not reply.ok:
        raise RuntimeError(f"{room}: {action} refused: {reply.arrival.payload}")
    answer = devices.ask(
        op="wait", room=room, after=sent_mono, settle=SETTLE_S, timeout=LIGHT_TIMEOUT_S
    )
    simulated: dict[str, float | None] = {}
    lights: dict[str, float | None] = {}
    for name, entry in answer["last"].items():
        simulated[name] = lights[name] = None
        if entry is None:
            continue
        simulated[name] = entry[0] - sent_mono
        tapped = tap.arrival(entry[1], entry[2], sent_wall)
        lights[name] = None if tapped is None else tapped - sent_wall
    tap.forget(sent_wall)
    return Trial(reply.latency_s, lights, simulated), answer["last"]


def _summary(trials: list[Trial]) -> dict[str, Any]:
    per_light: dict[str, list[float]] = defaultdict(list)
    for trial in trials:
        for name, value in trial.lights_s.items():
            if value is not None:
                per_light[name].append(value)
    last = [t.last_light_s for t in trials if t.last_light_s is not None]
    simulated = [t.last_simulated_s for t in trials if t.last_simulated_s is not None]
    return {
        "trials": len(trials),
        "reply": Spread.of([t.reply_s for t in trials]).as_dict(),
        "last_light": Spread.of(last).as_dict(),
        "last_simulated": Spread.of(simulated).as_dict(),
        "missed_lights": sum(v is None for t in trials for v in t.lights_s.values()),
        "per_light": {name: Spread.of(v).as_dict() for name, v in sorted(per_light.items())},
    }


def pause_bench(
    sup: Supervisor,
    devices: DeviceProcess,
    tap: Tap,
    rooms: list[str],
    trials: int,
    rng: random.Random,
) -> dict[str, Any]:
    """Pause and resume rooms in rotation; time replies, freezes and echo round trips."""
    fast: list[float] = []
    default: list[float] = []
    done: list[Trial] = []
    for index in range(trials):
        room = rooms[index % len(rooms)]
        fast.append(sup.ping(nodelay=True))
        default.append(sup.ping(nodelay=False))
        trial, _ = _trial(sup, devices, tap, room, "pause")
        done.append(trial)
        sup.command(room, "resume")
        time.sleep(rng.uniform(*PAUSE_GAP_S))
    return {
        "rtt": Spread.of(fast).as_dict(),
        "rtt_default_client": Spread.of(default).as_dict(),
        "pause": _summary(done),
        "rooms": len(rooms),
    }


def emergency_bench(
    sup: Supervisor, devices: DeviceProcess, tap: Tap, room: str, trials: int, rng: random.Random
) -> dict[str, Any]:
    """Call emergencies mid-fade, release and resume; time the lights' full-brightness commands."""
    done: list[Trial] = []
    not_full = 0
    for _ in range(trials):
        time.sleep(rng.uniform(*EMERGENCY_GAP_S))
        trial, last = _trial(sup, devices, tap, room, "emergency")
        done.append(trial)
        not_full += sum(1 for entry in last.values() if entry and not full_brightness(entry[2]))
        sup.command(room, "release")
        sup.command(room, "resume")
    summary = _summary(done)
    summary["not_full_brightness"] = not_full
    return summary
