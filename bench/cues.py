"""Time phase and cue events of many rooms fading in one `roomctl run` against the timeline.

Each room plays a profile of CUE_PHASE_S-second phases, every light fading through each
whole phase, with cues inside. A phase's planned instant is the session's start plus the
phases before it; a cue's is its `at_s` (session time). The session's start is the
daemon's own `started_at`, read from the `session_started` event's `ts` (milliseconds,
truncated) and narrowed by the bench's send and reply times of the start command to a
window of at most 1 ms, whose middle is taken. Three errors are measured against it, all
on the machine's wall clock (CLOCK_REALTIME, one clock for every process):

- arrival: when the broker handed the event over, stamped by a C subscriber doing nothing
  else (bench.tap, nanoseconds), as staff's tablet, a processor of its own, would have it;
- supervisor: when it reached the bench's own Python subscriber (microseconds), on the
  same two cores as everything else and behind its other messages (a reference: at 500
  rooms it fell up to 50 ms behind the broker at phase changes while the tap did not);
- daemon: the event's own `ts` (milliseconds), when the daemon handled the instant.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.daemon import StartDaemon, cpu_seconds
from bench.devices import DeviceProcess
from bench.rooms import CUE_PHASE_S, CUES_PER_PHASE, SIX_LIGHTS, BenchFiles
from bench.stalls import Stall, merged, read_stalls
from bench.stats import Spread
from bench.supervisor import Arrival, Reply, Supervisor
from bench.tap import Tap

# Sessions start spread over one cue interval, so rooms' cues interleave as in a clinic
# where sessions start when clients arrive, not all at one instant.
STAGGER_S = CUE_PHASE_S / (CUES_PER_PHASE + 1)
# After the last planned instant, this long for its events to arrive.
DRAIN_S = 1.5
# A start not answered within this long means the daemon cannot keep up with the rooms.
START_REPLY_TIMEOUT_S = 30.0
# Timing starts this long after the last session started: start-up work (reading the
# profile, planning every fade) is over by then.
START_SETTLE_S = 1.0
# The cue profile's length: 20 phases of 6 s outlast any start-up plus measurement.
PROFILE_PHASES = 20
# The wall clock's resolution in the events' `ts`.
TS_RESOLUTION_S = 0.001
# Each room needs its bus connected and its online published; on a loaded two-core
# machine a few rooms a second is the worst seen, so allow that per room.
ONLINE_TIMEOUT_PER_ROOM_S = 0.5
ONLINE_TIMEOUT_MIN_S = 30.0

# What the tap hears: every room's events.
EVENTS = "roomctl/+/events"

# Each run's rooms get fresh ids, so no event of an earlier run is counted in a later one.
_RUNS = itertools.count(1)


@dataclass(frozen=True)
class CueRun:
    """How one run of many rooms went: event timing errors, load, memory and threads."""

    rooms: int
    devices: bool
    arrival: Spread
    supervisor: Spread
    daemon: Spread
    expected: int
    received: int
    early_ms: float
    cpu_cores: float
    devices_cpu_cores: float | None
    broker_cpu_cores: float
    peak_rss_mb: float
    threads: int
    device_commands: int | None
    machine: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """Return the run as JSON-able data."""
        return {
            "rooms": self.rooms,
            "simulated_devices": self.devices,
            "arrival_error": self.arrival.as_dict(),
            "supervisor_error": self.supervisor.as_dict(),
            "daemon_ts_error": self.daemon.as_dict(),
            "events_expected": self.expected,
            "events_received": self.received,
            "earliest_ms": self.early_ms,
            "cpu_cores": self.cpu_cores,
            "devices_cpu_cores": self.devices_cpu_cores,
            "broker_cpu_cores": self.broker_cpu_cores,
            "peak_rss_mb": self.peak_rss_mb,
            "threads": self.threads,
            "device_commands": self.device_commands,
            "machine_stalls": self.machine,
        }


def parse_ts(text: str) -> float:
    """Return the epoch seconds of an event's ISO `ts` like 2026-11-26T14:03:11.201Z."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return moment.timestamp()


