"""Issue 14's rows: the emergency to the 12th light, quiet and under each load."""

from __future__ import annotations

from typing import Any

from bench.figure import Figure


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
