"""The record's pages: a room's latest sessions and one session's report, readable on a phone."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from roomctl.api.command_types import DEFAULT_HISTORY_LIMIT
from roomctl.console import record
from roomctl.console.api import site_of
from roomctl.console.pages import _caller_or_login, _page
from roomctl.journal.cue_records import NOT_GIVEN
from roomctl.models.units import format_duration

router = APIRouter(include_in_schema=False)


def started_text(iso: str | None) -> str:
    """Return a wall time from the record (ISO, UTC) as this machine's date and time."""
    if not iso:
        return "\u2014"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def length_text(seconds: float | None, open_text: str = "still open") -> str:
    """Return a length like 12m30s, or what stands for one not known yet."""
    return format_duration(seconds) if seconds is not None else open_text


def after_text(seconds: float | None) -> str:
    """Return how long after its cue an ack came, as `roomctl report` says it (41.3 s)."""
    return f"{seconds:.1f} s" if seconds is not None else "\u2014"


# What the record templates call to say things as `roomctl report` does.
RECORD_VIEW = SimpleNamespace(
    started=started_text, length=length_text, after=after_text, not_given=NOT_GIVEN
)


def _context(site: str, room: str) -> dict[str, Any]:
    """Return what the record templates need to name and link a site's room."""
    return {"room": room, "page_room": room, "site": site, "rv": RECORD_VIEW}


@router.get("/rooms/{room}/record")
@router.get("/sites/{site}/rooms/{room}/record")
async def record_page(request: Request, room: str, site: str = Depends(site_of)) -> Response:
    """Show a room's latest sessions, each linking to its report."""
    found = _caller_or_login(request)
    context = _context(site, room)
    try:
        sessions = await record.history(request, found, site, room, DEFAULT_HISTORY_LIMIT)
    except HTTPException as error:
        context["page_room"] = None  # maybe a room this user may not see: no live cues for it
        response = _page(request, "record.html", found, sessions=[], error=error.detail, **context)
        response.status_code = error.status_code
        return response
    return _page(request, "record.html", found, sessions=sessions, error=None, **context)


@router.get("/rooms/{room}/sessions/{session_id}")
@router.get("/sites/{site}/rooms/{room}/sessions/{session_id}")
async def session_page(
    request: Request, room: str, session_id: str, site: str = Depends(site_of)
) -> Response:
    """Show one session's report: phases, pauses, cues and their acks, incidents, problems."""
    found = _caller_or_login(request)
    context = _context(site, room)
    try:
        report = await record.report(request, found, site, room, session_id)
    except HTTPException as error:
        context["page_room"] = None  # maybe a room this user may not see: no live cues for it
        response = _page(
            request, "session.html", found, report=None, session_id=session_id,
            error=error.detail, **context,
        )  # fmt: skip
        response.status_code = error.status_code
        return response
    return _page(
        request, "session.html", found, report=report, session_id=session_id, error=None,
        **context,
    )  # fmt: skip
