"""Issue 15's rows: pauses against each run's round trip, cue timing by rooms, threads, memory."""

from __future__ import annotations

import math
from typing import Any

from bench.figure import Figure
from bench.targets import (
    CUE_P99_MS,
    PAUSE_P99_MS,
    SCALE_P99_MS,
    SCALE_ROOMS,
    THREADS_SLACK,
    pause_limits_ms,
)

THREADS_TARGET = f"constant in rooms (± {THREADS_SLACK})"
# The pause rows of `make bench-scale`: label, key in the pause summary, target text.
PAUSE_ROWS = (
    ("Pause → last light's freeze", "last_light", "p99 ≤ 4 x that run's RTT p99, in every run"),
    (
        "Pause → reply",
        "reply",
        f"p99 ≤ {PAUSE_P99_MS:.0f} ms and ≤ 4 x that run's RTT p99, in every run",
    ),
)

# The freeze as the simulated lights' own process logged it (see bench.tap): a reference.
SIMULATED_LABEL = "  logged by the simulated lights"
SIMULATED_NOTE = "reference: dozens of lights' threads in one Python process"
# A cue figure as the bench's own Python subscriber received it (see bench.cues): a reference.
SUPERVISOR_LABEL = "  at the bench's own subscriber"
SUPERVISOR_NOTE = "reference: a Python client on the same cores"
# The machine's own stalls beside a cue figure (see bench.stalls): a reference.
MACHINE_LABEL = "  the machine's stalls in the window"
MACHINE_NOTE = "reference: an idle process not run for ≥ 10 ms"


def p99(step: dict[str, Any]) -> float | None:
    """Return a run's cue p99 in ms, or None when it failed or timed nothing."""
    error = step.get("arrival_error")
    if error is None or math.isnan(error["p99_ms"]):
        return None
    return float(error["p99_ms"])


def passed(step: dict[str, Any], limit_ms: float = SCALE_P99_MS) -> bool:
    """Return whether a run timed every planned event and its p99 is within limit_ms."""
    value = p99(step)
    complete = step.get("events_received") == step.get("events_expected")
    return value is not None and complete and value <= limit_ms


def _shown(step: dict[str, Any]) -> str:
    """Return one run's cue p99 as shown: `7.1`, `7.1 (3 events missing)`, or `failed`."""
    value = p99(step)
    if value is None:
        return "failed" if "error" in step else "nothing timed"
    missing = step.get("events_expected", 0) - step.get("events_received", 0)
    return f"{value:.1f}" + (f" ({missing} events missing)" if missing else "")


def _step(step: dict[str, Any]) -> str:
    if "skipped" in step:
        return f"{step['rooms']}: not run ({step['skipped']})"
    if "error" in step:
        return f"{step['rooms']}: failed ({step['error']})"
    return f"{step['rooms']}: {step['arrival_error']['p99_ms']:.0f} ms"


def _by_rooms(values: dict[int, list[float]], unit: str) -> str:
    """Return `50: 12; 200: 12-14 unit`: each size's value, or its range over runs."""
    parts = []
    for rooms, seen in sorted(values.items()):
        low, high = min(seen), max(seen)
        text = f"{low:g}" if low == high else f"{low:g}-{high:g}"
        parts.append(f"{rooms}: {text}")
    return "; ".join(parts) + f" {unit}" if parts else "not measured"


def threads_constant(threads: dict[int, list[float]]) -> bool | None:
    """Return whether the most threads at the largest size stay within the smallest's + slack."""
    if len(threads) < 2:  # a trend needs two sizes
        return None
    smallest, largest = min(threads), max(threads)
    return max(threads[largest]) <= min(threads[smallest]) + THREADS_SLACK


def _resources(steps: list[dict[str, Any]], runs: str) -> list[Figure]:
    """Return the threads and peak-RSS rows of steps (of one or several runs)."""
    threads: dict[int, list[float]] = {}
    memory: dict[int, list[float]] = {}
    for step in steps:
        if "threads" in step:
            threads.setdefault(step["rooms"], []).append(step["threads"])
            memory.setdefault(step["rooms"], []).append(step["peak_rss_mb"])
    return [
        Figure(
            f"Threads of the daemon by rooms{runs}",
            _by_rooms(threads, "threads"),
            THREADS_TARGET,
            threads_constant(threads),
        ),
        Figure(f"Peak RSS by rooms{runs}", _by_rooms(memory, "MB"), "reference", None),
    ]


def scale_rows(scale: dict[str, Any]) -> list[Figure]:
    """Return `make bench`'s scale rows: one walk over the sizes, without simulated lights."""
    steps = scale["steps"]
    target = next((s for s in steps if s["rooms"] == SCALE_ROOMS and "skipped" not in s), None)
    row = Figure(
        "Scale: cue p99 by rooms in one process",
        "; ".join(_step(s) for s in steps),
        f"p99 ≤ {SCALE_P99_MS:.0f} ms at {SCALE_ROOMS} rooms",
        None if target is None else passed(target),
    )
    return [row, *_resources(steps, "")]


