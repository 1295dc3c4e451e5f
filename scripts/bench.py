#!/usr/bin/env python3
"""Benchmark roomctl as users run it, beside the baselines that set its limits (issues 6, 14).

`make bench` (under 6 minutes) and `make bench-quick` (under a minute) start a real
Mosquitto on a free port (with `set_tcp_nodelay true`, see the README), run `roomctl
run` as child processes for the daemon, the simulated lights (roomctl.demo.sim) in another
process, and the supervisors as paho clients in this one. They print a table of every
figure beside its baseline or target, a Markdown copy of it for the README, and write
everything measured to bench.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script: the repo root holds roomctl and tests/ (whose Mosquitto is reused).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_backlog import Backlog, BacklogPlan, backlog_bench
from bench_cost import audio_memory, idle_cost, live_fade, startup
from bench_cues import cue_run
from bench_daemon import DaemonProcess
from bench_devices import DeviceProcess
from bench_fade import fade_costs
from bench_latency import emergency_bench, pause_bench
from bench_machine import machine
from bench_report import (
    BACKLOG_METHOD,
    METHOD,
    SCALE_P99_MS,
    backlog_rows,
    figures,
    markdown_table,
    text_table,
)
from bench_rooms import SIX_LIGHTS, TWELVE_LIGHTS, BenchFiles, Light
from bench_stats import Spread
from bench_supervisor import Supervisor

from tests.fixtures.broker import Mosquitto

ROOT = Path(__file__).resolve().parent.parent
# Mosquitto sends each packet at once: without it every QoS 1 exchange can wait for a
# delayed ACK (40 ms on Linux), which no client can avoid (see the default-broker row).
BROKER_CONFIG = "set_tcp_nodelay true"
# The pause bench rotates over this many rooms (see bench_latency.PAUSE_GAP_S).
PAUSE_ROOMS = 4
# Sessions are started this long before the first pause: the long fade's 2-s dim phase.
LEAD_IN_S = 2.5
# A daemon publishes `online` within a second or two; allow a loaded machine ten.
ONLINE_TIMEOUT_S = 10.0
# The emergency room's session: ten one-minute phases outlast every emergency call.
STEPPED_PHASES = 10
# Issue 6's parts stay under 5 minutes (issue 14's rows come after, under one more): a
# scale step that would end later than this (with the measurements after it still to
# come) is skipped. A step takes about a fixed part
# (start, window, stop) plus a part per room (starting it, stopping it).
SCALE_BUDGET_S = 265.0
SCALE_STEP_BASE_S = 18.0
SCALE_STEP_PER_ROOM_S = 0.18
# A helper (echo) stops within this long of its stdin closing.
HELPER_STOP_TIMEOUT_S = 10.0
# The 100-room memory run, when the scale steps did not reach 100 rooms: the sessions'
# start-up is the peak; a short window after it is enough.
MEMORY_WINDOW_S = 2.0
# The fade economy's live light.
LIVE_LIGHT = Light("bulb", "zigbee2mqtt")


@dataclass(frozen=True)
class Plan:
    """How much each part of the bench repeats."""

    name: str
    pause_trials: int
    emergency_trials: int
    idle_s: float
    cue_rooms: int
    cue_window_s: float
    scale_steps: tuple[int, ...]
    startup_runs: int
    audio_s: float
    live_speed: float
    default_broker_pings: int
    memory_100: bool
    backlog: BacklogPlan


# Issue 14's rows take under a minute in `make bench`, a quarter of that in bench-quick,
# whatever the daemon does: a row stops starting trials once its budget is spent.
FULL_BACKLOG = BacklogPlan(quiet=40, junk=15, flood=6, frozen=4, row_budget_s=12.0)
QUICK_BACKLOG = BacklogPlan(quiet=10, junk=3, flood=1, frozen=1, row_budget_s=3.0)
FULL = Plan(
    "bench",
    200,
    200,
    60.0,
    50,
    15.0,
    (50, 100, 200, 400, 800),
    5,
    8.0,
    60.0,
    200,
    True,
    FULL_BACKLOG,
)
QUICK = Plan("bench-quick", 25, 25, 10.0, 25, 4.0, (), 2, 3.0, 120.0, 30, False, QUICK_BACKLOG)
# Parts that can run alone (`--only`): issue 14's emergency-under-load rows.
ONLY = ("backlog",)


class Bench:
    """One bench run: its work folder, broker, files, supervisor and results."""

    def __init__(self, plan: Plan, work: Path, seed: int, stack: ExitStack) -> None:
        self.plan = plan
        self.work = work
        self.rng = random.Random(seed)
        self.stack = stack
        self.started = time.monotonic()
        self.broker = Mosquitto(workdir=self._dir("broker"), extra_config=BROKER_CONFIG)
        self.broker.start()
        stack.callback(self.broker.stop)
        self.files = BenchFiles(work / "profiles")
        self.idle_rooms = (
            self.files.room("idle-none", SIX_LIGHTS),
            self.files.room("idle-session", SIX_LIGHTS),
        )
        self._finish_idle: Callable[[], dict[str, Any]] | None = None
        self.sup = Supervisor(self.broker.url)
        stack.callback(self.sup.close)
        self._daemons = 0
        self.results: dict[str, Any] = {"mode": plan.name}

    def _dir(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def say(self, text: str) -> None:
        """Show progress on stderr (the tables go to stdout)."""
        print(f"[{time.monotonic() - self.started:5.0f} s] {text}", file=sys.stderr, flush=True)

    def daemon(
        self,
        rooms: list[Path],
        name: str,
        *,
        sound: bool = False,
        env: dict[str, str] | None = None,
        speed: float = 1.0,
        state_dir: Path | None = None,
    ) -> DaemonProcess:
        """Start `roomctl run` for rooms, with its own fresh journal (or `state_dir`) and log."""
        self._daemons += 1
        label = f"{self._daemons:02d}-{name}"
        daemon = DaemonProcess(
            rooms,
            self.broker.url,
            self.files.sessions,
            state_dir or self._dir("state") / label,
            self._dir("logs") / f"{label}.log",
            sound=sound,
            speed=speed,
            env=env,
        )
        self.stack.callback(daemon.stop)  # again after a failure; a no-op once stopped
        return daemon

    def process(self, args: list[str], log: str) -> subprocess.Popen[str]:
        """Start a helper script that prints `ready`; stop it when the run ends."""
        out = (self._dir("logs") / log).open("a")
        child = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
        )
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{args[0]} did not start: see {out.name}")

        def stop() -> None:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=HELPER_STOP_TIMEOUT_S)
            out.close()

        self.stack.callback(stop)
        return child

    # -- the parts ---------------------------------------------------------------------

    def round_trip_default_broker(self) -> None:
        """Time echoes through a second Mosquitto left at its default configuration."""
        broker = Mosquitto(workdir=self._dir("broker-default"))
        broker.start()
        try:
            script = str(ROOT / "scripts" / "bench_echo.py")
            with _stopping(self.process([script, "--broker", broker.url], "echo-default.log")):
                sup = Supervisor(broker.url, name="bench-default")
                try:
                    rtt = [sup.ping() for _ in range(self.plan.default_broker_pings)]
                finally:
                    sup.close()
        finally:
            broker.stop()
        self.results["rtt_default_broker"] = Spread.of(rtt).as_dict()

    def latency(self) -> None:
        """Pause and emergency latency, and (meanwhile) the live fade."""
        files, plan = self.files, self.plan
        pause_rooms = [files.room(f"pause-{i}", SIX_LIGHTS) for i in range(1, PAUSE_ROOMS + 1)]
        emergency = files.room("emergency", TWELVE_LIGHTS)
        economy = files.room("economy", (LIVE_LIGHT,))
        long_fade, stepped = files.long_fade(), files.stepped(STEPPED_PHASES)
        self.process(
            [str(ROOT / "scripts" / "bench_echo.py"), "--broker", self.broker.url], "echo.log"
        )
        devices = DeviceProcess(
            self.broker.url,
            [*pause_rooms, emergency, *self.idle_rooms, economy],
            self._dir("logs") / "devices.log",
        )
        self.stack.callback(devices.stop)
        daemon = self.daemon([*pause_rooms, emergency], "latency")
        live_daemon = self.daemon([economy], "economy", speed=plan.live_speed)
        ids = [p.stem for p in pause_rooms]
        for room_id in [*ids, "emergency"]:
            self.sup.wait_ready(room_id, daemon.started_mono, ONLINE_TIMEOUT_S)
        for room_id in ids:
            self.sup.command(room_id, "start", profile=long_fade)
        self.sup.command("emergency", "start", profile=stepped)
        time.sleep(LEAD_IN_S)
        live: dict[str, Any] = {}
        economy_profile = files.economy("s-curve")

        def play_live() -> None:
            live.update(
                live_fade(
                    self.sup,
                    devices,
                    live_daemon,
                    "economy",
                    economy_profile,
                    LIVE_LIGHT,
                    plan.live_speed,
                )
            )

        live_thread = threading.Thread(target=play_live)
        live_thread.start()
        self.say(f"pause: {plan.pause_trials} pauses over {PAUSE_ROOMS} rooms")
        measured = pause_bench(self.sup, devices, ids, plan.pause_trials, self.rng)
        self.say(f"emergency: {plan.emergency_trials} calls, 12 lights")
        measured["emergency"] = emergency_bench(
            self.sup, devices, "emergency", plan.emergency_trials, self.rng
        )
        daemon.check_running()
        daemon.stop()
        live_thread.join()
        live_daemon.stop()
        self.results.update(measured)
        self.results["fade_economy"] = {"pure": [c.as_dict() for c in fade_costs()], "live": live}

    def cues(self) -> None:
        """Cue timing of 50 rooms with simulated lights."""
        plan = self.plan
        self.say(f"cue timing: {plan.cue_rooms} rooms x 6 simulated lights")
        cue = cue_run(
            self.sup,
            self.files,
            self.daemon,
            plan.cue_rooms,
            plan.cue_window_s,
            self._dir("logs") / "devices-cues.log",
            self._broker(),
            self.rng,
        )
        self.results["cue_timing"] = cue.as_dict()

    def start_idle(self) -> None:
        """Start the idle-cost window; it runs through the quiet parts that follow.

        Those have no simulated lights, so no other room's Shelly answers reach the idle
        daemons through the shared `roomctl/rpc` topic (see the bench report).
        """
        self.say(f"idle cost: two one-room daemons for {self.plan.idle_s:.0f} s, meanwhile:")
        self._finish_idle = idle_cost(
            self.sup, self.daemon, self.idle_rooms, self.files.hold(), self.plan.idle_s
        )

    def finish_idle(self) -> None:
        """Wait for the idle-cost window's end and keep its figures."""
        assert self._finish_idle is not None
        self.results["idle"] = self._finish_idle()

    def scale(self) -> None:
        """Rooms per process before cue p99 passes 20 ms, without simulated lights."""
        plan = self.plan
        broker = self._broker()
        steps: list[dict[str, Any]] = []
        memory_100: dict[str, Any] = {"measured": False, "why": "not run by bench-quick"}
        if not plan.scale_steps:
            steps.append(self.results["cue_timing"])
        for rooms in plan.scale_steps:
            needed = SCALE_STEP_BASE_S + SCALE_STEP_PER_ROOM_S * rooms
            if time.monotonic() - self.started + needed > SCALE_BUDGET_S:
                steps.append({"rooms": rooms, "skipped": "time budget", "passed": False})
                break
            self.say(f"scale: {rooms} rooms, no simulated lights")
            step = self._scale_step(rooms, broker)
            steps.append(step)
            if rooms == 100 and "peak_rss_mb" in step:
                memory_100 = {"measured": True, "peak_rss_mb": step["peak_rss_mb"]}
            if not step.get("passed"):
                break
        if plan.memory_100 and not memory_100["measured"]:
            self.say("memory: 100 rooms")
            run = cue_run(
                self.sup, self.files, self.daemon, 100, MEMORY_WINDOW_S, None, broker, self.rng
            )
            memory_100 = {"measured": True, "peak_rss_mb": run.peak_rss_mb}
        ran = [s for s in steps if "skipped" not in s]
        passed = [s["rooms"] for s in ran if s.get("passed", _passed(s))]
        self.results["scale"] = {
            "steps": steps,
            "rooms_within": max(passed, default=0),
            "all_passed": len(passed) == len(ran),
            "simulated_devices": not plan.scale_steps,
        }
        self.results.setdefault("memory", {})["rooms_100"] = memory_100

    def _scale_step(self, rooms: int, broker: tuple[str, int]) -> dict[str, Any]:
        try:
            run = cue_run(
                self.sup,
                self.files,
                self.daemon,
                rooms,
                self.plan.cue_window_s,
                None,
                broker,
                self.rng,
            )
        except TimeoutError as error:
            return {"rooms": rooms, "error": str(error), "passed": False}
        step = run.as_dict()
        step["passed"] = _passed(step)
        return step

    def cost(self) -> None:
        """Memory with audio and start-up time."""
        files = self.files
        self.say("memory: one room with audio (private PulseAudio null sink)")
        audio = files.room("audio", SIX_LIGHTS, audio=True)
        memory = self.results.setdefault("memory", {})
        memory["audio"] = audio_memory(
            self.sup, self.daemon, audio, files.sound(), self.plan.audio_s
        )
        self.say(f"start-up: {self.plan.startup_runs} starts")
        boot = files.room("boot", SIX_LIGHTS)
        self.results["startup"] = startup(self.sup, self.daemon, boot, self.plan.startup_runs)

    def backlog(self) -> None:
        """Emergency behind queued junk, a flood and a frozen state disk (issue 14)."""
        files = self.files
        rooms = (files.room("backlog", TWELVE_LIGHTS), files.room("frozen", TWELVE_LIGHTS))
        devices = DeviceProcess(
            self.broker.url, list(rooms), self._dir("logs") / "devices-backlog.log"
        )
        self.stack.callback(devices.stop)
        try:
            backlog = Backlog(
                self.sup,
                devices,
                self.broker.url,
                self._dir("logs"),
                self.rng,
                self.say,
                self.broker.workdir / "mosquitto.log",
            )
            self.results["backlog"] = backlog_bench(
                backlog, self.plan.backlog, self.daemon, rooms, files.hold(), self.work
            )
        finally:
            devices.stop()

    def _broker(self) -> tuple[str, int]:
        assert self.broker.process is not None
        return self.broker.url, self.broker.process.pid


