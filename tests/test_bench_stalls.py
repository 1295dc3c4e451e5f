"""The bench's machine-stall watcher: a held process is seen, and what it held is told apart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.cues import machine_summary
from bench.report_scale import scale_runs_rows
from bench.stalls import WATCH_PRIORITY, Stall, read_stalls

ROOT = Path(__file__).resolve().parent.parent
# How long the test holds the watcher: far above its 10 ms threshold and its 2 ms step.
HELD_S = 0.15
# A stall is written when the watcher next wakes; on a busy machine allow it this long.
WRITE_TIMEOUT_S = 10.0
# Spin on one core in the real-time class, above the watchers' priority.
HOG = """
import os, sys, time
os.sched_setaffinity(0, {{{core}}})
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param({priority}))
except PermissionError:
    print("refused", flush=True)
    sys.exit()
print("spinning", flush=True)
end = time.monotonic() + {spin_s}
while time.monotonic() < end:
    pass
"""


@contextmanager
def watcher(out: Path) -> Iterator[subprocess.Popen[str]]:
    """Run `python -m bench.stalls --out out` until the block ends; check it ends cleanly."""
    out.unlink(missing_ok=True)
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.stalls", "--out", str(out)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield child
    finally:
        assert child.stdin is not None
        child.stdin.close()
        assert child.wait(timeout=10) == 0
        out.unlink(missing_ok=True)


def longest_stall(out: Path) -> Stall:
    """Wait for a stall of about HELD_S to be written; return the longest."""
    deadline = time.monotonic() + WRITE_TIMEOUT_S
    while not [s for s in read_stalls(out) if s.ms >= HELD_S * 1000 * 0.9]:
        assert time.monotonic() < deadline, f"no stall written: {read_stalls(out)}"
        time.sleep(0.01)
    return max(read_stalls(out), key=lambda s: s.ms)


def read_stalls_after(out: Path, moment: float) -> list[Stall]:
    """Return the stalls written to out that end after moment, once every core's is in."""
    deadline = time.monotonic() + WRITE_TIMEOUT_S
    while True:
        stalls = [s for s in read_stalls(out) if s.end > moment]
        if {s.core for s in stalls} >= os.sched_getaffinity(0) or time.monotonic() > deadline:
            return stalls
        time.sleep(0.01)


def test_a_watcher_held_by_the_machine_writes_the_span_it_was_held(tmp_path: Path) -> None:
    out = tmp_path / "stalls.txt"
    with watcher(out) as child:
        # SIGSTOP holds the process as the host holds the whole machine: it runs nothing,
        # and waits for no core either.
        held_from = time.time()
        child.send_signal(signal.SIGSTOP)
        time.sleep(HELD_S)
        child.send_signal(signal.SIGCONT)
        held_to = time.time()
        stall = longest_stall(out)
        # Every core's watcher was held: each wrote the stall.
        after = read_stalls_after(out, held_from)
    assert stall.overlaps(held_from, held_to)
    assert stall.start <= held_from + 0.05 and stall.end >= held_to - 0.05
    assert stall.machine
    assert {s.core for s in after if s.ms >= HELD_S * 1000 * 0.9} == os.sched_getaffinity(0)


def test_a_watcher_kept_from_its_core_records_the_time_it_waited_for_it(tmp_path: Path) -> None:
    out = tmp_path / "stalls.txt"
    core = min(os.sched_getaffinity(0))
    with watcher(out):
        # A busy loop on one core, real-time above the watchers: that core's watcher's
        # timer fires, and it waits for its core for as long as the loop spins.
        hog = subprocess.Popen(
            [
                sys.executable,
                "-c",
                HOG.format(core=core, priority=WATCH_PRIORITY + 1, spin_s=HELD_S),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert hog.stdout is not None
        said = hog.stdout.readline().strip()
        hog.wait(timeout=10)
        if said == "refused":
            pytest.skip("a real-time scheduling class needs root (CAP_SYS_NICE)")
        assert said == "spinning"
        stall = longest_stall(out)
    assert stall.core == core
    assert stall.queued >= HELD_S * 0.5
    assert stall.real_time  # the hog could run this high only as root: so did the watchers


def test_a_stall_is_the_machine_s_unless_an_ordinary_watcher_spent_it_queued() -> None:
    # A real-time watcher is delayed by nothing but the machine (its kernel or its host),
    # even when the host stopped the core just after its timer queued it.
    assert Stall(0, 10.0, 10.05, 0.049, real_time=True).machine
    # An ordinary watcher (the bench not run as root) that waited for its core most of
    # the time waited behind other processes; one that was not queued was held.
    assert not Stall(0, 10.0, 10.05, 0.03, real_time=False).machine
    assert Stall(0, 10.0, 10.05, 0.001, real_time=False).machine


def test_events_spanning_a_stall_are_held_and_the_rest_are_timed_apart() -> None:
    window = (100.0, 115.0)
    stalls = [
        Stall(0, 104.0, 104.08, 0.001, False),
        Stall(1, 104.01, 104.07, 0.06, True),  # both cores at once: one stall of the machine
        Stall(0, 90.0, 90.5, 0.0, True),  # before the window
        Stall(1, 120.0, 120.02, 0.0, True),  # after it and its drain
        Stall(1, 110.0, 110.03, 0.025, False),  # an ordinary watcher waited: the bench's load
    ]
    # Planned instant to arrival: the first spans the stall, the others do not.
    spans = [(103.99, 104.085), (101.0, 101.002), (110.01, 110.013), (104.1, 104.101)]
    errors = [0.095, 0.002, 0.003, 0.001]
    seen = machine_summary(stalls, window, spans, errors)
    assert seen["stalls"] == 1
    assert seen["worst_stall_ms"] == pytest.approx(80.0)
    assert seen["events_held"] == 1
    assert seen["clear_arrival_error"]["n"] == 3
    assert seen["clear_arrival_error"]["max_ms"] == pytest.approx(3.0)
    assert seen["waits_for_a_core"] == 1


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
    stalled = {
        "stalls": 2,
        "worst_stall_ms": 98.4,
        "events_held": 5,
        "clear_arrival_error": clear,
        "waits_for_a_core": 3,
    }
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
    assert rows[cue + 1].name == "  at the bench's own subscriber"
    machine = rows[cue + 2]
    assert machine.name == "  the machine's stalls in the window"
    assert machine.measured == (
        "2 ≤ 98 ms held 5 events, the rest p99 2.6 ms (the watcher waited 3x for a core) / none"
    )
    assert machine.met is None
    assert rows[names.index("Scale: cue p99 at 500 rooms, worst of 2") + 2].measured == (
        "not watched / none"
    )
