"""A room's record through the console: its latest sessions and one session's report."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from roomctl.api.command_types import DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT, SESSION_ID_PATTERN
from roomctl.api.replies import SessionSummary
from roomctl.console.api import SITE_PARAMETER, site_of, visible_room
from roomctl.console.auth import Caller, api_caller, console_of
from roomctl.console.places import key_text
from roomctl.console.sender import BrokerDown, NoReply
from roomctl.runtime.records import CANNOT_READ

router = APIRouter(prefix="/api")

_SESSION_ID = re.compile(SESSION_ID_PATTERN.replace("^", r"\A").replace("$", r"\Z"))
# How the daemon begins a refusal when its state disk is slow or failing: the record is
# there but cannot be read now (503), unlike a session it does not have (404).
_CANNOT_READ_NOW = CANNOT_READ.split("{", 1)[0]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such room (or the user may not see it), or no such session"},
    502: {"description": "the broker cannot be reached"},
    503: {"description": "the daemon's state disk cannot be read now"},
    504: {"description": "no daemon replied within 5 s"},
}


async def ask_record(
    request: Request, found: Caller, site: str, room: str, query: dict[str, Any]
) -> dict[str, Any]:
    """Ask a room's daemon a record query as the caller; return its reply or raise HTTPException.

    404 for a room the caller may not see and for what the record does not hold (with the
    daemon's reason), 503 when the daemon cannot read its record now, 502 and 504 as for
    a command.
    """
    visible_room(request, found, site, room)
    action = str(query["action"])
    if not found.user.may_read(action):
        raise HTTPException(403, f"a {found.user.role} may not {action}")
    try:
        reply = await console_of(request).sender.send(site, room, query, found.user.name)
    except NoReply as error:
        raise HTTPException(504, str(error)) from None
    except BrokerDown as error:
        raise HTTPException(502, str(error)) from None
    if reply.get("ok") is not True:
        reason = str(reply.get("error") or f"room {key_text(site, room)} refused {action}")
        raise HTTPException(503 if reason.startswith(_CANNOT_READ_NOW) else 404, reason)
    return reply


async def history(
    request: Request, found: Caller, site: str, room: str, limit: int
) -> list[dict[str, Any]]:
    """Return a room's latest sessions, newest first, as its daemon lists them."""
    reply = await ask_record(request, found, site, room, {"action": "history", "limit": limit})
    sessions = reply.get("sessions")
    return [s for s in sessions if isinstance(s, dict)] if isinstance(sessions, list) else []


async def report(
    request: Request, found: Caller, site: str, room: str, session_id: str
) -> dict[str, Any]:
    """Return a session's report; a cut one also says `omitted` and `warning`."""
    named = key_text(site, room)
    if not _SESSION_ID.match(session_id):
        raise HTTPException(404, f"room {named} has no session {session_id!r} in its record")
    query = {"action": "report", "session_id": session_id}
    reply = await ask_record(request, found, site, room, query)
    found_report = reply.get("report")
    if not isinstance(found_report, dict):
        raise HTTPException(502, f"room {named} answered report without one")
    for extra in ("omitted", "warning"):
        if reply.get(extra) is not None:
            found_report[extra] = reply[extra]
    return found_report


# Documented as the contract's sessions, passed on as the daemon wrote them: a newer
# daemon's extra field reaches the client rather than failing the request.
_HISTORY: dict[str, Any] = {
    "response_model": None,
    "responses": {200: {"model": list[SessionSummary]}, **_RESPONSES},
}


@router.get("/rooms/{room}/history", **_HISTORY)
@router.get("/sites/{site}/rooms/{room}/history", **_HISTORY, openapi_extra=SITE_PARAMETER)
async def get_history(
    room: str,
    request: Request,
    limit: int = Query(DEFAULT_HISTORY_LIMIT, ge=1, le=MAX_HISTORY_LIMIT),
    site: str = Depends(site_of),
    found: Caller = Depends(api_caller),  # noqa: B008
) -> list[dict[str, Any]]:
    """Return the room's latest sessions from its record, newest first (`roomctl history`)."""
    return await history(request, found, site, room, limit)


@router.get("/rooms/{room}/sessions/{session_id}", responses=_RESPONSES)
@router.get(
    "/sites/{site}/rooms/{room}/sessions/{session_id}",
    responses=_RESPONSES,
    openapi_extra=SITE_PARAMETER,
)
async def get_report(
    room: str,
    session_id: str,
    request: Request,
    site: str = Depends(site_of),
    found: Caller = Depends(api_caller),  # noqa: B008
) -> dict[str, Any]:
    """Return a session's report as `roomctl report ID --format json` prints it.

    A report too big for one MQTT reply keeps the first entries of its longest lists and
    then also holds `omitted` (entries left out of each list) and `warning`.
    """
    return await report(request, found, site, room, session_id)