def session_start(started_ts: float, reply: Reply) -> float:
    """Return the best estimate of the daemon's started_at (see the module docstring)."""
    low = max(started_ts, reply.sent_wall)
    high = min(started_ts + TS_RESOLUTION_S, reply.arrival.wall)
    if low > high:  # the clocks disagree by more than the window: trust the daemon's
        return started_ts + TS_RESOLUTION_S / 2
    return (low + high) / 2


def _planned(event: dict[str, Any]) -> float | None:
    """Return an event's planned session time, or None for events that are not timed."""
    if event.get("type") == "cue":
        return float(event["at_s"])
    if event.get("type") == "phase_started" and int(event["phase_index"]) > 0:
        return int(event["phase_index"]) * CUE_PHASE_S
    return None


def _instants(phases: int) -> list[float]:
    """Return the session times of every timed event of the cue profile."""
    step = CUE_PHASE_S / (CUES_PER_PHASE + 1)
    times = [index * CUE_PHASE_S for index in range(1, phases)]
    times += [
        i * CUE_PHASE_S + step * (k + 1) for i in range(phases) for k in range(CUES_PER_PHASE)
    ]
    return sorted(times)


def cue_run(
    sup: Supervisor,
    files: BenchFiles,
    start_daemon: StartDaemon,
    rooms: int,
    measure_s: float,
    devices_log: Path | None,
    broker: tuple[str, int],
    rng: random.Random,
    stalls: Path | None = None,
) -> CueRun:
    """Serve `rooms` rooms from one daemon, play the cue profile in all, time their events.

    Sessions start spread over STAGGER_S (or longer, as fast as the daemon takes them);
    the events planned from START_SETTLE_S after the last start's reply, for `measure_s`
    seconds, are timed: the steady state of many rooms fading, not the start-up burst.
    With `stalls` (bench.stalls' file), the machine's own stalls in the window are shown
    beside the figure, with the events they held and the timing of the others.
    """
    run = next(_RUNS)
    ids = [f"c{run}-{index}" for index in range(rooms)]
    paths = [files.room(room_id, SIX_LIGHTS) for room_id in ids]
    phases = PROFILE_PHASES
    profile = files.cues(phases)
    broker_url, broker_pid = broker
    devices = DeviceProcess(broker_url, paths, devices_log) if devices_log else None
    daemon = start_daemon(paths, f"cues-{rooms}")
    tap: Tap | None = None
    try:
        timeout = max(ONLINE_TIMEOUT_MIN_S, ONLINE_TIMEOUT_PER_ROOM_S * rooms)
        for room_id in ids:
            sup.wait_ready(room_id, daemon.started_mono, timeout)
        tap = Tap(broker_url, [EVENTS])
        order = list(ids)
        rng.shuffle(order)
        sent = []
        for room_id in order:
            sent.append((room_id, sup.send(room_id, "start", profile=profile)))
            time.sleep(STAGGER_S / rooms)
        replies = {
            room_id: sup.reply(*request, timeout=START_REPLY_TIMEOUT_S) for room_id, request in sent
        }
        window = (max(r.arrival.wall for r in replies.values()) + START_SETTLE_S, 0.0)
        window = (window[0], window[0] + measure_s)
        pids = [daemon.pid, broker_pid] + ([devices.process.pid] if devices else [])
        cpu_before, mono_before = [cpu_seconds(pid) for pid in pids], time.monotonic()
        time.sleep(max(0.0, window[1] + DRAIN_S - time.time()))
        daemon.check_running()
        elapsed = time.monotonic() - mono_before
        cpu = [
            round((cpu_seconds(pid) - before) / elapsed, 3)
            for pid, before in zip(pids, cpu_before, strict=True)
        ]
        _, peak = daemon.memory_mb()
        threads = daemon.threads()  # every session still fading: the daemon at its busiest
        commands = devices.ask(op="count")["count"] if devices else None
    finally:
        daemon.stop()
        if devices is not None:
            devices.stop()
        if tap is not None:
            tap.stop()
    seen = None if stalls is None else read_stalls(stalls)
    run_result = _timing(sup.events(), _tapped(tap), replies, window, phases, seen)
    return CueRun(
        rooms=rooms,
        devices=devices is not None,
        cpu_cores=cpu[0],
        broker_cpu_cores=cpu[1],
        devices_cpu_cores=cpu[2] if len(cpu) > 2 else None,
        peak_rss_mb=round(peak, 1),
        threads=threads,
        device_commands=commands,
        **run_result,
    )


