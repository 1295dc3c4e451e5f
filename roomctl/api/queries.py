"""Take in the record queries (`history`, `report`): read-only actions on roomctl/R/cmd.

Called by `commands.parse_command` once the payload is known to be a flat JSON object of
known fields, valid text, with a checked request id and operator; a ValueError's message
becomes the refusal's reason.
"""

from __future__ import annotations

import re

from roomctl.api.command_types import (
    MAX_HISTORY_LIMIT,
    SESSION_ID_PATTERN,
    HistoryCommand,
    Query,
    ReportCommand,
)

# The fields only queries take; a query takes those of every command and its own, no other.
QUERY_FIELDS = frozenset({"limit", "session_id"})
# `sent_at` is taken and not checked: a query changes nothing, so a late one harms nothing.
_COMMON_FIELDS = frozenset({"action", "operator", "request_id", "sent_at"})
_OWN_FIELDS = {"history": frozenset({"limit"}), "report": frozenset({"session_id"})}
_SESSION_ID = re.compile(SESSION_ID_PATTERN.replace("^", r"\A").replace("$", r"\Z"))


def parse_query(
    action: str, data: dict[str, object], request_id: str | None, operator: str | None
) -> Query:
    """Return the typed query, or raise ValueError saying what is wrong with it."""
    taken = _COMMON_FIELDS | _OWN_FIELDS[action]
    given = sorted(key for key, value in data.items() if value is not None and key not in taken)
    if given:
        raise ValueError(f"'{given[0]}' does not go with {action}")
    if action == "history":
        limit = data.get("limit")
        if limit is None:
            return HistoryCommand(request_id=request_id, operator=operator)
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise ValueError(f"'limit' must be a whole number from 1 to {MAX_HISTORY_LIMIT}")
        if not 1 <= limit <= MAX_HISTORY_LIMIT:
            shown = limit if abs(limit) < 10**9 else "a larger number"
            raise ValueError(f"'limit' is from 1 to {MAX_HISTORY_LIMIT}, not {shown}")
        return HistoryCommand(request_id=request_id, operator=operator, limit=limit)
    session_id = data.get("session_id")
    if session_id is None:
        raise ValueError("report needs a 'session_id', as `history` lists them")
    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        raise ValueError("'session_id' must be a session id: letters, digits, - and _, at most 64")
    return ReportCommand(request_id=request_id, operator=operator, session_id=session_id)
