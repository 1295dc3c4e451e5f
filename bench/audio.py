"""Benchmark the sound path: CPU share of one core and underruns with two sources crossfading.

`python -m bench.audio` plays through roomctl's AudioEngine on a real output for --seconds
(default 300), crossfading between two sources back and forth, and measures:
- cpu_percent: the process's CPU time (every thread: PortAudio's, the callback, the
  monitor) as a percentage of one core over the run;
- callback_percent: time spent inside the audio callback (mixing) as a percentage;
- underruns: callbacks that PortAudio flagged with output underflow (target 0).

Sources are loaded before the measurement starts, as a room does with preload().
With --private-pulse it starts the same private PulseAudio null sink as the tests (for a
machine without a sound card), else it plays on --output.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from roomctl.audio import AudioEngine
from roomctl.core.levels import Voice, db_to_gain
from tests.fixtures.pulse import PulseServer


def run(
    seconds: float, output: str, crossfade_s: float, sources: tuple[str, str]
) -> dict[str, object]:
    """Crossfade between two sources for `seconds`; return CPU share, callback share, underruns."""
    engine = AudioEngine(output, max_gain=db_to_gain(-12.0))
    engine.start()
    try:
        mixes = [(Voice(name, db_to_gain(-18.0)),) for name in sources]
        for mix in mixes:
            engine.preload(mix)
        engine.apply(mixes[0], 0.0, "linear")
        time.sleep(1.0)
        underruns_before, callback_before = engine.underruns, engine.callback_seconds
        cpu_before, wall_before = time.process_time(), time.monotonic()
        turn = 1
        while (elapsed := time.monotonic() - wall_before) < seconds:
            engine.apply(mixes[turn % 2], crossfade_s, "s-curve")
            turn += 1
            time.sleep(min(crossfade_s, seconds - elapsed))
        wall = time.monotonic() - wall_before
        result: dict[str, object] = {
            "seconds": round(wall, 1),
            "rate": engine.rate,
            "channels": engine.channels,
            "sources": list(sources),
            "crossfades": turn - 1,
            "cpu_percent": round(100.0 * (time.process_time() - cpu_before) / wall, 2),
            "callback_percent": round(
                100.0 * (engine.callback_seconds - callback_before) / wall, 2
            ),
            "underruns": engine.underruns - underruns_before,
        }
    finally:
        engine.stop()
    return result


def main() -> None:
    """Parse the options, play, and print the figures as a table row and as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--output", default="default")
    parser.add_argument("--crossfade", type=float, default=10.0, help="seconds per crossfade")
    parser.add_argument("--sources", nargs=2, default=["scape:surf", "noise:pink"])
    parser.add_argument("--private-pulse", action="store_true")
    args = parser.parse_args()
    sources = (args.sources[0], args.sources[1])
    if args.private_pulse:
        with tempfile.TemporaryDirectory() as root:
            server = PulseServer(Path(root))
            os.environ["XDG_RUNTIME_DIR"] = server.env["XDG_RUNTIME_DIR"]
            os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]
            server.start()
            try:
                result = run(args.seconds, args.output, args.crossfade, sources)
            finally:
                server.stop()
    else:
        result = run(args.seconds, args.output, args.crossfade, sources)
    print("| seconds | rate | sources | CPU % of one core | callback % | underruns |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {result['seconds']} | {result['rate']} | {' / '.join(sources)} | "
        f"{result['cpu_percent']} | {result['callback_percent']} | {result['underruns']} |"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
