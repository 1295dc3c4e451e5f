"""Turn the bench's results into figures beside their targets: a text table and a README table."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench_fade import ONE_PER_SECOND

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


# How each figure is measured, printed under the README table.
METHOD = (
    "- One machine: Mosquitto (with `set_tcp_nodelay true`), `roomctl run` as a child "
    "process, simulated lights (roomctl.demo.sim) in another, supervisors as paho clients "
    "with TCP_NODELAY in the bench. Percentiles come from many trials; each ratio's two "
    "sides come from the same run.",
    "- Pause: pause and resume in rotation over 4 rooms of one daemon, each in a one-hour "
    "fade on 6 lights (2 zigbee2mqtt, tasmota, wled, shelly, mqtt_json). A light's freeze "
    "is the last command it receives before the resume, timed on arrival at the simulated "
    "light (CLOCK_MONOTONIC, one clock for every process).",
    "- Emergency: 12 lights (6 zigbee2mqtt sharing one 5/s network, 6 stepped Tasmotas) "
    "in one-minute fades, called 0.1-0.3 s after a resume re-planned all 12, so the Zigbee "
    "queue is full; each light's last command must set full brightness.",
    "- Cue timing: 12-s phases with every light fading through each and 5 cues inside; "
    "sessions started over 2 s; the phase and cue events planned from 1 s after the last "
    "start are timed on arrival at the supervisor (wall clock, microseconds) against the "
    "daemon's session start plus the planned session time. The start is the "
    "`session_started` ts (milliseconds) narrowed by the start command's send and reply "
    "times. `daemon ts` is the event's own ts against the same instant.",
    "- Scale: the cue profile without simulated lights (commands reach the broker, nothing "
    "answers), 50, 100, 200, ... rooms, up to the first step past 20 ms or the time budget.",
    "- Idle: two one-room daemons with simulated lights, one without a session and one "
    "holding a scene; CPU time from /proc/PID/stat (utime+stime, 10 ms ticks) and from "
    "each thread's schedstat (ns), measured while the scale steps run.",
    "- Memory: peak RSS (VmHWM). Audio: a private PulseAudio null sink playing brown "
    "noise at -30 dB, recorded back to check it sounds.",
    "- Fade economy: plan_fade and each adapter for a 5 % → 100 % fade at 3000 K over "
    "20 minutes per easing (linear/s-curve/ease-in/ease-out), replayed as the lights run "
    "it; live: one zigbee2mqtt light through the daemon at high speed.",
)
# How issue 14's rows are measured (also printed alone by `scripts/bench.py --only backlog`).
BACKLOG_METHOD = (
    "- Emergency under load: a room of 12 lights (6 zigbee2mqtt, 6 Tasmota) in a session "
    "holding 30 %; each trial is timed from the emergency's publish to the 12th light's "
    "first full-brightness command, on arrival at the simulated light; none within 5 s is "
    "a miss (> 5000 ms). Between trials the room has handled every junk command (a "
    "refused start sent after them has its reply), then it is released and resumed. "
    "Quiet: nothing queued. Junk: 500 `garbage` lines published at QoS 1 by "
    "`mosquitto_pub -l` (all acknowledged by the broker) just before the emergency. "
    "Flood: 2,000 refused commands from three `mosquitto_pub -l` clients at once "
    "(unparsable, a start while active, an unknown action), the emergency sent when the "
    "first client has finished; Mosquitto keeps its default `max_queued_messages` (1000). "
    "Junk and flood run twice: the emergency sent to `roomctl/R/cmd`, behind the junk, "
    "and to `roomctl/R/emergency`, as `roomctl emergency` sends it. "
    "Frozen disk: the daemon's `--state-dir` on a loop-mounted ext4 image frozen with "
    "`fsfreeze -f` (root only), a pause sent, then the emergency; thawed once all 12 "
    "lights are at full or after 5 s; the pause's reply is timed from its send. Each row "
    "runs up to 40/15/6/4 trials (quiet/junk/flood/frozen) while they fit a 12-s budget "
    "per row (bench-quick: 10/3/1/1, 3 s).",
)


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


def _ms(spread: dict[str, Any]) -> str:
    return f"p50 {spread['p50_ms']:.1f} / p99 {spread['p99_ms']:.1f} ms"


def _under(value: float, limit: float) -> bool | None:
    return None if math.isnan(value) else value <= limit


def figures(results: dict[str, Any]) -> list[Figure]:
    """Return every figure of issue 6's table with its baseline or target, from one run."""
    rows: list[Figure] = []
    rtt = results["rtt"]
    rows.append(
        Figure(
            "MQTT round trip (baseline)", _ms(rtt), "reference: echo client with TCP_NODELAY", None
        )
    )
    rows.append(
        Figure(
            "  echo client with paho defaults",
            _ms(results["rtt_default_client"]),
            "reference: as roomctl's bus connects",
            None,
        )
    )
    rows.append(
        Figure(
            "  default Mosquitto config",
            _ms(results["rtt_default_broker"]),
            "reference: no set_tcp_nodelay",
            None,
        )
    )
    limit = min(PAUSE_P99_MS, PAUSE_BASELINE_FACTOR * rtt["p99_ms"])
    pause = results["pause"]
    target = f"p99 ≤ 20 ms and ≤ 4 x baseline p99 (= {limit:.1f} ms)"
    missed = pause["missed_lights"]
    note = f" ({pause['trials']} pauses" + (f", {missed} lights never froze)" if missed else ")")
    for label, key in (("Pause → reply", "reply"), ("Pause → last light's freeze", "last_light")):
        spread = pause[key]
        met = _under(spread["p99_ms"], limit)
        rows.append(Figure(label, _ms(spread) + note, target, met and not missed))
    emergency = results["emergency"]
    wrong = emergency["missed_lights"] + emergency["not_full_brightness"]
    note = f" ({emergency['trials']} calls, queues full" + (
        f", {wrong} lights not at full)" if wrong else ")"
    )
    met = _under(emergency["last_light"]["p99_ms"], EMERGENCY_P99_MS)
    rows.append(
        Figure(
            "Emergency → 12th light at full",
            _ms(emergency["last_light"]) + note,
            "p99 ≤ 30 ms",
            met and not wrong,
        )
    )
    rows += _cue_rows(results["cue_timing"])
    rows += _fade_rows(results["fade_economy"])
    rows += _idle_rows(results["idle"])
    rows += _memory_rows(results["memory"])
    startup = results["startup"]
    rows.append(
        Figure(
            "Start-up → retained online",
            f"p50 {startup['p50_ms'] / 1000:.2f} / "
            f"max {startup['max_ms'] / 1000:.2f} s ({startup['n']} starts)",
            "≤ 1.5 s",
            _under(startup["max_ms"] / 1000, STARTUP_S),
        )
    )
    rows.append(_scale_row(results["scale"]))
    if "backlog" in results:
        rows += backlog_rows(results["backlog"])
    return rows


