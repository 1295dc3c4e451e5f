"""Turn the bench's results into figures beside their targets: a text table and a README table."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Issue 6's targets.
PAUSE_P99_MS = 20.0
PAUSE_BASELINE_FACTOR = 4.0
EMERGENCY_P99_MS = 30.0
CUE_P99_MS = 10.0
IDLE_PCT = 0.5
AUDIO_RSS_MB = 80.0
ROOMS_100_RSS_MB = 250.0
STARTUP_S = 1.5
SCALE_P99_MS = 20.0
SCALE_ROOMS = 200
ONE_PER_SECOND = 1200


@dataclass(frozen=True)
class Figure:
    """One row of the table: what was measured, beside its baseline or target."""

    name: str
    measured: str
    target: str
    met: bool | None  # None: a reference, or not measured

    @property
    def verdict(self) -> str:
        """Return met, MISSED, or a dash for references."""
        if self.met is None:
            return "-"
        return "met" if self.met else "MISSED"

    def as_dict(self) -> dict[str, Any]:
        """Return the row as JSON-able data."""
        return {
            "figure": self.name,
            "measured": self.measured,
            "target": self.target,
            "met": self.met,
        }


def machine() -> dict[str, Any]:
    """Return the CPU model, core count, memory, OS, Python, Mosquitto and roomctl commit."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "mosquitto": _run(["mosquitto", "-h"]).splitlines()[0:1],
        "roomctl_commit": _run(["git", "rev-parse", "--short", "HEAD"]).strip(),
        "tree_modified": bool(_run(["git", "status", "--porcelain", "--", "roomctl"]).strip()),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _run(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=10)
    except OSError:
        return ""
    return done.stdout or done.stderr


def _ms(spread: dict[str, Any]) -> str:
    return f"p50 {spread['p50_ms']:.1f} / p99 {spread['p99_ms']:.1f} ms"


def _under(value: float, limit: float) -> bool | None:
    return None if math.isnan(value) else value <= limit


def figures(results: dict[str, Any]) -> list[Figure]:
    """Return every figure of issue 6's table with its baseline or target, from one run."""
    rows: list[Figure] = []
    rtt = results["rtt"]
    rows.append(
        Figure("MQTT round trip (baseline)", _ms(rtt), "reference (echo client, TCP_NODELAY)", None)
    )
    rows.append(
        Figure(
            "  echo client with paho defaults",
            _ms(results["rtt_default_client"]),
            "reference (as roomctl's bus connects)",
            None,
        )
    )
    rows.append(
        Figure(
            "  default Mosquitto config",
            _ms(results["rtt_default_broker"]),
            "reference (no set_tcp_nodelay)",
            None,
        )
    )
    limit = min(PAUSE_P99_MS, PAUSE_BASELINE_FACTOR * rtt["p99_ms"])
    pause = results["pause"]
    target = f"p99 <= 20 ms and <= 4x baseline p99 (= {limit:.1f} ms)"
    for label, key in (("Pause -> reply", "reply"), ("Pause -> last light's freeze", "last_light")):
        spread = pause[key]
        rows.append(
            Figure(
                label,
                _ms(spread) + f" ({pause['trials']} pauses)",
                target,
                _under(spread["p99_ms"], limit),
            )
        )
    emergency = results["emergency"]
    rows.append(
        Figure(
            "Emergency -> 12th light at full",
            _ms(emergency["last_light"]) + f" ({emergency['trials']} calls, queues full)",
            "p99 <= 30 ms",
            _under(emergency["last_light"]["p99_ms"], EMERGENCY_P99_MS),
        )
    )
    rows += _cue_rows(results["cue_timing"])
    rows += _fade_rows(results["fade_economy"])
    rows += _idle_rows(results["idle"])
    rows += _memory_rows(results["memory"])
    startup = results["startup"]
    rows.append(
        Figure(
            "Start-up -> retained online",
            f"p50 {startup['p50_ms'] / 1000:.2f} / "
            f"max {startup['max_ms'] / 1000:.2f} s ({startup['n']} starts)",
            "<= 1.5 s",
            _under(startup["max_ms"] / 1000, STARTUP_S),
        )
    )
    rows.append(_scale_row(results["scale"]))
    return rows


def _cue_rows(cue: dict[str, Any]) -> list[Figure]:
    arrival, daemon = cue["arrival_error"], cue["daemon_ts_error"]
    label = f"Cue timing error, {cue['rooms']} rooms x 6 lights"
    measured = (
        f"arrival {_ms(arrival)}; daemon ts p99 {daemon['p99_ms']:.1f} ms "
        f"({cue['events_received']}/{cue['events_expected']} events)"
    )
    complete = cue["events_received"] == cue["events_expected"]
    met = _under(arrival["p99_ms"], CUE_P99_MS)
    return [Figure(label, measured, "p99 <= 10 ms", None if met is None else met and complete)]


