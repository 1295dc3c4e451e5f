"""GET /live: server-sent events, one `data:` JSON per change of a room the user may see."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from roomctl.console.auth import Caller, caller, console_of
from roomctl.console.places import LOCAL
from roomctl.console.rooms import RoomView
from roomctl.console.users import User
from roomctl.console.watcher import Watcher

router = APIRouter()
# A comment line this often keeps proxies and the browser from closing a quiet stream,
# and lets the server notice a browser that went away.
KEEPALIVE_S = 15.0


def _snapshot(watcher: Watcher, room: RoomView) -> list[dict[str, Any]]:
    """Return the messages that bring a new page up to date with a room."""
    pauses = [[p.at_s, p.paused_s] for p in room.pauses]
    where = {"site": room.site, "room": room.room}
    return [
        {"kind": "availability", **watcher.summary(room), "pauses": pauses},
        {"kind": "catalog", **where, "profiles": room.profiles()},
    ]


def _wanted(user: User, site: str, room: str | None, only: tuple[str, str | None]) -> bool:
    """Tell whether a change of a site (room None: its link) goes to this stream."""
    if only[1] is not None and (site, room) not in (only, (only[0], None)):
        return False  # a room's page: that room and its site's link
    return user.may_see_site(site) if room is None else user.may_see(room, site)


def _messages(watcher: Watcher, user: User, only: tuple[str, str | None]) -> list[dict[str, Any]]:
    """Return what brings a new page up to date: the sites' links, then the rooms."""
    found: list[dict[str, Any]] = [
        {"kind": "link", **link.summary(), "room": None}
        for site, link in watcher.links.items()
        if _wanted(user, site, None, only)
    ]
    for room in list(watcher.rooms.values()):
        if _wanted(user, room.site, room.room, only):
            found += _snapshot(watcher, room)
    return found


async def _stream(
    request: Request, found: Caller, only: tuple[str, str | None]
) -> AsyncIterator[str]:
    console = console_of(request)
    queue = console.watcher.subscribe()
    try:
        for message in _messages(console.watcher, found.user, only):
            yield f"data: {json.dumps(message)}\n\n"
        while not await request.is_disconnected():
            try:
                change = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            user = console.users.get(found.user.name)
            if user is None or console.sessions.get(found.session.id, console.clock()) is None:
                return  # logged out or removed: the stream ends
            if _wanted(user, change.site, change.room, only):
                yield f"data: {json.dumps(change.data)}\n\n"
    finally:
        console.watcher.unsubscribe(queue)


@router.get("/live", include_in_schema=False)
async def live(request: Request, room: str | None = None, site: str = LOCAL) -> StreamingResponse:
    """Stream every change of the rooms and sites the user may see (one room: ?site=&room=)."""
    found = caller(request)
    if found is None:
        raise HTTPException(401, "log in first")
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _stream(request, found, (site, room)), media_type="text/event-stream", headers=headers
    )