def _passed(step: dict[str, Any]) -> bool:
    error = step.get("arrival_error")
    if not error or step.get("events_received") != step.get("events_expected"):
        return False
    return bool(error["p99_ms"] <= SCALE_P99_MS)


@contextmanager
def _stopping(child: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    try:
        yield child
    finally:
        if child.stdin is not None and not child.stdin.closed:
            child.stdin.close()
        child.wait(timeout=HELPER_STOP_TIMEOUT_S)


def run(plan: Plan, out: Path, seed: int, keep: bool, only: str | None = None) -> int:
    """Run the bench; print the tables; write the JSON; return the exit status."""
    info = machine()
    work = Path(tempfile.mkdtemp(prefix="roomctl-bench-"))
    ok = False
    try:
        with ExitStack() as stack:
            bench = Bench(plan, work, seed, stack)
            bench.say(f"{plan.name} on {info['cpu']} ({info['cores']} cores); work in {work}")
            parts: list[Callable[[], None]] = [
                bench.round_trip_default_broker,
                bench.latency,
                bench.cues,
                bench.start_idle,
                bench.scale,
                bench.cost,
                bench.finish_idle,
                bench.backlog,  # last: its floods load the broker and the machine
            ]
            if only is not None:
                parts = [getattr(bench, only)]
            for part in parts:
                part()
            results = bench.results
            results["duration_s"] = round(time.monotonic() - bench.started, 1)
        rows = figures(results) if only is None else backlog_rows(results["backlog"])
        notes = (*METHOD, *BACKLOG_METHOD) if only is None else BACKLOG_METHOD
        results["machine"] = info
        results["figures"] = [r.as_dict() for r in rows]
        out.write_text(json.dumps(results, indent=1) + "\n")
        print(
            f"roomctl {plan.name}: {info['date']}, {info['cpu']}, {info['cores']} cores, "
            f"{info['memory_gb']} GB; took {results['duration_s']:.0f} s\n"
        )
        print(text_table(rows))
        print("\nMarkdown for the README:\n")
        command = f"make {plan.name}"
        if only is not None:
            quick = " --quick" if plan is QUICK else ""
            command = f"scripts/bench.py{quick} --only {only}"
        print(markdown_table(rows, info, command, notes))
        print(f"\nAll figures: {out}")
        ok = True
    finally:
        if ok and not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", file=sys.stderr)
    return 0


def main() -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the under-a-minute version")
    parser.add_argument("--out", type=Path, default=ROOT / "bench.json")
    parser.add_argument("--seed", type=int, default=6, help="seed of the random pauses")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument("--only", choices=ONLY, help="run one part alone: backlog is issue 14's")
    args = parser.parse_args()
    return run(QUICK if args.quick else FULL, args.out, args.seed, args.keep, args.only)


if __name__ == "__main__":
    sys.exit(main())