def _fade_rows(economy: dict[str, Any]) -> list[Figure]:
    rows: list[Figure] = []
    by_type: dict[str, list[dict[str, Any]]] = {}
    for cost in economy["pure"]:
        by_type.setdefault(cost["type"], []).append(cost)
    for light_type, costs in by_type.items():
        counts = "/".join(str(c["messages"]) for c in costs)
        worst = max(c["max_error_pct"] for c in costs)
        native = costs[0]["native_transition"]
        if native:
            target = "within 1 % of the curve; linear 1 (per max transition)"
        else:
            target = f"<= 95 (1 per 1 % of 95 %), >= {1 / costs[0]['network_rate_hz']:.1f} s apart"
        measured = f"{counts} msgs (lin/s/in/out) vs {ONE_PER_SECOND}; max error {worst:.2f} %" + (
            "" if native else f"; >= {min(c['min_interval_s'] for c in costs):.1f} s apart"
        )
        rows.append(
            Figure(
                f"Fade economy, {light_type} (20 min)",
                measured,
                target,
                all(c["meets_target"] for c in costs),
            )
        )
    live = economy["live"]
    rows.append(
        Figure(
            f"Fade economy live, {live['type']} {live['easing']} at {live['speed']:.0f}x",
            f"{live['commands_received']} commands received, ends at "
            f"{live['final_brightness'] * 100:.0f} %",
            f"= planned ({live['commands_planned']}), ends at 100 %",
            live["commands_received"] == live["commands_planned"]
            and live["final_brightness"] >= 0.995,
        )
    )
    return rows


def _idle_rows(idle: dict[str, Any]) -> list[Figure]:
    rows = []
    for label, key in (("no session", "no_session"), ("mid-session", "mid_session")):
        ticks, precise = idle[f"{key}_pct"], idle[f"{key}_schedstat_pct"]
        measured = (
            f"{ticks:.2f} % of one core over {idle['seconds']:.0f} s (utime+stime, "
            f"+-{idle['tick_resolution_pct']:.2f} %); schedstat {precise:.3f} %"
        )
        met = _under(ticks, IDLE_PCT)
        rows.append(Figure(f"Idle CPU, {label}", measured, "<= 0.5 %", met))
    return rows


def _memory_rows(memory: dict[str, Any]) -> list[Figure]:
    audio, rooms = memory["audio"], memory["rooms_100"]
    rows = []
    if audio.get("measured"):
        playing = "sound playing" if audio["playing"] else "NO SOUND RECORDED"
        rows.append(
            Figure(
                "Peak RSS, one room with audio",
                f"{audio['peak_rss_mb']:.1f} MB ({playing}, RMS {audio['recorded_rms']})",
                "<= 80 MB",
                audio["peak_rss_mb"] <= AUDIO_RSS_MB and audio["playing"],
            )
        )
    else:
        rows.append(
            Figure(
                "Peak RSS, one room with audio", f"not measured: {audio['why']}", "<= 80 MB", None
            )
        )
    if rooms.get("measured"):
        rows.append(
            Figure(
                "Peak RSS, 100 rooms",
                f"{rooms['peak_rss_mb']:.1f} MB (sessions fading)",
                "<= 250 MB",
                rooms["peak_rss_mb"] <= ROOMS_100_RSS_MB,
            )
        )
    else:
        rows.append(
            Figure("Peak RSS, 100 rooms", f"not measured: {rooms['why']}", "<= 250 MB", None)
        )
    return rows


def _step(step: dict[str, Any]) -> str:
    if "skipped" in step:
        return f"{step['rooms']}: not run ({step['skipped']})"
    if "error" in step:
        return f"{step['rooms']}: failed ({step['error']})"
    return f"{step['rooms']}: {step['arrival_error']['p99_ms']:.0f} ms"


def _scale_row(scale: dict[str, Any]) -> Figure:
    steps = "; ".join(_step(s) for s in scale["steps"])
    within = scale["rooms_within"]
    shown = f">= {within}" if scale["all_passed"] else f"{within}"
    return Figure(
        "Scale: rooms before cue p99 > 20 ms",
        f"{shown} (cue p99 by rooms: {steps})",
        ">= 200",
        within >= SCALE_ROOMS,
    )


def text_table(rows: list[Figure]) -> str:
    """Return the rows as an aligned plain-text table."""
    header = ("figure", "measured", "baseline / target", "")
    cells = [header] + [(r.name, r.measured, r.target, r.verdict) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(4)).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[Figure], info: dict[str, Any], mode: str) -> str:
    """Return the rows as a Markdown table headed by the date and machine, for the README."""
    head = (
        f"Measured {info['date']} on {info['cpu']} ({info['cores']} cores, "
        f"{info['memory_gb']} GB), Python {info['python']}, roomctl {info['roomctl_commit']}"
        f"{' (modified tree)' if info['tree_modified'] else ''}, `make {mode}`."
    )
    lines = [head, "", "| Figure | Measured | Baseline / target | |", "|---|---|---|---|"]
    lines += [f"| {r.name.strip()} | {r.measured} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines)
