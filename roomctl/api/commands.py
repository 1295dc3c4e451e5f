"""Parse and validate commands arriving on roomctl/R/cmd: every failure gets a reason.

Parsing is cheap and bounded, whatever arrives (it runs on the MQTT network thread): the
payload size is capped, nesting ends in a refusal, numbers beyond any float are refused,
and a refusal's reason quotes the client's values only in bounded excerpts. The commands
themselves are typed in `command_types` (re-exported here).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime

from roomctl.api.command_types import (
    ACTIONS,
    CUE_ID_PATTERN,
    MAX_EXTEND_BY_S,
    MAX_TEXT_LENGTH,
    QUERY_ACTIONS,
    SENT_AT_MAX_LENGTH,
    AckCommand,
    Action,
    Command,
    EmergencyCommand,
    ExtendCommand,
    HistoryCommand,
    NextCommand,
    PauseCommand,
    Query,
    ReleaseCommand,
    ReportCommand,
    ResumeCommand,
    StartCommand,
    StopCommand,
)
from roomctl.api.messages import Inbound
from roomctl.api.names import PROFILE_NAME
from roomctl.api.queries import QUERY_FIELDS, parse_query
from roomctl.api.send_time import parse_wire_time
from roomctl.api.topics import REPLIES_PREFIX, response_topic_refusal
from roomctl.errors import RoomctlError
from roomctl.models.units import format_duration, parse_duration

__all__ = [
    "ACTIONS",
    "CUE_ID_PATTERN",
    "MAX_EXTEND_BY_S",
    "MAX_PAYLOAD_BYTES",
    "MAX_TEXT_LENGTH",
    "QUERY_ACTIONS",
    "AckCommand",
    "Action",
    "Command",
    "CommandError",
    "EmergencyCommand",
    "ExtendCommand",
    "HistoryCommand",
    "NextCommand",
    "PauseCommand",
    "Query",
    "QueryError",
    "ReleaseCommand",
    "ReportCommand",
    "ResumeCommand",
    "StartCommand",
    "StopCommand",
    "parse_command",
    "parse_inbound",
]

# A command is a few hundred bytes; 64 KiB leaves room for any honest one and refuses floods.
MAX_PAYLOAD_BYTES = 64 * 1024
_KNOWN_FIELDS = {"action", "profile", "at", "by", "cue", "operator", "request_id", "sent_at"}
_KNOWN_FIELDS |= QUERY_FIELDS  # the queries' (api.queries)
_CUE_ID = re.compile(CUE_ID_PATTERN)
# C0 and C1 control characters: an operator name shows up in reports, logs and screens.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# How much of a client's value a refusal quotes: enough to recognise a typo, never a flood.
_SHOWN_CHARS = 40
# How many unknown field names a refusal lists.
_SHOWN_FIELDS = 5


class CommandError(RoomctlError, ValueError):
    """A command that cannot be carried out, with the request id it carried (if any)."""

    def __init__(self, reason: str, request_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request_id = request_id


class QueryError(CommandError):
    """A record query (history, report) that cannot be answered as sent: refused at the edge."""


_SIMPLE: dict[
    str,
    type[
        PauseCommand
        | ResumeCommand
        | StopCommand
        | NextCommand
        | EmergencyCommand
        | ReleaseCommand
        | AckCommand
    ],
] = {
    "pause": PauseCommand,
    "resume": ResumeCommand,
    "stop": StopCommand,
    "next": NextCommand,
    "emergency": EmergencyCommand,
    "release": ReleaseCommand,
    "ack": AckCommand,
}


def _shown(value: object) -> str:
    """Return a client's scalar value as bounded JSON, or its JSON type name."""
    if isinstance(value, str):
        cut = value[: _SHOWN_CHARS + 1]
        quoted = json.dumps(cut, ensure_ascii=not _is_text(cut))  # escape a lone surrogate
        return quoted if len(quoted) <= _SHOWN_CHARS + 2 else quoted[:_SHOWN_CHARS] + '..."'
    if value is None or isinstance(value, bool | float):
        return json.dumps(value)
    if isinstance(value, int):
        digits = len(str(abs(value)))  # within Python's int-string limit: json parsed it
        return str(value) if digits <= _SHOWN_CHARS else f"a {digits}-digit number"
    return "an array" if isinstance(value, list) else "an object"