def _late(value: float | None, timeout_s: float) -> str:
    return f"> {timeout_s * 1000:.0f}" if value is None else f"{value:.1f}"


def _backlog_measured(row: dict[str, Any], timeout_s: float, what: str, room: str) -> str:
    spread = row["last_light"]
    text = (
        f"p50 {_late(spread['p50_ms'], timeout_s)} / p99 {_late(spread['p99_ms'], timeout_s)}"
        f" ms ({row['trials']} call{'' if row['trials'] == 1 else 's'}{what}"
    )
    if row["cut_by_time_budget"]:
        text += f", {row['planned']} planned: time budget"
    if row["missed"]:
        text += f", {row['missed']} missed > {timeout_s:.0f} s"
    if row["error"]:
        text += f"; stopped: {row['error']}"
    if any(client.startswith(f"roomctl-{room}-") for client in row.get("broker_dropped_for", [])):
        text += "; Mosquitto dropped commands queued for the daemon"
    return text + ")"


def backlog_rows(backlog: dict[str, Any]) -> list[Figure]:
    """Return issue 14's rows: emergency to the 12th light, quiet and under each load."""
    timeout_s = backlog["timeout_s"]
    quiet = backlog["quiet"]
    base = quiet["last_light"]["p99_ms"] if not quiet["error"] else None
    rows = [
        Figure(
            "Emergency → 12th light, quiet",
            _backlog_measured(quiet, timeout_s, ", nothing queued", "backlog"),
            f"reference: the rows below must stay within its p99 + {backlog['margin_ms']:.0f} ms",
            None,
        )
    ]
    limit = None if base is None else base + backlog["margin_ms"]
    target = "p99 ≤ quiet p99 + 20 ms" + ("" if limit is None else f" (= {limit:.1f} ms)")
    commands, clients = backlog["flood_commands"], backlog["flood_clients"]
    flood = f"  during a {commands:,}-command flood ({clients} clients)"
    loads = (
        ("junk", f"  behind {backlog['junk_commands']} junk commands, sent to cmd", ""),
        ("junk_topic", f"  behind {backlog['junk_commands']} junk, sent to emergency", ""),
        ("flood", f"{flood}, to cmd", ""),
        ("flood_topic", f"{flood}, to emergency", ""),
        ("frozen", "  state disk frozen (fsfreeze), after a pause", ""),
    )
    for key, label, what in loads:
        row = backlog.get(key)
        if row is None:  # a bench.json from before the row existed
            continue
        if row["skipped"]:
            rows.append(Figure(label, f"not measured: {row['skipped']}", target, None))
            continue
        room = "frozen" if key == "frozen" else "backlog"
        measured = _backlog_measured(row, timeout_s, what, room)
        if key == "frozen" and "pause" in row:
            measured += "; " + _pause_note(row["pause"], row["trials"])
        p99 = row["last_light"]["p99_ms"]
        met = None if limit is None or not row["trials"] else p99 is not None and p99 <= limit
        rows.append(Figure(label, measured, target, met and not row["error"]))
    return rows


