"""A session as a clinician files it: phases, pauses, cues, emergencies and faults."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal

from roomctl import api
from roomctl.journal.cue_records import NOT_GIVEN, CueRecord, acknowledged, fired
from roomctl.journal.entries import incident, read_stored, technical
from roomctl.journal.records import SessionRow, StoredEvent
from roomctl.logs import clean
from roomctl.models.units import format_duration

ReportFormat = Literal["md", "csv", "json"]


def local_time(wall: float, tz: tzinfo | None = None) -> str:
    """Return a wall time as date and time to the second in `tz` (default: this machine's)."""
    moment = datetime.fromtimestamp(wall, tz) if tz else datetime.fromtimestamp(wall).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


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
    """A timed line of the record: a fault, an emergency, a refusal, a recovery."""

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
    start_offset_s: float
    ended: str | None
    end_reason: str | None
    observation_s: float | None
    timezone: str
    phases: list[PhaseRecord] = field(default_factory=list)
    pauses: list[PauseRecord] = field(default_factory=list)
    cues: list[CueRecord] = field(default_factory=list)
    incidents: list[Entry] = field(default_factory=list)
    technical: list[Entry] = field(default_factory=list)
    site: str | None = None  # the daemon's site (`roomctl run --site`), when it had one


def build_report(
    row: SessionRow, events: list[StoredEvent], tz: tzinfo | None = None
) -> SessionReport:
    """Return the report of a session from its journal row and events, times in `tz`."""
    end = row.ended_at

    def when(wall: float) -> str:
        return local_time(wall, tz)

    typed = [(e, read_stored(e)) for e in events]
    phases: list[PhaseRecord] = []
    phase_starts = [(e.ts, clean(t.phase)) for e, t in typed if isinstance(t, api.PhaseStarted)]
    for index, (ts, name) in enumerate(phase_starts):
        until = phase_starts[index + 1][0] if index + 1 < len(phase_starts) else end
        phases.append(PhaseRecord(name, when(ts), round((until or ts) - ts, 1)))
    recoveries = [e.ts for e, t in typed if isinstance(t, api.Recovered)]
    offset = next((t.at_s for _, t in typed if isinstance(t, api.SessionStarted)), 0.0)
    pauses: list[PauseRecord] = []
    open_pause: tuple[float, str | None, bool] | None = None
    cues: list[CueRecord] = []
    incidents: list[Entry] = []
    technical_entries: list[Entry] = []
    for event, kind in typed:
        if kind is None:  # written by another roomctl: shown, never dropped
            detail = f"a recorded {clean(event.type)} event this roomctl cannot read"
            technical_entries.append(Entry(when(event.ts), clean(event.type), detail))
            continue
        if isinstance(kind, api.Paused | api.EmergencyStarted):
            emergency = isinstance(kind, api.EmergencyStarted)
            if open_pause is None:
                open_pause = (event.ts, clean(kind.by) if kind.by else None, emergency)
            elif emergency:
                open_pause = (open_pause[0], open_pause[1], True)
        elif isinstance(kind, api.Resumed | api.SessionEnded) and open_pause is not None:
            start, who, emergency = open_pause
            pauses.append(PauseRecord(who, when(start), round(event.ts - start, 1), emergency))
            open_pause = None
        if isinstance(kind, api.Cue):
            cues.append(fired(kind, event.ts, recoveries, when(event.ts)))
        elif isinstance(kind, api.CueAcknowledged):
            acknowledged(cues, kind, when(event.ts))
        elif (clinical := incident(kind)) is not None:
            incidents.append(Entry(when(event.ts), kind.type, clinical.strip()))
        elif (problem := technical(kind)) is not None:
            technical_entries.append(Entry(when(event.ts), kind.type, problem))
    if open_pause is not None:
        start, who, emergency = open_pause
        pauses.append(PauseRecord(who, when(start), None, emergency))
    profile = row.snapshot.get("profile", {})
    operator = row.snapshot.get("operator")
    return SessionReport(
        session_id=clean(row.session_id),
        room=clean(row.room),
        profile=clean(row.profile),
        title=clean(profile.get("title", row.profile)),
        operator=clean(operator) if operator else None,
        started=when(row.started_at),
        start_offset_s=offset,
        ended=when(end) if end is not None else None,
        end_reason=clean(row.end_reason) if row.end_reason else None,
        observation_s=round(end - row.started_at, 1) if end is not None else None,
        timezone=str(tz) if tz else machine_zone(),
        phases=phases,
        pauses=pauses,
        cues=cues,
        incidents=incidents,
        technical=technical_entries,
        site=clean(row.site) if row.site else None,
    )


def machine_zone() -> str:
    """Return the name of this machine's time zone, as a report states it."""
    return datetime.now().astimezone().tzname() or "local time"


def _length(seconds: float | None) -> str:
    return format_duration(seconds) if seconds is not None else "still open"


def _cell(text: object) -> str:
    """Return text for a Markdown table cell: a | would end the cell."""
    return str(text).replace("|", "\\|")


def as_markdown(report: SessionReport) -> str:
    """Return the report as Markdown."""
    loaded = ""
    if report.start_offset_s:
        loaded = f" at {format_duration(report.start_offset_s)} into the profile (load-to-time)"
    where = f" at {report.site}" if report.site else ""
    lines = [
        f"# Session {report.session_id}{where}: {report.title}",
        "",
        *([f"- Site: {report.site}"] if report.site else []),
        f"- Room: {report.room}",
        f"- Profile: {report.profile}",
        f"- Started: {report.started}{loaded}, by {report.operator or NOT_GIVEN}",
        f"- Ended: {report.ended or 'not ended'}"
        + (f" ({report.end_reason})" if report.end_reason else ""),
        f"- Total observation time: {_length(report.observation_s)}",
        f"- Times are in {report.timezone}",
        "",
        "## Phases",
        "",
        "| phase | started | length |",
        "|---|---|---|",
        *(f"| {_cell(p.name)} | {p.started} | {_length(p.length_s)} |" for p in report.phases),
        "",
        "## Pauses",
        "",
    ]
    if report.pauses:
        lines += ["| started | by | length | emergency |", "|---|---|---|---|"]
        lines += [
            f"| {p.started} | {_cell(p.by or NOT_GIVEN)} | {_length(p.length_s)} | "
            f"{'yes' if p.emergency else 'no'} |"
            for p in report.pauses
        ]
    else:
        lines.append("None.")
    lines += ["", "## Cues", ""]
    if report.cues:
        lines += [
            "| time | due (session time) | cue | acknowledged | note |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {c.at} | {_length(c.due_s) if c.due_s is not None else '-'} | "
            f"{_cell(c.text)} | {_cell(c.acknowledgement())} | {_cell(c.note)} |"
            for c in report.cues
        ]
    else:
        lines.append("None.")
    sections = (
        ("Incidents", report.incidents),
        ("Technical: refused commands and system problems", report.technical),
    )
    for title, entries in sections:
        lines += ["", f"## {title}", ""]
        if entries:
            lines += ["| time | what |", "|---|---|"]
            lines += [f"| {e.at} | {_cell(e.detail)} |" for e in entries]
        else:
            lines.append("None.")
    return "\n".join(lines) + "\n"


def as_csv(report: SessionReport) -> str:
    """Return the report as CSV: one row per phase, pause, cue, incident and refusal."""
    out = io.StringIO()
    writer = csv.writer(out)
    # A site's column only in a site's report: a clinic of one site keeps its columns.
    site_column, site = (["site"], [report.site]) if report.site else ([], [])
    writer.writerow(
        [*site_column, "session_id", "room", "profile", "kind", "time", "length_s", "detail"]
    )
    base = [*site, report.session_id, report.room, report.profile]
    start = f"by {report.operator or NOT_GIVEN}"
    if report.start_offset_s:
        start += f"; at {format_duration(report.start_offset_s)} into the profile"
    writer.writerow([*base, "session", report.started, report.observation_s, start])
    if report.end_reason:
        writer.writerow([*base, "end", report.ended, "", report.end_reason])
    for phase in report.phases:
        writer.writerow([*base, "phase", phase.started, phase.length_s, phase.name])
    for pause in report.pauses:
        detail = f"by {pause.by or NOT_GIVEN}" + (" (emergency)" if pause.emergency else "")
        writer.writerow([*base, "pause", pause.started, pause.length_s, detail])
    for cue in report.cues:
        due = f" (due at {format_duration(cue.due_s)})" if cue.due_s is not None else ""
        note = f"; {cue.note}" if cue.note else ""
        acked = f"; {cue.acknowledgement()}"
        writer.writerow([*base, "cue", cue.at, "", f"{cue.text}{due}{note}{acked}"])
    for entry in [*report.incidents, *report.technical]:
        writer.writerow([*base, entry.kind, entry.at, "", entry.detail])
    return out.getvalue()


def report_fields(report: SessionReport) -> dict[str, Any]:
    """Return the report as JSON fields; `site` only when the session had one."""
    fields = asdict(report)
    if fields["site"] is None:
        del fields["site"]
    return fields


def as_json(report: SessionReport) -> str:
    """Return the report as JSON."""
    return json.dumps(report_fields(report), indent=2) + "\n"


FORMATTERS = {"md": as_markdown, "csv": as_csv, "json": as_json}
