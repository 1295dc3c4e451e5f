"""The console's HTML pages: log in and out, the rooms overview, a room, a profile's picture."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from roomctl.console import timeline, view
from roomctl.console.api import site_of, visible_room
from roomctl.console.auth import (
    Caller,
    LoginRefused,
    caller,
    check_csrf,
    console_of,
    log_in,
    set_session_cookie,
)
from roomctl.console.places import key_text
from roomctl.console.rooms import RoomView
from roomctl.console.sessions import COOKIE, LOGIN_COOKIE, new_token, tokens_match
from roomctl.console.site_view import site_groups

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(view=view)
# The buttons of a room's page, in order.
ACTIONS = ("start", "pause", "resume", "next", "extend", "stop", "emergency", "release")
# How long the login form's token lives: plenty to type a name and password.
LOGIN_TOKEN_S = 3600
# What new_token makes: a login cookie of any other shape is replaced, never shown back.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class _Login(Exception):  # noqa: N818 - control flow: this request must log in first
    pass


def _caller_or_login(request: Request) -> Caller:
    found = caller(request)
    if found is None:
        raise _Login
    return found


def login_redirect(_request: Request, _exc: Exception) -> Response:
    """Send a browser that is not logged in to the login page."""
    return RedirectResponse("/login", status_code=303)


def _page(request: Request, name: str, found: Caller | None, **context: Any) -> HTMLResponse:
    allowed = [a for a in ACTIONS if found and found.user.may_send(a)]
    room = context.get("room")
    if isinstance(room, RoomView):
        context.update(site=room.site, stale=console_of(request).watcher.stale(room.site))
    context.update(
        user=found.user if found else None,
        csrf=found.session.csrf if found else "",
        allowed=allowed,
        may_ack=bool(found and found.user.may_send("ack")),
    )
    return templates.TemplateResponse(request, name, context)


def _login_page(request: Request, error: str | None, status: int = 200) -> HTMLResponse:
    # The browser's current form token when it has one, so two login tabs both work.
    held = request.cookies.get(LOGIN_COOKIE, "")
    token = held if _TOKEN.fullmatch(held) else new_token()
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"error": error, "login_csrf": token, "user": None},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=LOGIN_TOKEN_S, path="/login", httponly=True,
        samesite="strict", secure=console_of(request).secure,
    )  # fmt: skip
    return response


@router.get("/login")
def get_login(request: Request) -> Response:
    """Show the login form."""
    if caller(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request, None)


@router.post("/login")
async def post_login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    """Log in from the form; show why not on the same page."""
    if not tokens_match(request.cookies.get(LOGIN_COOKIE, "\x00"), csrf or None):
        return _login_page(request, "The form expired: please try again.", 403)
    console = console_of(request)
    try:
        session = await log_in(console, username, password)
    except LoginRefused as refusal:
        return _login_page(request, str(refusal), 401)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, console, session)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def post_logout(request: Request, csrf: str = Form("")) -> Response:
    """End the session on the server and forget the cookie."""
    found = _caller_or_login(request)
    check_csrf(found, csrf or None)
    console_of(request).sessions.end(found.session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def overview(request: Request) -> Response:
    """Show every room the user may see, by site with each site's link."""
    found = _caller_or_login(request)
    groups = site_groups(console_of(request).watcher, found)
    return _page(request, "overview.html", found, groups=groups, page_room=None)


@router.get("/rooms/{room}")
@router.get("/sites/{site}/rooms/{room}")
def room_page(request: Request, room: str, site: str = Depends(site_of)) -> Response:
    """Show one room: status, controls, timeline picture and event log."""
    found = _caller_or_login(request)
    view_ = visible_room(request, found, site, room)
    return _page(
        request, "room.html", found, room=view_, page_room=room, picture=Markup(_session_svg(view_))
    )


@router.get("/rooms/{room}/timeline.svg")
@router.get("/sites/{site}/rooms/{room}/timeline.svg")
def room_timeline(request: Request, room: str, site: str = Depends(site_of)) -> Response:
    """Return the picture of the room's session so far (empty when it has none)."""
    found = _caller_or_login(request)
    svg = _session_svg(visible_room(request, found, site, room))
    return Response(svg, media_type="image/svg+xml")


@router.get("/rooms/{room}/profiles/{profile}")
@router.get("/sites/{site}/rooms/{room}/profiles/{profile}")
def profile_page(
    request: Request, room: str, profile: str, site: str = Depends(site_of)
) -> Response:
    """Show the picture of a profile before it starts."""
    found = _caller_or_login(request)
    view_ = visible_room(request, found, site, room)
    entry = view_.profile(profile)
    if entry is None:
        raise HTTPException(404, f"no profile {profile} for room {key_text(site, room)}")
    picture = Markup(timeline.render(entry))
    return _page(request, "profile.html", found, room=view_, page_room=room, profile=entry,
                 picture=picture)  # fmt: skip


def _session_svg(room: RoomView) -> str:
    state = room.state or {}
    profile = room.profile(state.get("profile"))
    if profile is None or state.get("status") == "idle":
        return '<svg id="timeline" class="timeline timeline-empty" viewBox="0 0 1000 40"></svg>'
    return timeline.render(
        profile,
        phases=state.get("phases"),
        elapsed_s=state.get("elapsed_s"),
        pauses=[(p.at_s, p.paused_s) for p in room.pauses],
    )
