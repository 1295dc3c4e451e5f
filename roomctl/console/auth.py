"""Who is asking: the session cookie, the user behind it, CSRF checks and logging in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from roomctl.console.sender import Sender
from roomctl.console.sessions import (
    COOKIE,
    CSRF_HEADER,
    Session,
    SessionStore,
    tokens_match,
)
from roomctl.console.throttle import Throttle
from roomctl.console.users import User, UsersFile, verify_password
from roomctl.console.watcher import Watcher

_LOGGER = logging.getLogger(__name__)


@dataclass
class Console:
    """Everything the console's requests share."""

    watcher: Watcher
    sender: Sender
    users: UsersFile
    secure: bool  # served over TLS: cookies get `Secure`
    sessions: SessionStore = field(default_factory=SessionStore)
    throttle: Throttle = field(default_factory=Throttle)
    clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True, slots=True)
class Caller:
    """A logged-in request: its session and user."""

    session: Session
    user: User


class LoginRefused(Exception):  # noqa: N818 - an outcome shown to the user
    """A login was refused; the message says why, without telling which names exist."""


def console_of(request: Request) -> Console:
    """Return the console serving a request."""
    console: Console = request.app.state.console
    return console


def caller(request: Request) -> Caller | None:
    """Return the logged-in caller of a request, or None."""
    console = console_of(request)
    session = console.sessions.get(request.cookies.get(COOKIE), console.clock())
    if session is None:
        return None
    user = console.users.get(session.user)
    if user is None:  # removed from the users file: the session ends
        console.sessions.end(session.id)
        return None
    return Caller(session, user)


def api_caller(request: Request) -> Caller:
    """Return the caller of an API request, or answer 401."""
    found = caller(request)
    if found is None:
        raise HTTPException(401, "log in first: POST /api/login")
    return found


def check_csrf(found: Caller, given: str | None) -> None:
    """Answer 403 unless the request carries its session's CSRF token."""
    if not tokens_match(found.session.csrf, given):
        raise HTTPException(403, f"missing or wrong CSRF token (header {CSRF_HEADER})")


def csrf_header(request: Request) -> str | None:
    """Return the CSRF token a request's header carries."""
    return request.headers.get(CSRF_HEADER)


def set_session_cookie(response: Response, console: Console, session: Session) -> None:
    """Give the browser its session cookie (no expiry of its own: the server ends sessions)."""
    response.set_cookie(
        COOKIE,
        session.id,
        path="/",
        httponly=True,
        samesite="strict",
        secure=console.secure,
    )


async def log_in(console: Console, name: str, password: str) -> Session:
    """Check a name and password and start a session; raise LoginRefused saying why not."""
    user = console.users.get(name)
    # Only a known name is logged: a password typed into the name field stays out of the log.
    shown = repr(name) if user is not None else "an unknown name"
    locked = console.throttle.locked_for(name, console.clock())
    if locked > 0:
        _LOGGER.warning("login refused for %s: locked after too many wrong passwords", shown)
        raise LoginRefused(
            f"Too many wrong passwords for {name}: locked, try again in"
            f" {max(1, round(locked / 60))} min."
        )
    if not await run_in_threadpool(verify_password, user, password):
        console.throttle.failed(name, console.clock())
        _LOGGER.warning("login refused for %s: wrong name or password", shown)
        if console.throttle.locked_for(name, console.clock()) > 0:
            raise LoginRefused(
                f"Too many wrong passwords for {name}: locked for"
                f" {round(console.throttle.lock_s / 60)} min."
            )
        raise LoginRefused("Wrong name or password.")
    assert user is not None
    console.throttle.succeeded(name)
    _LOGGER.info("%s logged in (%s)", name, user.role)
    return console.sessions.create(user.name, console.clock())
