"""Run the bench: choose the parts, run them on one Bench, print the tables, write the JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import bench as package
from bench import parts
from bench.console import console_part
from bench.figure import Figure, markdown_table, text_table
from bench.machine import machine
from bench.method import BACKLOG_METHOD, METHOD, scale_method
from bench.plan import FULL, ONLY, QUICK, Plan
from bench.report import figures
from bench.report_backlog import backlog_rows
from bench.report_console import CONSOLE_METHOD, console_rows
from bench.report_scale import scale_runs_rows
from bench.report_sites import SITES_METHOD, sites_rows
from bench.scale import scale, scale_runs
from bench.session import ROOT, Bench
from bench.sites import sites_part

Part = Callable[[Bench], None]
# `make bench`'s parts in order: the idle window runs through the quiet ones after it.
ALL: tuple[Part, ...] = (
    parts.round_trip_default_broker,
    parts.latency,
    parts.cues,
    parts.start_idle,
    scale,
    parts.cost,
    parts.finish_idle,
    console_part,  # after the idle window: its 20 browser pages load the machine
    sites_part,
    parts.backlog,  # last: its floods load the broker and the machine
)
# What `--only` runs.
ALONE: dict[str, Part] = {
    "backlog": parts.backlog,
    "scale": scale_runs,
    "console": console_part,
    "sites": sites_part,
}
# Where each run writes everything it measured, in the repo root.
OUT = {
    None: "bench.json",
    "backlog": "bench.json",
    "scale": "bench-scale.json",
    "console": "bench-console.json",
    "sites": "bench-sites.json",
}


# The make targets, by the arguments they pass.
MAKE = {(): "make bench", ("--quick",): "make bench-quick", ("--only", "scale"): "make bench-scale"}


def _rows(results: dict[str, Any], only: str | None) -> tuple[list[Figure], tuple[str, ...]]:
    """Return the table's rows and the notes under it (how they were measured)."""
    if only == "backlog":
        return backlog_rows(results["backlog"]), BACKLOG_METHOD
    if only == "scale":
        scale = results["scale_runs"]
        return scale_runs_rows(scale), scale_method(scale)
    if only == "console":
        return console_rows(results["console"]), CONSOLE_METHOD
    if only == "sites":
        return sites_rows(results["sites"]), SITES_METHOD
    return figures(results), (*METHOD, *BACKLOG_METHOD, *CONSOLE_METHOD, *SITES_METHOD)


def run(
    plan: Plan, out: Path, seed: int, keep: bool, only: str | None = None, command: str = ""
) -> int:
    """Run the bench; print the tables; write the JSON; return the exit status."""
    info = machine()
    work = Path(tempfile.mkdtemp(prefix="roomctl-bench-"))
    ok = False
    try:
        with ExitStack() as stack:
            bench = Bench(plan, work, seed, stack)
            bench.say(f"{plan.name} on {info['cpu']} ({info['cores']} cores); work in {work}")
            for part in ALL if only is None else (ALONE[only],):
                part(bench)
            results = bench.results
            results["duration_s"] = round(time.monotonic() - bench.started, 1)
        rows, notes = _rows(results, only)
        results["machine"] = info
        results["figures"] = [r.as_dict() for r in rows]
        out.write_text(json.dumps(results, indent=1) + "\n")
        print(
            f"roomctl {plan.name}: {info['date']}, {info['cpu']}, {info['cores']} cores, "
            f"{info['memory_gb']} GB; took {results['duration_s']:.0f} s\n"
        )
        print(text_table(rows))
        print("\nMarkdown for the README:\n")
        print(markdown_table(rows, info, command or f"make {plan.name}", notes))
        print(f"\nAll figures: {out}")
        ok = True
    finally:
        if ok and not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", file=sys.stderr)
    return 0


def _command(argv: list[str]) -> str:
    """Return the command that made this table, as the README quotes it."""
    return MAKE.get(tuple(argv), " ".join(["python -m bench", *argv]))


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of room counts: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"room counts must be 1 or more: {text!r}")
    return sizes


def _about() -> str:
    """Return the first line of the bench package's description."""
    return (package.__doc__ or "").splitlines()[0]


def main() -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=_about())
    parser.add_argument("--quick", action="store_true", help="the under-a-minute version")
    parser.add_argument("--out", type=Path, help="the JSON file (default: bench.json in the repo)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the random pauses")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument(
        "--only",
        choices=ONLY,
        help="run one part alone: backlog is issue 14's rows; scale repeats issue 15's "
        "pause, cue timing and scale rows (make bench-scale, writes bench-scale.json); "
        "console is issue 11's rows (writes bench-console.json); sites is issue 13's "
        "(writes bench-sites.json)",
    )
    parser.add_argument(
        "--rooms", type=_sizes, help="the scale rows' numbers of rooms, e.g. 50,200,500"
    )
    parser.add_argument("--runs", type=int, help="how often --only scale repeats (default 5)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.rooms is not None:
        plan = dataclasses.replace(plan, scale_steps=args.rooms, scale_sizes=args.rooms)
    if args.runs is not None:
        plan = dataclasses.replace(plan, scale_runs=max(1, args.runs))
    out = args.out or ROOT / OUT[args.only]
    return run(plan, out, args.seed, args.keep, args.only, _command(sys.argv[1:]))
