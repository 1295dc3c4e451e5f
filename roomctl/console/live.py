"""GET /live: server-sent events, one `data:` JSON per change of a room the user may see."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from roomctl.console.auth import Caller, caller, console_of
from roomctl.console.rooms import RoomView

router = APIRouter()
# A comment line this often keeps proxies and the browser from closing a quiet stream,
# and lets the server notice a browser that went away.
KEEPALIVE_S = 15.0


def _snapshot(room: RoomView) -> list[dict[str, Any]]:
    """Return the messages that bring a new page up to date with a room."""
    pauses = [[p.at_s, p.paused_s] for p in room.pauses]
    return [
        {"kind": "availability", **room.summary(), "pauses": pauses},
        {"kind": "catalog", "room": room.room, "profiles": room.profiles()},
    ]


async def _stream(request: Request, found: Caller, only: str | None) -> AsyncIterator[str]:
    console = console_of(request)
    queue = console.watcher.subscribe()
    try:
        for room in list(console.watcher.rooms.values()):
            if found.user.may_see(room.room) and only in (None, room.room):
                for message in _snapshot(room):
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
            if user.may_see(change.room) and only in (None, change.room):
                yield f"data: {json.dumps(change.data)}\n\n"
    finally:
        console.watcher.unsubscribe(queue)


@router.get("/live", include_in_schema=False)
async def live(request: Request, room: str | None = None) -> StreamingResponse:
    """Stream every change of the rooms the user may see (one room with ?room=)."""
    found = caller(request)
    if found is None:
        raise HTTPException(401, "log in first")
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _stream(request, found, room), media_type="text/event-stream", headers=headers
    )
