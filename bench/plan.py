"""How much each part of the bench repeats: `make bench`, `make bench-quick` and the parts."""

from __future__ import annotations

from dataclasses import dataclass

from bench.backlog import BacklogPlan


@dataclass(frozen=True)
class Plan:
    """How much each part of the bench repeats."""

    name: str
    pause_trials: int
    emergency_trials: int
    idle_s: float
    cue_rooms: int
    cue_window_s: float
    scale_steps: tuple[int, ...]  # `make bench`'s scale rows, within its time budget
    startup_runs: int
    audio_s: float
    live_speed: float
    default_broker_pings: int
    memory_100: bool
    backlog: BacklogPlan
    scale_runs: int  # `make bench-scale` repeats pauses, cue timing and scale rows this often
    scale_sizes: tuple[int, ...]  # ... at these numbers of rooms
    scale_cue_window_s: float  # ... timing the cues of its rooms with lights this long
    console_trials: int  # issue 11: state changes timed on every open console page
    console_rounds: int  # ... and rounds of pause + resume by button, API and CLI each
    sites_rounds: int  # issue 13: commands at the centre, and as many at the site
    sites_returns: int  # ... and link outages, each timed from its end to the centre current


# Issue 14's rows take under a minute in `make bench`, a quarter of that in bench-quick,
# whatever the daemon does: a row stops starting trials once its budget is spent.
FULL_BACKLOG = BacklogPlan(quiet=40, junk=15, flood=6, frozen=4, row_budget_s=12.0)
QUICK_BACKLOG = BacklogPlan(quiet=10, junk=3, flood=1, frozen=1, row_budget_s=3.0)
# Issue 15's sizes: cue timing of 50, 200 and 500 rooms in one process, five times over
# in `make bench-scale` (a figure must hold in every run, not in one of four).
FULL = Plan(
    "bench",
    pause_trials=200,
    emergency_trials=200,
    idle_s=60.0,
    cue_rooms=50,
    cue_window_s=15.0,
    scale_steps=(50, 200, 500),
    startup_runs=5,
    audio_s=8.0,
    live_speed=60.0,
    default_broker_pings=200,
    memory_100=True,
    backlog=FULL_BACKLOG,
    scale_runs=5,
    scale_sizes=(50, 200, 500),
    # A p99 over 15 s of 50 rooms' events (375) is their 4th worst: one stall of this
    # small virtual machine (every process held 20-100 ms, bench.stalls) decides it. 60 s
    # times 1,500 events, as many as the 500-room runs' 15 s (3,750) nearly.
    scale_cue_window_s=60.0,
    console_trials=24,
    console_rounds=15,
    sites_rounds=200,
    sites_returns=8,
)
# bench-quick's scale row is its cue run (no steps of its own); its `--only scale` runs
# two small sizes twice, to show the part works.
QUICK = Plan(
    "bench-quick",
    pause_trials=25,
    emergency_trials=25,
    idle_s=10.0,
    cue_rooms=25,
    cue_window_s=4.0,
    scale_steps=(),
    startup_runs=2,
    audio_s=3.0,
    live_speed=120.0,
    default_broker_pings=30,
    memory_100=False,
    backlog=QUICK_BACKLOG,
    scale_runs=2,
    scale_sizes=(10, 25),
    scale_cue_window_s=4.0,
    console_trials=6,
    console_rounds=3,
    sites_rounds=30,
    sites_returns=2,
)
# Parts that can run alone (`--only`): issue 14's emergency-under-load rows; issue 15's
# cue timing and scale rows, repeated (`make bench-scale`); issue 11's console rows;
# issue 13's sites rows.
ONLY = ("backlog", "scale", "console", "sites")
