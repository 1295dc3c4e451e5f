"""The bench's machine-stall watcher: a held process is seen, and what it held is told apart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cues import machine_summary
from bench.report_scale import scale_runs_rows
from bench.stalls import Stall, read_stalls

ROOT = Path(__file__).resolve().parent.parent
# How long the test holds the watcher: far above its 10 ms threshold and its 2 ms step.
HELD_S = 0.15
# A stall is written when the watcher next wakes; on a busy machine allow it this long.
WRITE_TIMEOUT_S = 10.0


def test_a_watcher_held_by_the_machine_writes_the_span_it_was_held() -> None:
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"stalls-{os.getpid()}.txt"
    out.unlink(missing_ok=True)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "bench.stalls", "--out", str(out)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None and watcher.stdout.readline().strip() == "ready"
        # SIGSTOP holds the process as the host holds the whole machine: it runs nothing.
        held_from = time.time()
        watcher.send_signal(signal.SIGSTOP)
        time.sleep(HELD_S)
        watcher.send_signal(signal.SIGCONT)
        held_to = time.time()
        deadline = time.monotonic() + WRITE_TIMEOUT_S
        while not [s for s in read_stalls(out) if s.ms >= HELD_S * 1000 * 0.9]:
            assert time.monotonic() < deadline, f"no stall written: {read_stalls(out)}"
            time.sleep(0.01)
        stall = max(read_stalls(out), key=lambda s: s.ms)
        assert stall.overlaps(held_from, held_to)
        assert stall.start <= held_from + 0.05 and stall.end >= held_to - 0.05
    finally:
        assert watcher.stdin is not None
        watcher.stdin.close()
        assert watcher.wait(timeout=10) == 0
        out.unlink(missing_ok=True)


def test_events_spanning_a_stall_are_held_and_the_rest_are_timed_apart() -> None:
    window = (100.0, 115.0)
    stalls = [Stall(104.0, 104.08), Stall(90.0, 90.5), Stall(120.0, 120.02)]  # 2 outside
    # Planned instant to arrival: the first spans the stall, the others do not.
    spans = [(103.99, 104.085), (101.0, 101.002), (108.0, 108.003), (104.1, 104.101)]
    errors = [0.095, 0.002, 0.003, 0.001]
    seen = machine_summary(stalls, window, spans, errors)
    assert seen["stalls"] == 1
    assert seen["worst_stall_ms"] == pytest.approx(80.0)
    assert seen["events_held"] == 1
    assert seen["clear_arrival_error"]["n"] == 3
    assert seen["clear_arrival_error"]["max_ms"] == pytest.approx(3.0)


def test_each_cue_figure_shows_its_runs_machine_stalls_as_a_reference() -> None:
    def step(rooms: int, p99_ms: float, machine: dict[str, object] | None) -> dict[str, object]:
        spread = {"n": 100, "p50_ms": 1.0, "p99_ms": p99_ms, "max_ms": p99_ms}
        return {
            "rooms": rooms,
            "arrival_error": spread,
            "events_expected": 100,
            "events_received": 100,
            "threads": 11,
            "peak_rss_mb": 70.0,
            "machine_stalls": machine,
        }

    clear = {"n": 95, "p50_ms": 1.0, "p99_ms": 2.6, "max_ms": 3.0}
    stalled = {"stalls": 2, "worst_stall_ms": 98.4, "events_held": 5, "clear_arrival_error": clear}
    quiet = {"stalls": 0, "worst_stall_ms": 0.0, "events_held": 0, "clear_arrival_error": clear}
    pause = {"error": "not measured"}
    runs = [
        {"pause": pause, "cue_timing": step(50, 36.2, stalled), "steps": [step(500, 3.0, None)]},
        {"pause": pause, "cue_timing": step(50, 2.5, quiet), "steps": [step(500, 2.0, quiet)]},
    ]
    rows = scale_runs_rows({"runs": runs, "cue_rooms": 50, "sizes": [500]})
    names = [row.name for row in rows]
    cue = names.index("Cue timing error, 50 rooms x 6 lights, worst of 2")
    assert rows[cue].met is False  # judged on every event, stalls or not
    machine = rows[cue + 1]
    assert machine.name == "  the machine's stalls in the window"
    assert machine.measured == "2 ≤ 98 ms held 5 events, the rest p99 2.6 ms / none"
    assert machine.met is None
    assert rows[names.index("Scale: cue p99 at 500 rooms, worst of 2") + 1].measured == (
        "not watched / none"
    )
