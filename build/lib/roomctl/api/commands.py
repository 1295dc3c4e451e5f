"""Parse and validate commands arriving on roomctl/R/cmd: every failure gets a reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, get_args

from roomctl.models.units import parse_duration
from roomctl.names import PROFILE_NAME

Action = Literal["start", "pause", "resume", "stop", "next", "emergency", "release", "extend"]
ACTIONS: tuple[Action, ...] = get_args(Action)

# A command is a few hundred bytes; 64 KiB leaves room for any honest one and refuses floods.
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_TEXT_LENGTH = 200
_KNOWN_FIELDS = {"action", "profile", "at", "by", "operator", "request_id"}


class CommandError(ValueError):
    """A command that cannot be carried out, with the request id it carried (if any)."""

    def __init__(self, reason: str, request_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class Command:
    """A well-formed command."""

    action: Action
    request_id: str | None = None
    operator: str | None = None
    profile: str | None = None
    at: float | None = None
    by: float | None = None


def _optional_text(data: dict[str, object], key: str, request_id: str | None) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
        raise CommandError(f"'{key}' must be a string of at most {MAX_TEXT_LENGTH}", request_id)
    return value


def _duration(data: dict[str, object], key: str, request_id: str | None) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CommandError(f"'{key}' must be a duration like \"5m\"", request_id)
    try:
        return parse_duration(value)
    except ValueError as error:
        raise CommandError(f"'{key}': {error}", request_id) from None


def _request_id(data: dict[str, object]) -> str | None:
    value = data.get("request_id")
    return value if isinstance(value, str) and len(value) <= MAX_TEXT_LENGTH else None


def _decode(payload: bytes) -> dict[str, object]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise CommandError(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CommandError('payload is not JSON: send an object like {"action": "pause"}') from None
    if not isinstance(data, dict):
        raise CommandError('payload must be a JSON object like {"action": "pause"}')
    return data


def parse_command(payload: bytes) -> Command:
    """Return the command in a payload, or raise CommandError saying what is wrong."""
    data = _decode(payload)
    request_id = _request_id(data)
    if "request_id" in data and data["request_id"] is not None and request_id is None:
        raise CommandError(f"'request_id' must be a string of at most {MAX_TEXT_LENGTH}")
    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        raise CommandError(f"unknown field(s): {', '.join(unknown)}", request_id)
    action = data.get("action")
    if action not in ACTIONS:
        raise CommandError(
            f"unknown action {json.dumps(action)}: use one of {', '.join(ACTIONS)}", request_id
        )
    operator = _optional_text(data, "operator", request_id)
    profile = _optional_text(data, "profile", request_id)
    at = _duration(data, "at", request_id)
    by = _duration(data, "by", request_id)
    if action == "start":
        if profile is None:
            raise CommandError("start needs a 'profile'", request_id)
        if not PROFILE_NAME.match(profile):
            raise CommandError(
                f"profile name {json.dumps(profile)} is not a name: letters, digits, - and _",
                request_id,
            )
    elif profile is not None or at is not None:
        raise CommandError(f"'profile' and 'at' go with start, not {action}", request_id)
    if action == "extend":
        if by is None or by <= 0:
            raise CommandError("extend needs 'by', a duration above zero like \"5m\"", request_id)
    elif by is not None:
        raise CommandError(f"'by' goes with extend, not {action}", request_id)
    return Command(action, request_id, operator, profile, at, by)
