"""Each `make bench-scale` run's pause rows: round trip, reply and freeze, as `make bench`."""

from __future__ import annotations

import time
from typing import Any

from bench.daemon import ONLINE_TIMEOUT_S
from bench.devices import DeviceProcess
from bench.latency import pause_bench
from bench.parts import LEAD_IN_S, PAUSE_ROOMS, STEPPED_PHASES
from bench.rooms import SIX_LIGHTS, TWELVE_LIGHTS
from bench.session import Bench

# Pauses per run: `make bench` times 200 in about 40 s; five runs of that would take
# `make bench-scale` past 10 minutes, so each run times half as many (about 20 s). The
# p99 of 100 lies between the two slowest, so it is no easier to meet than 200's.
SCALE_PAUSE_TRIALS = 100
# What ends one run's pause figures (recorded in it as failed) rather than the whole run:
# rooms that do not come online, a refused pause, silent devices, a daemon that exited.
PAUSE_FAILURES = (TimeoutError, RuntimeError)


def start_echo(bench: Bench) -> None:
    """Start the echo client that the round-trip baseline pings (once for every run)."""
    bench.process("bench.echo", ["--broker", bench.broker.url], "echo.log")


def pause_run(bench: Bench, index: int, trials: int) -> dict[str, Any]:
    """Time one run's round trips and pauses over 4 fading rooms beside a 12-light room."""
    files, sup = bench.files, bench.sup
    rooms = [files.room(f"pause-{i}", SIX_LIGHTS) for i in range(1, PAUSE_ROOMS + 1)]
    # As in `make bench`: the emergency room's 12 lights fade in the same daemon meanwhile.
    emergency = files.room("emergency", TWELVE_LIGHTS)
    devices = DeviceProcess(
        bench.broker.url, [*rooms, emergency], bench.dir("logs") / f"devices-pause-{index}.log"
    )
    bench.stack.callback(devices.stop)
    tap = devices.tap(bench.broker.url)
    try:
        daemon = bench.daemon([*rooms, emergency], f"pause-{index}")
        ids = [path.stem for path in rooms]
        for room_id in [*ids, "emergency"]:
            sup.wait_ready(room_id, daemon.started_mono, ONLINE_TIMEOUT_S)
        for room_id in ids:
            sup.command(room_id, "start", profile=files.long_fade())
        sup.command("emergency", "start", profile=files.stepped(STEPPED_PHASES))
        time.sleep(LEAD_IN_S)
        measured = pause_bench(sup, devices, tap, ids, trials, bench.rng)
        daemon.check_running()
        daemon.stop()
    except PAUSE_FAILURES as error:
        return {"error": str(error)}
    finally:
        tap.stop()
        devices.stop()
    return measured
