"""A session as a clinician files it: phases, pauses, cues, emergencies and faults."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

from roomctl.journal.store import SessionRow, StoredEvent
from roomctl.models.units import format_duration

ReportFormat = Literal["md", "csv", "json"]


def local_time(wall: float) -> str:
    """Return a wall time as local date and time to the second."""
    return datetime.fromtimestamp(wall).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


@dataclass(frozen=True)
class PhaseRecord:
    """One phase as it really ran."""

    name: str
    started: str
    length_s: float


@dataclass(frozen=True)
class PauseRecord:
    """One pause: who, when, how long, and whether it was an emergency."""

    by: str | None
    started: str
    length_s: float | None
    emergency: bool = False


@dataclass(frozen=True)
class Entry:
    """A timed line of the record: a cue, a fault, a refusal, a recovery."""

    at: str
    kind: str
    detail: str


@dataclass(frozen=True)
class SessionReport:
    """Everything a report shows about one session."""

    session_id: str
    room: str
    profile: str
    title: str
    operator: str | None
    started: str
    ended: str | None
    end_reason: str | None
    observation_s: float | None
    phases: list[PhaseRecord] = field(default_factory=list)
    pauses: list[PauseRecord] = field(default_factory=list)
    cues: list[Entry] = field(default_factory=list)
    incidents: list[Entry] = field(default_factory=list)


_INCIDENTS = {
    "device_offline": lambda d: f"{d.get('device')} offline {d.get('reason', '')}".strip(),
    "device_online": lambda d: f"{d.get('device')} back online",
    "command_rejected": lambda d: f"refused: {d.get('reason')}",
    "recovered": lambda d: f"daemon restarted; away {format_duration(d.get('away_s', 0))}",
    "extended": lambda d: f"phase extended by {format_duration(d.get('added_s', 0))}",
    "skipped": lambda d: "skipped to the next phase" + (f" by {d['by']}" if d.get("by") else ""),
    "stopped": lambda d: "stopped" + (f" by {d['by']}" if d.get("by") else ""),
    "journal_error": lambda d: f"journal problem: {d.get('error')}",
}


def build_report(row: SessionRow, events: list[StoredEvent]) -> SessionReport:
    """Return the report of a session from its journal row and events."""
    end = row.ended_at
    phases: list[PhaseRecord] = []
    phase_starts = [(e.ts, str(e.data.get("phase"))) for e in events if e.type == "phase_started"]
    for index, (ts, name) in enumerate(phase_starts):
        until = phase_starts[index + 1][0] if index + 1 < len(phase_starts) else end
        phases.append(PhaseRecord(name, local_time(ts), round((until or ts) - ts, 1)))
    pauses: list[PauseRecord] = []
    open_pause: tuple[float, str | None, bool] | None = None
    cues: list[Entry] = []
    incidents: list[Entry] = []
    for event in events:
        kind, data = event.type, event.data
        if kind in ("paused", "emergency") and open_pause is None:
            open_pause = (event.ts, data.get("by"), kind == "emergency")
        elif kind == "emergency" and open_pause is not None:
            open_pause = (open_pause[0], open_pause[1], True)
        elif kind in ("resumed", "session_ended") and open_pause is not None:
            start, by, emergency = open_pause
            pauses.append(PauseRecord(by, local_time(start), round(event.ts - start, 1), emergency))
            open_pause = None
        if kind == "cue":
            cues.append(Entry(local_time(event.ts), "cue", str(data.get("notify"))))
        elif kind in _INCIDENTS:
            incidents.append(Entry(local_time(event.ts), kind, _INCIDENTS[kind](data)))
        elif kind in ("emergency", "released"):
            who = f" by {data['by']}" if data.get("by") else ""
            incidents.append(Entry(local_time(event.ts), kind, f"{kind}{who}"))
    if open_pause is not None:
        start, by, emergency = open_pause
        pauses.append(PauseRecord(by, local_time(start), None, emergency))
    profile = row.snapshot.get("profile", {})
    return SessionReport(
        session_id=row.session_id,
        room=row.room,
        profile=row.profile,
        title=str(profile.get("title", row.profile)),
        operator=row.snapshot.get("operator"),
        started=local_time(row.started_at),
        ended=local_time(end) if end is not None else None,
        end_reason=row.end_reason,
        observation_s=round(end - row.started_at, 1) if end is not None else None,
        phases=phases,
        pauses=pauses,
        cues=cues,
        incidents=incidents,
    )


def _length(seconds: float | None) -> str:
    return format_duration(seconds) if seconds is not None else "still open"


def as_markdown(report: SessionReport) -> str:
    """Return the report as Markdown."""
    lines = [
        f"# Session {report.session_id}: {report.title}",
        "",
        f"- Room: {report.room}",
        f"- Profile: {report.profile}",
        f"- Started: {report.started}" + (f" by {report.operator}" if report.operator else ""),
        f"- Ended: {report.ended or 'not ended'}"
        + (f" ({report.end_reason})" if report.end_reason else ""),
        f"- Total observation time: {_length(report.observation_s)}",
        "",
        "## Phases",
        "",
        "| phase | started | length |",
        "|---|---|---|",
        *(f"| {p.name} | {p.started} | {_length(p.length_s)} |" for p in report.phases),
        "",
        "## Pauses",
        "",
    ]
    if report.pauses:
        lines += ["| started | by | length | emergency |", "|---|---|---|---|"]
        lines += [
            f"| {p.started} | {p.by or '-'} | {_length(p.length_s)} | "
            f"{'yes' if p.emergency else 'no'} |"
            for p in report.pauses
        ]
    else:
        lines.append("None.")
    for title, entries in (("Cues", report.cues), ("Incidents", report.incidents)):
        lines += ["", f"## {title}", ""]
        if entries:
            lines += ["| time | what |", "|---|---|"]
            lines += [f"| {e.at} | {e.detail} |" for e in entries]
        else:
            lines.append("None.")
    return "\n".join(lines) + "\n"


def as_csv(report: SessionReport) -> str:
    """Return the report as CSV: one row per phase, pause, cue and incident."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["session_id", "room", "profile", "kind", "time", "length_s", "detail"])
    base = [report.session_id, report.room, report.profile]
    writer.writerow([*base, "session", report.started, report.observation_s, report.end_reason])
    for phase in report.phases:
        writer.writerow([*base, "phase", phase.started, phase.length_s, phase.name])
    for pause in report.pauses:
        detail = f"by {pause.by or '-'}" + (" (emergency)" if pause.emergency else "")
        writer.writerow([*base, "pause", pause.started, pause.length_s, detail])
    for entry in [*report.cues, *report.incidents]:
        writer.writerow([*base, entry.kind, entry.at, "", entry.detail])
    return out.getvalue()


def as_json(report: SessionReport) -> str:
    """Return the report as JSON."""
    return json.dumps(asdict(report), indent=2) + "\n"


FORMATTERS = {"md": as_markdown, "csv": as_csv, "json": as_json}
