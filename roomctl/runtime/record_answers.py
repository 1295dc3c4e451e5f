"""Answer the record queries from a journal connection: the room's sessions, one's report.

The answers are what `roomctl history` and `roomctl report --format json` show, read on a
connection of the caller's (the record desk's, never the room's), bounded in size.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from roomctl.api.command_types import HistoryCommand, ReportCommand
from roomctl.api.replies import HistoryReply, ReportReply, SessionSummary
from roomctl.api.state import Status
from roomctl.api.wire import compact_json, iso_timestamp
from roomctl.journal.records import SessionRow
from roomctl.journal.report import build_report, report_fields
from roomctl.journal.sql import EVENT_COLUMNS, session_columns, session_row, stored_event

# An MQTT message can be far bigger, but a reply goes to every client on roomctl/R/reply
# and a browser holds it whole: 256 KiB is a report of thousands of entries.
MAX_REPLY_BYTES = 256 * 1024


class UnknownSessionError(Exception):
    """A query the record cannot answer, with the reason its reply gives."""


def history_payload(
    connection: sqlite3.Connection, room: str, query: HistoryCommand, status: Status
) -> str:
    """Return the reply to `history`: the room's latest sessions, newest first."""
    rows = connection.execute(
        f"{session_columns(connection)} WHERE room=? ORDER BY started_at DESC LIMIT ?",
        (room, query.limit),
    ).fetchall()
    sessions = [summary(session_row(values)) for values in rows]
    reply = HistoryReply(request_id=query.request_id, status=status, sessions=sessions)
    return compact_json(reply.model_dump(mode="json"))


def summary(row: SessionRow) -> SessionSummary:
    """Return a session as `history` lists it."""
    profile = row.snapshot.get("profile")
    title = profile.get("title") if isinstance(profile, dict) else None
    operator = row.snapshot.get("operator")
    ended = row.ended_at
    return SessionSummary(
        session_id=row.session_id,
        site=row.site,
        profile=row.profile,
        title=title if isinstance(title, str) else row.profile,
        operator=operator if isinstance(operator, str) and operator else None,
        started_at=iso_timestamp(row.started_at),
        ended_at=iso_timestamp(ended) if ended is not None else None,
        length_s=round(ended - row.started_at, 1) if ended is not None else None,
        outcome=row.end_reason if ended is not None else None,
    )


def report_payload(
    connection: sqlite3.Connection, room: str, query: ReportCommand, status: Status
) -> str:
    """Return the reply to `report`, or raise UnknownSessionError for a session not of this room."""
    rows = connection.execute(
        f"{session_columns(connection)} WHERE session_id=?", (query.session_id,)
    ).fetchall()
    row = session_row(rows[0]) if rows else None
    if row is None or row.room != room:
        raise UnknownSessionError(
            f"room {room} has no session {query.session_id!r} in its record"
            " (unknown, or another room's)"
        )
    events = connection.execute(
        f"{EVENT_COLUMNS} WHERE session_id=? ORDER BY id", (query.session_id,)
    ).fetchall()
    report = report_fields(build_report(row, [stored_event(e) for e in events]))
    return bounded_report(query.request_id, status, report)


def bounded_report(
    request_id: str | None, status: Status, report: dict[str, Any], limit: int = MAX_REPLY_BYTES
) -> str:
    """Return a report's reply of at most `limit` bytes, cutting its longest lists if need be.

    Every list of the report (phases, pauses, cues, ...) keeps its first `keep` entries,
    `keep` the most that fits (found by halving).
    """
    whole = _payload(request_id, status, report, None)
    if len(whole.encode()) <= limit:
        return whole
    longest = max((len(v) for v in report.values() if isinstance(v, list)), default=0)
    low, high = 0, longest  # `low` entries fit (a report of no entries is a few hundred bytes)
    while low < high:
        keep = (low + high + 1) // 2
        if len(_payload(request_id, status, report, keep).encode()) <= limit:
            low = keep
        else:
            high = keep - 1
    return _payload(request_id, status, report, low)


def _payload(
    request_id: str | None, status: Status, report: dict[str, Any], keep: int | None
) -> str:
    """Return the reply with each list cut to its first `keep` entries (None: whole)."""
    omitted: dict[str, int] = {}
    if keep is not None:
        report = dict(report)
        for name, entries in report.items():
            if isinstance(entries, list) and len(entries) > keep:
                omitted[name] = len(entries) - keep
                report[name] = entries[:keep]
    warning = None
    if omitted:
        left_out = ", ".join(f"{count} {name}" for name, count in omitted.items())
        warning = (
            f"the report is cut to fit one reply ({left_out} entries left out); "
            "`roomctl report` on the daemon's machine prints it whole"
        )
    reply = ReportReply(
        request_id=request_id,
        status=status,
        report=report,
        omitted=omitted or None,
        warning=warning,
    )
    return compact_json(reply.model_dump(mode="json"))
