"""Benchmark roomctl as users run it, beside the baselines that set its limits (issues 6-15).

`make bench` (under 6 minutes, `python -m bench`) and `make bench-quick` (under a
minute, `--quick`) start a real Mosquitto on a free port (with `set_tcp_nodelay true`,
see the README; tests/fixtures/broker.py's), run `roomctl run` as child processes for
the daemon, the simulated lights (roomctl.demo.sim, `python -m bench.device_server`) in
another process, and the supervisor (roomctl.mqtt.client's Client) in this one. They
print a table of every figure beside its baseline or target, a Markdown copy of it for
the README, and write everything measured to bench.json. `make bench-scale` (`--only
scale`) repeats issue 15's pause, cue timing and scale rows five times into bench-scale.json;
`--only console` runs issue 11's console rows (bench-console.json), `--only sites` issue
13's bridged sites (bench-sites.json).
Run from the repo root: the bench reuses the test fixtures in tests/.
"""

from __future__ import annotations

from bench.backlog import MARGIN_MS, TRIAL_TIMEOUT_S, BacklogPlan, Row, spread
from bench.figure import Figure, markdown_table, text_table
from bench.report_backlog import backlog_rows
from bench.report_scale import pause_runs_rows, scale_rows, scale_runs_rows, threads_constant
from bench.stats import Spread, percentile
from bench.supervisor import Arrival, Reply, Supervisor

__all__ = [
    "MARGIN_MS",
    "TRIAL_TIMEOUT_S",
    "Arrival",
    "BacklogPlan",
    "Figure",
    "Reply",
    "Row",
    "Spread",
    "Supervisor",
    "backlog_rows",
    "markdown_table",
    "pause_runs_rows",
    "percentile",
    "scale_rows",
    "scale_runs_rows",
    "spread",
    "text_table",
    "threads_constant",
]
