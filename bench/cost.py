"""Measure what the daemon costs a clinic PC: idle CPU, memory, start-up, and a live fade."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from bench.daemon import CLOCK_TICKS, ONLINE_TIMEOUT_S, DaemonProcess, StartDaemon, cpu_ns
from bench.devices import DeviceProcess
from bench.fade import adapters, economy_fade, plan
from bench.rooms import ECONOMY_FADE_S, ECONOMY_LEAD_S, Light
from bench.stats import Spread
from bench.supervisor import Supervisor
from tests.fixtures.pulse import RATE, PulseServer

# A room that has just started holds still after its one-second fade and the state and
# events that follow: measure from this long after the start.
SETTLE_S = 3.0
# The live fade's light is judged this long after the fade ends (its last command's
# round trip and the simulated light's own transition end).
FADE_DRAIN_S = 1.5
# The recorded sound must be louder than this RMS for the room to count as playing:
# brown noise at -30 dB plays at about 0.03 RMS; silence is 0.
PLAYING_RMS = 0.001
# How much of the recording is measured.
RECORD_CHECK_S = 1.0


def idle_cost(
    sup: Supervisor,
    start_daemon: StartDaemon,
    rooms: tuple[Path, Path],
    hold_profile: str,
    seconds: float,
) -> Callable[[], dict[str, Any]]:
    """Start two one-room daemons (no session; mid-session); return a function that finishes.

    The window opens SETTLE_S after the session's start and lasts `seconds`; a timer reads
    both daemons' CPU time at its end. The returned function waits for that, stops the
    daemons and returns each one's CPU share of one core, in %: from utime + stime in
    /proc/PID/stat (clock ticks), and from the nanoseconds in each thread's schedstat.
    """
    daemons = (start_daemon([rooms[0]], "idle-none"), start_daemon([rooms[1]], "idle-session"))
    for daemon, path in zip(daemons, rooms, strict=True):
        sup.wait_ready(path.stem, daemon.started_mono, ONLINE_TIMEOUT_S)
    sup.command(rooms[1].stem, "start", profile=hold_profile)
    time.sleep(SETTLE_S)
    begin = time.monotonic()
    before = [(d.cpu_seconds(), cpu_ns(d.pid)) for d in daemons]
    after: list[tuple[float, int]] = []
    ended: list[float] = []

    def close_window() -> None:
        after.extend((d.cpu_seconds(), cpu_ns(d.pid)) for d in daemons)
        ended.append(time.monotonic())

    timer = threading.Timer(seconds, close_window)
    timer.start()

    def finish() -> dict[str, Any]:
        timer.join()
        wall = ended[0] - begin
        ticks = [100.0 * (a[0] - b[0]) / wall for a, b in zip(after, before, strict=True)]
        precise = [100.0 * (a[1] - b[1]) / 1e9 / wall for a, b in zip(after, before, strict=True)]
        for daemon in daemons:
            daemon.check_running()
            daemon.stop()
        return {
            "seconds": round(wall, 1),
            "no_session_pct": round(ticks[0], 3),
            "mid_session_pct": round(ticks[1], 3),
            "no_session_schedstat_pct": round(precise[0], 3),
            "mid_session_schedstat_pct": round(precise[1], 3),
            "tick_resolution_pct": round(100.0 / CLOCK_TICKS / wall, 3),
        }

    return finish


def startup(sup: Supervisor, start_daemon: StartDaemon, room: Path, runs: int) -> dict[str, Any]:
    """Start `roomctl run` `runs` times; time process start to retained `online` received."""
    seconds: list[float] = []
    for _ in range(runs):
        daemon = start_daemon([room], "startup")
        seconds.append(
            sup.wait_online(room.stem, daemon.started_mono, ONLINE_TIMEOUT_S) - daemon.started_mono
        )
        daemon.stop()
    return Spread.of(seconds).as_dict()


def audio_memory(
    sup: Supervisor,
    start_daemon: StartDaemon,
    room: Path,
    profile: str,
    seconds: float,
) -> dict[str, Any]:
    """Serve one room with sound through a private PulseAudio null sink; return peak RSS.

    The sound must be heard: the sink's monitor is recorded and its RMS checked.
    """
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pulse-")))
        server = PulseServer(root)
        try:
            server.start()
        except (OSError, RuntimeError) as error:
            return {"measured": False, "why": f"no PulseAudio server: {error}"}
        stack.callback(server.stop)
        daemon = start_daemon([room], "audio", sound=True, env=server.env)
        stack.callback(daemon.stop)
        sup.wait_ready(room.stem, daemon.started_mono, ONLINE_TIMEOUT_S)
        sup.command(room.stem, "start", profile=profile)
        time.sleep(seconds)
        daemon.check_running()
        assert server.recorder is not None
        end = server.recorder.position()
        recorded = server.recorder.read(max(0, end - round(RECORD_CHECK_S * RATE)), RECORD_CHECK_S)
        rms = float(np.sqrt(np.mean(recorded**2))) if recorded.size else 0.0
        rss, peak = daemon.memory_mb()
        return {
            "measured": True,
            "peak_rss_mb": round(peak, 1),
            "rss_mb": round(rss, 1),
            "recorded_rms": round(rms, 4),
            "playing": rms > PLAYING_RMS,
        }


def live_fade(
    sup: Supervisor,
    devices: DeviceProcess,
    daemon: DaemonProcess,
    room_id: str,
    profile: str,
    light: Light,
    speed: float,
) -> dict[str, Any]:
    """Play the 20-minute fade on one light at `speed`; count the commands it received.

    The count is compared with what plan_fade plans for the same fade in wall time.
    """
    sup.wait_ready(room_id, daemon.started_mono, ONLINE_TIMEOUT_S)
    reply = sup.command(room_id, "start", profile=profile)
    lead_end = reply.sent_mono + ECONOMY_LEAD_S / speed
    fade_s = ECONOMY_FADE_S / speed
    time.sleep(max(0.0, lead_end + fade_s + FADE_DRAIN_S - time.monotonic()))
    # Commands from just before the fade's start: the lead-in's own level comes earlier.
    got = devices.ask(op="received", room=room_id, after=lead_end - 0.2, until=time.monotonic())
    commands = got["messages"][light.name]
    levels = devices.ask(op="levels", room=room_id)["levels"][light.name]
    planned = plan(adapters()[light.type], economy_fade("s-curve", fade_s))
    return {
        "type": light.type,
        "easing": "s-curve",
        "speed": speed,
        "wall_fade_s": round(fade_s, 2),
        "commands_received": len(commands),
        "commands_planned": len(planned),
        "final_brightness": levels[1],
    }
