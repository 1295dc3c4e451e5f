"""The parts of `make bench` that measure one thing each, run in turn on one Bench."""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

from bench.backlog import Backlog
from bench.backlog_run import backlog_bench
from bench.cost import audio_memory, idle_cost, live_fade, startup
from bench.cues import cue_run
from bench.daemon import ONLINE_TIMEOUT_S
from bench.devices import DeviceProcess
from bench.fade import fade_costs
from bench.latency import emergency_bench, pause_bench
from bench.rooms import SIX_LIGHTS, TWELVE_LIGHTS, Light
from bench.session import Bench, stopping
from bench.stats import Spread
from bench.supervisor import Supervisor
from tests.fixtures.broker import Mosquitto

# The pause bench rotates over this many rooms (see bench.latency.PAUSE_GAP_S).
PAUSE_ROOMS = 4
# Sessions are started this long before the first pause: the long fade's 2-s dim phase.
LEAD_IN_S = 2.5
# The emergency room's session: ten one-minute phases outlast every emergency call.
STEPPED_PHASES = 10
# The fade economy's live light.
LIVE_LIGHT = Light("bulb", "zigbee2mqtt")


def round_trip_default_broker(bench: Bench) -> None:
    """Time echoes through a second Mosquitto left at its default configuration."""
    broker = Mosquitto(workdir=bench.dir("broker-default"))
    broker.start()
    try:
        echo = bench.process("bench.echo", ["--broker", broker.url], "echo-default.log")
        with stopping(echo):
            sup = Supervisor(broker.url)
            try:
                rtt = [sup.ping() for _ in range(bench.plan.default_broker_pings)]
            finally:
                sup.close()
    finally:
        broker.stop()
    bench.results["rtt_default_broker"] = Spread.of(rtt).as_dict()


def latency(bench: Bench) -> None:
    """Pause and emergency latency, and (meanwhile) the live fade."""
    files, plan, sup = bench.files, bench.plan, bench.sup
    pause_rooms = [files.room(f"pause-{i}", SIX_LIGHTS) for i in range(1, PAUSE_ROOMS + 1)]
    emergency = files.room("emergency", TWELVE_LIGHTS)
    economy = files.room("economy", (LIVE_LIGHT,))
    long_fade, stepped = files.long_fade(), files.stepped(STEPPED_PHASES)
    bench.process("bench.echo", ["--broker", bench.broker.url], "echo.log")
    devices = DeviceProcess(
        bench.broker.url,
        [*pause_rooms, emergency, *bench.idle_rooms, economy],
        bench.dir("logs") / "devices.log",
    )
    bench.stack.callback(devices.stop)
    tap = devices.tap(bench.broker.url)
    bench.stack.callback(tap.stop)
    daemon = bench.daemon([*pause_rooms, emergency], "latency")
    live_daemon = bench.daemon([economy], "economy", speed=plan.live_speed)
    ids = [p.stem for p in pause_rooms]
    for room_id in [*ids, "emergency"]:
        sup.wait_ready(room_id, daemon.started_mono, ONLINE_TIMEOUT_S)
    for room_id in ids:
        sup.command(room_id, "start", profile=long_fade)
    sup.command("emergency", "start", profile=stepped)
    time.sleep(LEAD_IN_S)
    live: dict[str, Any] = {}
    economy_profile = files.economy("s-curve")

    def play_live() -> None:
        live.update(
            live_fade(
                sup, devices, live_daemon, "economy", economy_profile, LIVE_LIGHT, plan.live_speed
            )
        )

    live_thread = threading.Thread(target=play_live)
    live_thread.start()
    bench.say(f"pause: {plan.pause_trials} pauses over {PAUSE_ROOMS} rooms")
    measured = pause_bench(sup, devices, tap, ids, plan.pause_trials, bench.rng)
    bench.say(f"emergency: {plan.emergency_trials} calls, 12 lights")
    measured["emergency"] = emergency_bench(
        sup, devices, tap, "emergency", plan.emergency_trials, bench.rng
    )
    daemon.check_running()
    daemon.stop()
    live_thread.join()
    live_daemon.stop()
    bench.results.update(measured)
    bench.results["fade_economy"] = {"pure": [c.as_dict() for c in fade_costs()], "live": live}


def cues(bench: Bench) -> None:
    """Cue timing of 50 rooms with simulated lights."""
    plan = bench.plan
    bench.say(f"cue timing: {plan.cue_rooms} rooms x 6 simulated lights")
    cue = cue_run(
        bench.sup,
        bench.files,
        bench.daemon,
        plan.cue_rooms,
        plan.cue_window_s,
        bench.dir("logs") / "devices-cues.log",
        bench.broker_process(),
        bench.rng,
        bench.stalls,
    )
    bench.results["cue_timing"] = cue.as_dict()


def start_idle(bench: Bench) -> None:
    """Start the idle-cost window; it runs through the quiet parts that follow.

    Those have no simulated lights, so no other room's Shelly answers reach the idle
    daemons through the shared `roomctl/rpc` topic (see the bench report).
    """
    bench.say(f"idle cost: two one-room daemons for {bench.plan.idle_s:.0f} s, meanwhile:")
    files = bench.idle_files
    start = functools.partial(bench.daemon, profiles=files.sessions)
    bench.finish_idle = idle_cost(
        bench.sup, start, bench.idle_rooms, files.hold(), bench.plan.idle_s
    )


def finish_idle(bench: Bench) -> None:
    """Wait for the idle-cost window's end and keep its figures."""
    assert bench.finish_idle is not None
    bench.results["idle"] = bench.finish_idle()


def cost(bench: Bench) -> None:
    """Memory with audio and start-up time."""
    files = bench.files
    bench.say("memory: one room with audio (private PulseAudio null sink)")
    audio = files.room("audio", SIX_LIGHTS, audio=True)
    memory = bench.results.setdefault("memory", {})
    memory["audio"] = audio_memory(
        bench.sup, bench.daemon, audio, files.sound(), bench.plan.audio_s
    )
    bench.say(f"start-up: {bench.plan.startup_runs} starts")
    boot = files.room("boot", SIX_LIGHTS)
    bench.results["startup"] = startup(bench.sup, bench.daemon, boot, bench.plan.startup_runs)


def backlog(bench: Bench) -> None:
    """Emergency behind queued junk, a flood and a frozen state disk (issue 14)."""
    files = bench.files
    rooms = (files.room("backlog", TWELVE_LIGHTS), files.room("frozen", TWELVE_LIGHTS))
    devices = DeviceProcess(
        bench.broker.url, list(rooms), bench.dir("logs") / "devices-backlog.log"
    )
    bench.stack.callback(devices.stop)
    try:
        runner = Backlog(
            bench.sup,
            devices,
            bench.broker.url,
            bench.dir("logs"),
            bench.rng,
            bench.say,
            bench.broker.workdir / "mosquitto.log",
        )
        bench.results["backlog"] = backlog_bench(
            runner, bench.plan.backlog, bench.daemon, rooms, files.hold(), bench.work
        )
    finally:
        devices.stop()