def _tapped(tap: Tap) -> list[Arrival]:
    """Return the events the tap heard as arrivals (its wall-clock stamps; no monotonic one)."""
    arrivals = []
    for wall, topic, text in tap.seen():
        try:
            payload = json.loads(text)
        except ValueError:  # not an event of roomctl's: nothing to time
            continue
        if isinstance(payload, dict):
            arrivals.append(Arrival(topic, payload, math.nan, wall))
    return arrivals


def _timing(
    events: list[Arrival],
    tapped: list[Arrival],
    replies: dict[str, Reply],
    window: tuple[float, float],
    phases: int,
    stalls: list[Stall] | None,
) -> dict[str, Any]:
    """Return the timing errors of the events planned inside the window, and the counts.

    `events` are the supervisor's, `tapped` the tap's (see the module docstring).
    """
    mine = [e for e in events if e.payload.get("room") in replies]
    starts = {
        e.payload["room"]: session_start(parse_ts(e.payload["ts"]), replies[e.payload["room"]])
        for e in mine
        if e.payload.get("type") == "session_started"
    }
    arrival, daemon, spans = _errors(tapped, starts, window)
    supervisor, _, _ = _errors(mine, starts, window)
    instants = _instants(phases)
    expected = sum(
        1 for start in starts.values() for t in instants if window[0] <= start + t < window[1]
    )
    return {
        "arrival": Spread.of([abs(e) for e in arrival]),
        "supervisor": Spread.of([abs(e) for e in supervisor]),
        "daemon": Spread.of([abs(e) for e in daemon]),
        "expected": expected,
        "received": len(arrival),
        "early_ms": round(min(arrival, default=math.nan) * 1000.0, 2),
        "machine": None if stalls is None else machine_summary(stalls, window, spans, arrival),
    }


def _errors(
    events: list[Arrival], starts: dict[str, float], window: tuple[float, float]
) -> tuple[list[float], list[float], list[tuple[float, float]]]:
    """Return the arrival and daemon-ts errors of the timed events, and each one's span.

    A span runs from the event's planned instant to its arrival.
    """
    arrival: list[float] = []
    daemon: list[float] = []
    spans: list[tuple[float, float]] = []
    for event in events:
        planned = _planned(event.payload)
        start = starts.get(event.payload.get("room", ""))
        if planned is None or start is None or not window[0] <= start + planned < window[1]:
            continue
        arrival.append(event.wall - (start + planned))
        daemon.append(parse_ts(event.payload["ts"]) - (start + planned))
        spans.append((start + planned, event.wall))
    return arrival, daemon, spans


def machine_summary(
    stalls: list[Stall],
    window: tuple[float, float],
    spans: list[tuple[float, float]],
    arrival: list[float],
) -> dict[str, Any]:
    """Return the machine's stalls in the window, the events they held, the others' timing.

    An event was held by the machine when a stall of the machine (see bench.stalls) fell
    between its planned instant and its arrival: every process, the daemon's, the
    broker's and the bench's, stood still. The watcher's waits for a busy core are counted
    apart: they are this bench's own load, and hold no event.
    """
    during = [s for s in stalls if s.overlaps(window[0], window[1] + DRAIN_S)]
    inside = merged([s for s in during if s.machine])  # a stall of both cores is one
    held = [any(a < end and start < b for a, b in inside) for start, end in spans]
    clear = [abs(error) for error, was_held in zip(arrival, held, strict=True) if not was_held]
    return {
        "stalls": len(inside),
        "worst_stall_ms": round(max(((b - a) * 1000.0 for a, b in inside), default=0.0), 1),
        "events_held": sum(held),
        "clear_arrival_error": Spread.of(clear).as_dict(),
        "waits_for_a_core": len(merged([s for s in during if not s.machine])),
    }