def _is_text(value: str) -> bool:
    """Return whether a string is valid Unicode text (no lone UTF-16 surrogate)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _optional_text(data: dict[str, object], key: str, request_id: str | None) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
        raise CommandError(f"'{key}' must be a string of at most {MAX_TEXT_LENGTH}", request_id)
    return value


def _sent_at(data: dict[str, object], request_id: str | None) -> datetime | None:
    """Return the command's send time, refusing one that is not an ISO 8601 time with a zone."""
    value = data.get("sent_at")
    if value is None:
        return None
    wrong = CommandError(
        f"'sent_at' must be a UTC time like \"2026-11-26T14:03:11.201Z\", not {_shown(value)}",
        request_id,
    )
    if not isinstance(value, str) or len(value) > SENT_AT_MAX_LENGTH:
        raise wrong
    try:
        return parse_wire_time(value)
    except ValueError:
        raise wrong from None


def _duration(data: dict[str, object], key: str, request_id: str | None) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CommandError(f"'{key}' must be a duration like \"5m\"", request_id)
    if isinstance(value, int | float) and not _finite(value):
        raise CommandError(
            f"'{key}' must be a finite duration like \"5m\", not {_shown(value)}", request_id
        )
    try:
        return parse_duration(value)
    except ValueError as error:
        raise CommandError(f"'{key}': {error}", request_id) from None