def scale_runs_rows(scale: dict[str, Any]) -> list[Figure]:
    """Return `make bench-scale`'s rows: each figure's worst run, every run beside it."""
    runs = scale["runs"]
    n = len(runs)
    cues = [run["cue_timing"] for run in runs]
    rows = [
        _worst(
            f"Cue timing error, {scale['cue_rooms']} rooms x 6 lights, worst of {n}",
            cues,
            CUE_P99_MS,
        ),
        *reference_rows(cues),
    ]
    for rooms in scale["sizes"]:
        steps = [s for run in runs for s in run["steps"] if s["rooms"] == rooms]
        rows.append(_worst(f"Scale: cue p99 at {rooms} rooms, worst of {n}", steps, SCALE_P99_MS))
        rows += reference_rows(steps)
    steps = [s for run in runs for s in run["steps"]]
    pauses = [run.get("pause", {"error": "not measured"}) for run in runs]
    return pause_runs_rows(pauses) + rows + _resources(steps, f", {n} run{'' if n == 1 else 's'}")


def _pause_run(pause: dict[str, Any], key: str) -> tuple[str, float | None]:
    """Return one run's `p99 of bound` as shown and its p99 over its bound (None: failed)."""
    if "error" in pause:
        return "failed", None
    value = float(pause["pause"][key]["p99_ms"])
    limit = pause_limits_ms(float(pause["rtt"]["p99_ms"]))[key]
    missed = pause["pause"]["missed_lights"]
    shown = f"{value:.1f} of {limit:.1f}" + (f" ({missed} lights never froze)" if missed else "")
    if math.isnan(value) or math.isnan(limit) or missed:
        return shown, None
    return shown, value / limit


def pause_runs_rows(pauses: list[dict[str, Any]]) -> list[Figure]:
    """Return the pause rows of several runs, each run judged against its own round trip."""
    n = len(pauses)
    rows = []
    for label, key, target in PAUSE_ROWS:
        judged = [_pause_run(pause, key) for pause in pauses]
        ratios = [math.inf if ratio is None else ratio for _, ratio in judged]
        if n:
            worst = judged[ratios.index(max(ratios))][0]
            head = f"worst {worst}" if math.isinf(max(ratios)) else f"worst p99 {worst} ms"
            runs = " / ".join(shown for shown, _ in judged)
            measured = f"{head} (runs, p99 of its bound: {runs} ms)"
        else:
            measured = "nothing timed"
        met = all(ratio <= 1.0 for ratio in ratios) if n else None
        rows.append(Figure(f"{label}, worst of {n}", measured, target, met))
    logged = [p["pause"]["last_simulated"]["p99_ms"] for p in pauses if "error" not in p]
    if logged:
        runs = " / ".join(f"{value:.1f}" for value in logged)
        rows.insert(1, Figure(SIMULATED_LABEL, f"runs' p99: {runs} ms", SIMULATED_NOTE, None))
    return rows


def _machine_stalls(run: dict[str, Any]) -> str:
    """Return a cue run's machine stalls as shown: `none`, or what they held and the rest's p99."""
    seen = run.get("machine_stalls")
    if seen is None:
        return "not watched"
    waits = seen.get("waits_for_a_core", 0)
    busy = f" (the watcher waited {waits}x for a core)" if waits else ""
    if not seen["stalls"]:
        return "none" + busy
    clear = seen["clear_arrival_error"]["p99_ms"]
    return (
        f"{seen['stalls']} ≤ {seen['worst_stall_ms']:.0f} ms held "
        f"{seen['events_held']} events, the rest p99 {clear:.1f} ms{busy}"
    )


def _supervisor_p99(run: dict[str, Any]) -> str:
    """Return a cue run's p99 at the bench's own subscriber as shown, or `-` if not timed."""
    error = run.get("supervisor_error")
    return "-" if error is None else f"{error['p99_ms']:.1f}"


def reference_rows(runs: list[dict[str, Any]]) -> list[Figure]:
    """Return the reference rows under a cue figure of one run or several, each run's shown.

    The bench's own subscriber's p99, and the machine's stalls in each run's window.
    """
    p99s = " / ".join(_supervisor_p99(run) for run in runs)
    at_supervisor = f"p99 {p99s} ms" if len(runs) == 1 else f"runs' p99: {p99s} ms"
    stalls = " / ".join(_machine_stalls(run) for run in runs)
    return [
        Figure(SUPERVISOR_LABEL, at_supervisor, SUPERVISOR_NOTE, None),
        Figure(MACHINE_LABEL, stalls, MACHINE_NOTE, None),
    ]


def _worst(label: str, runs: list[dict[str, Any]], limit_ms: float) -> Figure:
    """Return a row with the worst p99 of runs, each run's shown after it."""
    values = [p99(run) for run in runs]
    timed = [v for v in values if v is not None]
    worst = f"worst p99 {max(timed):.1f} ms" if timed else "nothing timed"
    measured = f"{worst} (runs: {' / '.join(_shown(run) for run in runs)} ms)"
    met = all(passed(run, limit_ms) for run in runs) if runs else None
    return Figure(label, measured, f"p99 ≤ {limit_ms:.0f} ms in every run", met)
