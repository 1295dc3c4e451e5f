"""Turn the bench's results into figures beside their targets: a text table and a README table."""

from __future__ import annotations

from typing import Any

from bench.fade import ONE_PER_SECOND
from bench.figure import Figure, ms, under
from bench.report_backlog import backlog_rows
from bench.report_console import console_rows
from bench.report_scale import SIMULATED_LABEL, SIMULATED_NOTE, reference_rows, scale_rows
from bench.report_sites import sites_rows
from bench.targets import (
    AUDIO_RSS_MB,
    CUE_P99_MS,
    EMERGENCY_P99_MS,
    IDLE_PCT,
    ROOMS_100_RSS_MB,
    STARTUP_S,
    pause_limits_ms,
)


def figures(results: dict[str, Any]) -> list[Figure]:
    """Return every figure of issue 6's table with its baseline or target, from one run."""
    rows: list[Figure] = []
    rtt = results["rtt"]
    rows.append(
        Figure(
            "MQTT round trip (baseline)", ms(rtt), "reference: echo client with TCP_NODELAY", None
        )
    )
    rows.append(
        Figure(
            "  echo client with paho defaults",
            ms(results["rtt_default_client"]),
            "reference: as roomctl's bus connects",
            None,
        )
    )
    rows.append(
        Figure(
            "  default Mosquitto config",
            ms(results["rtt_default_broker"]),
            "reference: no set_tcp_nodelay",
            None,
        )
    )
    rows += _pause_rows(results["pause"], rtt["p99_ms"])
    emergency = results["emergency"]
    wrong = emergency["missed_lights"] + emergency["not_full_brightness"]
    note = f" ({emergency['trials']} calls, queues full" + (
        f", {wrong} lights not at full)" if wrong else ")"
    )
    met = under(emergency["last_light"]["p99_ms"], EMERGENCY_P99_MS)
    rows.append(
        Figure(
            "Emergency → 12th light at full",
            ms(emergency["last_light"]) + note,
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
            under(startup["max_ms"] / 1000, STARTUP_S),
        )
    )
    rows += scale_rows(results["scale"])
    if "console" in results:
        rows += console_rows(results["console"])
    if "sites" in results:
        rows += sites_rows(results["sites"])
    if "backlog" in results:
        rows += backlog_rows(results["backlog"])
    return rows


def _pause_rows(pause: dict[str, Any], rtt_p99_ms: float) -> list[Figure]:
    """Return the pause's reply (issue 6's target) and last light's freeze (issue 15's)."""
    limits = pause_limits_ms(rtt_p99_ms)
    ratio = limits["last_light"]
    targets = {
        "reply": f"p99 ≤ 20 ms and ≤ 4 x baseline p99 (= {limits['reply']:.1f} ms)",
        "last_light": f"p99 ≤ 4 x baseline p99 (= {ratio:.1f} ms)",
    }
    missed = pause["missed_lights"]
    note = f" ({pause['trials']} pauses" + (f", {missed} lights never froze)" if missed else ")")
    rows = []
    for label, key in (("Pause → reply", "reply"), ("Pause → last light's freeze", "last_light")):
        spread = pause[key]
        met = under(spread["p99_ms"], limits[key])
        rows.append(Figure(label, ms(spread) + note, targets[key], met and not missed))
    rows.append(Figure(SIMULATED_LABEL, ms(pause["last_simulated"]), SIMULATED_NOTE, None))
    return rows


def _cue_rows(cue: dict[str, Any]) -> list[Figure]:
    arrival, daemon = cue["arrival_error"], cue["daemon_ts_error"]
    label = f"Cue timing error, {cue['rooms']} rooms x 6 lights"
    measured = (
        f"arrival {ms(arrival)}; daemon ts p99 {daemon['p99_ms']:.1f} ms "
        f"({cue['events_received']}/{cue['events_expected']} events)"
    )
    complete = cue["events_received"] == cue["events_expected"]
    met = under(arrival["p99_ms"], CUE_P99_MS)
    judged = Figure(label, measured, "p99 ≤ 10 ms", None if met is None else met and complete)
    return [judged, *reference_rows([cue])]


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
        met = under(ticks, IDLE_PCT)
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
                f"≤ {AUDIO_RSS_MB:.0f} MB",
                audio["peak_rss_mb"] <= AUDIO_RSS_MB and audio["playing"],
            )
        )
    else:
        rows.append(
            Figure(
                "Peak RSS, one room with audio",
                f"not measured: {audio['why']}",
                f"≤ {AUDIO_RSS_MB:.0f} MB",
                None,
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
