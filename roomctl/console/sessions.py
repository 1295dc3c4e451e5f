"""Server-side login sessions, each with its CSRF token."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

COOKIE = "roomctl_session"
# The cookie holding the login form's token before anyone has logged in (double submit).
LOGIN_COOKIE = "roomctl_login"
CSRF_HEADER = "X-CSRF-Token"
# A session unused for 12 hours ends: longer than a clinic shift, so nobody is logged out
# mid-session, short enough that a forgotten tablet does not stay logged in for days.
IDLE_S = 12 * 3600.0
# Session ids and CSRF tokens: 32 random bytes each.
TOKEN_BYTES = 32


@dataclass
class Session:
    """One logged-in browser: its user's name, CSRF token and when it was last used."""

    id: str
    user: str
    csrf: str
    last_seen: float


def new_token() -> str:
    """Return a new random token (32 bytes, URL-safe text)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def tokens_match(expected: str, given: str | None) -> bool:
    """Return whether a given token equals the expected one, in constant time."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


class SessionStore:
    """Every session, in memory: a console restart logs everyone out."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self.idle_s = idle_s
        self._sessions: dict[str, Session] = {}

    def create(self, user: str, now: float) -> Session:
        """Start a session for a user."""
        self._expire(now)
        session = Session(new_token(), user, new_token(), now)
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None, now: float) -> Session | None:
        """Return the live session with that id and mark it used, or None."""
        if session_id is None:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if now - session.last_seen > self.idle_s:
            del self._sessions[session_id]
            return None
        session.last_seen = now
        return session

    def end(self, session_id: str | None) -> None:
        """End a session (logout): its id is refused from now on."""
        if session_id is not None:
            self._sessions.pop(session_id, None)

    def end_user(self, user: str) -> None:
        """End every session of a user (removed from the users file)."""
        for key in [k for k, s in self._sessions.items() if s.user == user]:
            del self._sessions[key]

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if now - s.last_seen > self.idle_s]:
            del self._sessions[key]

    def __len__(self) -> int:
        return len(self._sessions)