def _pause_note(pause: dict[str, Any], trials: int) -> str:
    """Say whether the pause sent before the emergency got its reply while frozen, and when."""
    text = f"pause replied while frozen: {pause['replied_while_frozen']}/{trials}"
    if pause["reply_s"]:
        low, high = min(pause["reply_s"]), max(pause["reply_s"])
        span = f"{low:.2f}" if low == high else f"{low:.2f}-{high:.2f}"
        text += f", reply {span} s after sending"
    late = [t for t in pause.get("after_thaw_s", []) if t > 0]
    if late:
        text += f" (≤ {max(late) * 1000:.0f} ms after the thaw)"
    if pause["no_reply"]:
        text += f", {pause['no_reply']} never"
    if pause["refused"]:
        text += f", {pause['refused']} refused"
    return text


def _cue_rows(cue: dict[str, Any]) -> list[Figure]:
    arrival, daemon = cue["arrival_error"], cue["daemon_ts_error"]
    label = f"Cue timing error, {cue['rooms']} rooms x 6 lights"
    measured = (
        f"arrival {_ms(arrival)}; daemon ts p99 {daemon['p99_ms']:.1f} ms "
        f"({cue['events_received']}/{cue['events_expected']} events)"
    )
    complete = cue["events_received"] == cue["events_expected"]
    met = _under(arrival["p99_ms"], CUE_P99_MS)
    return [Figure(label, measured, "p99 ≤ 10 ms", None if met is None else met and complete)]


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
            target = "within 1 % of the curve; linear: 1 per longest transition"
        else:
            target = f"≤ 95 (1 per 1 % of 95 %), ≥ {1 / costs[0]['network_rate_hz']:.1f} s apart"
        measured = f"{counts} msgs (lin/s/in/out) vs {ONE_PER_SECOND}; max error {worst:.2f} %" + (
            "" if native else f"; ≥ {min(c['min_interval_s'] for c in costs):.1f} s apart"
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
            f"±{idle['tick_resolution_pct']:.2f} %); schedstat {precise:.3f} %"
        )
        met = _under(ticks, IDLE_PCT)
        rows.append(Figure(f"Idle CPU, {label}", measured, "≤ 0.5 %", met))
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
                "≤ 80 MB",
                audio["peak_rss_mb"] <= AUDIO_RSS_MB and audio["playing"],
            )
        )
    else:
        rows.append(
            Figure(
                "Peak RSS, one room with audio", f"not measured: {audio['why']}", "≤ 80 MB", None
            )
        )
    if rooms.get("measured"):
        rows.append(
            Figure(
                "Peak RSS, 100 rooms",
                f"{rooms['peak_rss_mb']:.1f} MB (sessions fading)",
                "≤ 250 MB",
                rooms["peak_rss_mb"] <= ROOMS_100_RSS_MB,
            )
        )
    else:
        rows.append(
            Figure("Peak RSS, 100 rooms", f"not measured: {rooms['why']}", "≤ 250 MB", None)
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
    shown = f"≥ {within}" if scale["all_passed"] else f"{within}"
    return Figure(
        "Scale: rooms before cue p99 > 20 ms",
        f"{shown} (cue p99 by rooms: {steps})",
        "≥ 200",
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


def markdown_table(
    rows: list[Figure], info: dict[str, Any], command: str, notes: tuple[str, ...] = ()
) -> str:
    """Return the rows as a Markdown table headed by the date and machine, for the README."""
    head = (
        f"Measured {info['date']} on {info['cpu']} ({info['cores']} cores, "
        f"{info['memory_gb']} GB), Python {info['python']}, roomctl {info['roomctl_commit']}"
        f"{' (modified tree)' if info['tree_modified'] else ''}, `{command}`."
    )
    lines = [head, "", "| Figure | Measured | Baseline / target | |", "|---|---|---|---|"]
    lines += [f"| {r.name.strip()} | {r.measured} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join([*lines, "", *(notes or METHOD)])
