"""The console's HTTP API: rooms, commands with the user as operator, logging in."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from roomctl.api.commands import MAX_PAYLOAD_BYTES
from roomctl.console.auth import (
    Caller,
    LoginRefused,
    api_caller,
    check_csrf,
    console_of,
    csrf_header,
    log_in,
    set_session_cookie,
)
from roomctl.console.places import LOCAL, key_text
from roomctl.console.rooms import RoomView
from roomctl.console.sender import BrokerDown, NoReply
from roomctl.console.sessions import Session

router = APIRouter(prefix="/api")

_COMMAND_EXAMPLE = {"action": "start", "profile": "demo", "at": "2m"}
# The {site} of /api/sites/{site}/rooms/...: FastAPI leaves a parameter read by a
# dependency out of the OpenAPI description, so the site routes name it themselves.
SITE_PARAMETER = {
    "parameters": [
        {"name": "site", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "The site at the central broker (`roomctl console --site`)"}
    ]
}  # fmt: skip


class LoginBody(BaseModel):
    """A name and password."""

    username: str
    password: str


class SessionInfo(BaseModel):
    """Who is logged in, with what role, limited to which rooms and sites, the CSRF token."""

    user: str
    role: str
    rooms: list[str] | None
    sites: list[str] | None = None
    csrf: str


def session_info(found: Caller) -> SessionInfo:
    """Return what /api/session says about a caller."""
    user = found.user
    return SessionInfo(
        user=user.name,
        role=user.role,
        rooms=list(user.rooms) if user.rooms is not None else None,
        sites=list(user.sites) if user.sites is not None else None,
        csrf=found.session.csrf,
    )


def site_of(request: Request) -> str:
    """Return the {site} of a /sites/{site}/rooms/... path; LOCAL for /rooms/..."""
    return str(request.path_params.get("site", LOCAL))


def visible_room(request: Request, found: Caller, site: str, room: str) -> RoomView:
    """Return a site's room the caller may see, or answer 404 (also when it may not see it)."""
    view = console_of(request).watcher.rooms.get((site, room))
    if view is None or not found.user.may_see(room, site):
        raise HTTPException(404, f"no room {key_text(site, room)}")
    return view


@router.get("/session")
def get_session(found: Caller = Depends(api_caller)) -> SessionInfo:  # noqa: B008
    """Return the logged-in user, role, rooms and CSRF token."""
    return session_info(found)


@router.post("/login")
async def post_login(body: LoginBody, request: Request, response: Response) -> SessionInfo:
    """Log in with a JSON name and password; set the session cookie."""
    console = console_of(request)
    try:
        session: Session = await log_in(console, body.username, body.password)
    except LoginRefused as refusal:
        raise HTTPException(401, str(refusal)) from None
    set_session_cookie(response, console, session)
    user = console.users.get(session.user)
    assert user is not None
    return session_info(Caller(session, user))


@router.get("/rooms")
def get_rooms(request: Request, found: Caller = Depends(api_caller)) -> list[dict[str, Any]]:  # noqa: B008
    """Return every room the user may see with its availability, state and profiles."""
    watcher = console_of(request).watcher
    rooms = watcher.rooms
    return [watcher.summary(rooms[k]) for k in sorted(rooms) if found.user.may_see(k[1], k[0])]


@router.get("/sites")
def get_sites(request: Request, found: Caller = Depends(api_caller)) -> list[dict[str, Any]]:  # noqa: B008
    """Return the sites the user may see, each with its link: up, or down since when."""
    links = console_of(request).watcher.links
    return [links[s].summary() for s in links if found.user.may_see_site(s)]


@router.get("/rooms/{room}")
@router.get("/sites/{site}/rooms/{room}", openapi_extra=SITE_PARAMETER)
def get_room(
    room: str,
    request: Request,
    site: str = Depends(site_of),
    found: Caller = Depends(api_caller),  # noqa: B008
) -> dict[str, Any]:
    """Return one room with its site, availability, state (stale: its link is down), profiles."""
    return console_of(request).watcher.summary(visible_room(request, found, site, room))


_COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "no CSRF token, or the role may not send this action"},
    404: {"description": "no such room, or the user may not see it"},
    413: {"description": "the command is over 64 KiB, which no daemon takes"},
    422: {"description": "the body is not a command, or names an operator"},
    502: {"description": "the broker cannot be reached"},
    504: {"description": "no daemon replied within 5 s (or the site's link is down)"},
}


@router.post("/rooms/{room}/commands", responses=_COMMAND_RESPONSES)
@router.post(
    "/sites/{site}/rooms/{room}/commands",
    responses=_COMMAND_RESPONSES,
    openapi_extra=SITE_PARAMETER,
)
async def post_command(
    room: str,
    request: Request,
    body: dict[str, Any] = Body(..., examples=[_COMMAND_EXAMPLE]),  # noqa: B008
    site: str = Depends(site_of),
    found: Caller = Depends(api_caller),  # noqa: B008
) -> dict[str, Any]:
    """Send a command (without `operator`: the console adds the user) and return the reply."""
    check_csrf(found, csrf_header(request))
    visible_room(request, found, site, room)
    if "operator" in body:
        raise HTTPException(422, "the console names the operator: leave 'operator' out")
    if len(json.dumps(body)) > MAX_PAYLOAD_BYTES:
        raise HTTPException(413, f"a command is at most {MAX_PAYLOAD_BYTES // 1024} KiB")
    action = body.get("action")
    if not isinstance(action, str):
        raise HTTPException(422, "a command needs 'action', a string")
    if not found.user.may_send(action):
        raise HTTPException(403, f"a {found.user.role} may not {action}")
    try:
        return await console_of(request).sender.send(site, room, body, found.user.name)
    except NoReply as error:
        raise HTTPException(504, str(error)) from None
    except BrokerDown as error:
        raise HTTPException(502, str(error)) from None
