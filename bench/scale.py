"""Cue timing of many rooms in one process, with the daemon's threads and peak memory.

`make bench` walks the sizes once within its time budget; `make bench-scale` (`--only
scale`) repeats the round trip and pauses, cue timing at 50 rooms x 6 simulated lights
and every size without lights five times, for figures that must hold in every run
(issue 15).
"""

from __future__ import annotations

import time
from typing import Any

from bench.cues import cue_run
from bench.pause_runs import SCALE_PAUSE_TRIALS, pause_run, start_echo
from bench.report_scale import p99, passed
from bench.session import Bench
from bench.targets import SCALE_ROOMS

# `make bench`'s parts stay under 5 minutes (issue 14's rows come after, under one more):
# a scale step that would end later than this (with the measurements after it still to
# come) is skipped. A step takes about a fixed part (start, window, stop) plus a part
# per room (starting it, stopping it).
SCALE_BUDGET_S = 265.0
SCALE_STEP_BASE_S = 18.0
SCALE_STEP_PER_ROOM_S = 0.18
# The 100-room memory run (issue 6's row): the sessions' start-up is the peak; a short
# window after it is enough.
MEMORY_ROOMS = 100
MEMORY_WINDOW_S = 2.0
# What ends one step (recorded in it as failed) rather than the whole run: rooms that
# do not come online or answer in time, a daemon that exited.
STEP_FAILURES = (TimeoutError, RuntimeError)


def scale_step(bench: Bench, rooms: int) -> dict[str, Any]:
    """Time the cue profile in `rooms` rooms of one daemon, without simulated lights."""
    try:
        run = cue_run(
            bench.sup,
            bench.files,
            bench.daemon,
            rooms,
            bench.plan.cue_window_s,
            None,
            bench.broker_process(),
            bench.rng,
            bench.stalls,
        )
    except STEP_FAILURES as error:
        return {"rooms": rooms, "error": str(error), "passed": False}
    step = run.as_dict()
    step["passed"] = passed(step)
    return step


def scale(bench: Bench) -> None:
    """Cue p99, threads and peak RSS at each size in one process (`make bench`'s walk)."""
    plan = bench.plan
    steps: list[dict[str, Any]] = []
    memory_100: dict[str, Any] = {"measured": False, "why": "not run by bench-quick"}
    if not plan.scale_steps:
        steps.append(bench.results["cue_timing"])
    if plan.memory_100 and MEMORY_ROOMS not in plan.scale_steps:
        bench.say(f"memory: {MEMORY_ROOMS} rooms")
        run = cue_run(
            bench.sup,
            bench.files,
            bench.daemon,
            MEMORY_ROOMS,
            MEMORY_WINDOW_S,
            None,
            bench.broker_process(),
            bench.rng,
        )
        memory_100 = {"measured": True, "peak_rss_mb": run.peak_rss_mb}
    for rooms in plan.scale_steps:
        needed = SCALE_STEP_BASE_S + SCALE_STEP_PER_ROOM_S * rooms
        if time.monotonic() - bench.started + needed > SCALE_BUDGET_S:
            skipped = "time budget; `make bench-scale` runs it"
            steps.append({"rooms": rooms, "skipped": skipped, "passed": False})
            continue
        bench.say(f"scale: {rooms} rooms, no simulated lights")
        step = scale_step(bench, rooms)
        steps.append(step)
        if rooms == MEMORY_ROOMS and "peak_rss_mb" in step:
            memory_100 = {"measured": True, "peak_rss_mb": step["peak_rss_mb"]}
        if "error" in step:  # a larger size fails the same way, only later
            break
    ran = [s for s in steps if "skipped" not in s]
    within = [s["rooms"] for s in ran if s.get("passed", passed(s))]
    bench.results["scale"] = {
        "steps": steps,
        "rooms_within": max(within, default=0),
        "all_passed": len(within) == len(ran),
        "simulated_devices": not plan.scale_steps,
        "target_rooms": SCALE_ROOMS,
    }
    bench.results.setdefault("memory", {})["rooms_100"] = memory_100


def scale_runs(bench: Bench) -> None:
    """Repeat pauses, cue timing with lights and every scale size; keep and print every run."""
    plan = bench.plan
    runs: list[dict[str, Any]] = []
    trials = min(plan.pause_trials, SCALE_PAUSE_TRIALS)
    start_echo(bench)
    for index in range(1, plan.scale_runs + 1):
        tag = f"run {index}/{plan.scale_runs}"
        bench.say(f"{tag}: round trip and {trials} pauses over 4 rooms")
        pause = pause_run(bench, index, trials)
        bench.say(f"{tag}: cue timing, {plan.cue_rooms} rooms x 6 simulated lights")
        cue = cue_run(
            bench.sup,
            bench.files,
            bench.daemon,
            plan.cue_rooms,
            plan.scale_cue_window_s,
            bench.dir("logs") / f"devices-cues-{index}.log",
            bench.broker_process(),
            bench.rng,
            bench.stalls,
        ).as_dict()
        steps = []
        for rooms in plan.scale_sizes:
            bench.say(f"{tag}: {rooms} rooms, no simulated lights")
            steps.append(scale_step(bench, rooms))
        runs.append({"pause": pause, "cue_timing": cue, "steps": steps})
        bench.say(f"{tag}: {_pause_summary(pause)}; {_summary(cue, steps)}")
    bench.results["scale_runs"] = {
        "runs": runs,
        "cue_rooms": plan.cue_rooms,
        "sizes": list(plan.scale_sizes),
        "window_s": plan.cue_window_s,
        "cue_window_s": plan.scale_cue_window_s,
        "pause_trials": trials,
    }


def _pause_summary(pause: dict[str, Any]) -> str:
    """Return one run's round trip, pause reply and freeze p99s on one line."""
    if "error" in pause:
        return f"pauses failed ({pause['error']})"
    return (
        f"RTT p99 {pause['rtt']['p99_ms']:.1f} ms, pause reply p99 "
        f"{pause['pause']['reply']['p99_ms']:.1f} ms, last light's freeze p99 "
        f"{pause['pause']['last_light']['p99_ms']:.1f} ms (logged by the simulated lights "
        f"{pause['pause']['last_simulated']['p99_ms']:.1f} ms)"
    )


def _summary(cue: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    """Return one run's figures on one line: cue p99s, threads and peak RSS by rooms."""

    def shown(step: dict[str, Any]) -> str:
        value = p99(step)
        if value is None:
            return f"{step['rooms']} rooms failed"
        return (
            f"{step['rooms']} rooms p99 {value:.1f} ms, "
            f"{step['threads']} threads, {step['peak_rss_mb']:.0f} MB"
        )

    lights = "; ".join(shown(step) for step in steps)
    return f"with lights {shown(cue)}; without {lights}"