def _finite(number: float) -> bool:
    """Return whether a JSON number is a finite float (an integer may be beyond any)."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def _request_id(data: dict[str, object]) -> str | None:
    value = data.get("request_id")
    if isinstance(value, str) and len(value) <= MAX_TEXT_LENGTH and _is_text(value):
        return value
    return None


def _peek_request_id(payload: bytes) -> str | None:
    """Return the request id a payload carries, if it has a usable one, to answer it with."""
    try:
        return _request_id(_decode(payload))
    except CommandError:
        return None


def _decode(payload: bytes) -> dict[str, object]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise CommandError(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(payload.decode("utf-8"))
    except RecursionError:
        raise CommandError("payload is nested too deeply: send a flat JSON object") from None
    except (UnicodeDecodeError, ValueError):  # also an integer over Python's digit limit
        raise CommandError('payload is not JSON: send an object like {"action": "pause"}') from None
    if not isinstance(data, dict):
        raise CommandError('payload must be a JSON object like {"action": "pause"}')
    return data


def _check_text(data: dict[str, object], request_id: str | None) -> None:
    """Refuse field names and string values that are not valid text (a lone surrogate)."""
    for key, value in data.items():
        if not _is_text(key):
            raise CommandError(
                "a field name is not valid text: it holds a lone UTF-16 surrogate", request_id
            )
        if isinstance(value, str) and not _is_text(value):
            raise CommandError(
                f"'{key}' is not valid text: it holds a lone UTF-16 surrogate", request_id
            )


def parse_command(payload: bytes) -> Command | Query:
    """Return the command in a payload, or raise CommandError saying what is wrong."""
    data = _decode(payload)
    request_id = _request_id(data)
    _check_text(data, request_id)
    if "request_id" in data and data["request_id"] is not None and request_id is None:
        raise CommandError(f"'request_id' must be a string of at most {MAX_TEXT_LENGTH}")
    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        names = ", ".join(_shown(name) for name in unknown[:_SHOWN_FIELDS])
        more = f" and {len(unknown) - _SHOWN_FIELDS} more" if len(unknown) > _SHOWN_FIELDS else ""
        raise CommandError(f"unknown field(s): {names}{more}", request_id)
    action = data.get("action")
    if action not in ACTIONS and action not in QUERY_ACTIONS:
        known = ", ".join((*ACTIONS, *QUERY_ACTIONS))
        raise CommandError(f"unknown action {_shown(action)}: use one of {known}", request_id)
    operator = _optional_text(data, "operator", request_id)
    if operator is not None and _CONTROL.search(operator):
        raise CommandError("'operator' must not hold control characters", request_id)
    sent_at = _sent_at(data, request_id)
    if action in QUERY_ACTIONS:
        try:
            return parse_query(str(action), data, request_id, operator)
        except ValueError as error:
            raise QueryError(str(error), request_id) from None
    for key in sorted(QUERY_FIELDS):
        if data.get(key) is not None:
            raise CommandError(f"'{key}' goes with history or report, not {action}", request_id)
    profile = _optional_text(data, "profile", request_id)
    at = _duration(data, "at", request_id)
    by = _duration(data, "by", request_id)
    cue = _cue_id(data, str(action), request_id)
    command = _typed(str(action), data, request_id, operator, profile, at, by)
    if cue is not None:
        command = AckCommand(request_id=request_id, operator=operator, cue=cue)
    return command if sent_at is None else command.model_copy(update={"sent_at": sent_at})


def _cue_id(data: dict[str, object], action: str, request_id: str | None) -> str | None:
    """Return the cue id an ack names, refusing one on another action or not like "2.0"."""
    cue = data.get("cue")
    if cue is None:
        return None
    if action != "ack":
        raise CommandError(f"'cue' goes with ack, not {action}", request_id)
    if not isinstance(cue, str) or not _CUE_ID.fullmatch(cue):
        raise CommandError(
            f"'cue' must be a cue id like \"2.0\" (phase.cue), not {_shown(cue)}", request_id
        )
    return cue


def _typed(
    action: str,
    data: dict[str, object],
    request_id: str | None,
    operator: str | None,
    profile: str | None,
    at: float | None,
    by: float | None,
) -> Command:
    """Return the typed command for checked fields, refusing fields the action does not take."""
    if action == "start":
        if profile is None:
            raise CommandError("start needs a 'profile'", request_id)
        if not PROFILE_NAME.match(profile):
            raise CommandError(
                f"profile name {_shown(profile)} is not a name: letters, digits, - and _",
                request_id,
            )
    elif profile is not None or at is not None:
        raise CommandError(f"'profile' and 'at' go with start, not {action}", request_id)
    if action == "extend":
        if by is None or by <= 0:
            raise CommandError("extend needs 'by', a duration above zero like \"5m\"", request_id)
        if by > MAX_EXTEND_BY_S:
            raise CommandError(
                f"'by' is at most {format_duration(MAX_EXTEND_BY_S)} per extend,"
                f" not {format_duration(by) if by < 1e9 else _shown(data['by'])}",
                request_id,
            )
    elif by is not None:
        raise CommandError(f"'by' goes with extend, not {action}", request_id)
    if action == "start":
        assert profile is not None
        return StartCommand(request_id=request_id, operator=operator, profile=profile, at=at)
    if action == "extend":
        assert by is not None
        return ExtendCommand(request_id=request_id, operator=operator, by=by)
    return _SIMPLE[str(action)](request_id=request_id, operator=operator)


def parse_inbound(inbound: Inbound) -> Command | Query:
    """Return the command a received message carries, refusing retained and foreign-reply ones.

    A retained command would run again for every new subscriber and after every restart; a
    response topic outside roomctl/replies/ would let a client make the daemon publish to a
    device's topic. Both are refused before the payload is read.
    """
    if inbound.retain:
        raise CommandError(
            "retained commands are never executed: publish without the retain flag",
            _peek_request_id(inbound.payload),
        )
    topic = inbound.response_topic
    if topic is not None and (why := response_topic_refusal(topic)) is not None:
        where = "outside" if not topic.startswith(REPLIES_PREFIX) else "refused under"
        raise CommandError(
            f"response topic {_shown(topic)} is {where} {REPLIES_PREFIX}: {why}",
            _peek_request_id(inbound.payload),
        )
    return parse_command(inbound.payload)
