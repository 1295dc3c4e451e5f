"""The commands clients send on roomctl/R/cmd: one model per action, encoded as sent.

Each model's JSON schema describes the wire (durations as "5m" or seconds, `action`
required), for the contract document; `commands.parse_command` is what takes them in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from roomctl.api.names import PROFILE_NAME_RULE
from roomctl.api.send_time import MAX_COMMAND_AGE_S, wire_time
from roomctl.api.wire import compact_json
from roomctl.models.units import MAX_DURATION_TEXT

# A cue's id: "<phase index>.<cue index>", both 0-based, up to three digits each (the
# contract's pattern: a profile's phases and a phase's cues number a few dozen at most; a
# cue past index 999 could be acknowledged only as the oldest pending one).
CUE_ID_PATTERN = "^[0-9]{1,3}\\.[0-9]{1,3}$"

Action = Literal[
    "start", "pause", "resume", "stop", "next", "emergency", "release", "extend", "ack"
]
ACTIONS: tuple[Action, ...] = get_args(Action)

MAX_TEXT_LENGTH = 200
# An ISO 8601 time with a zone is at most ~35 characters; this refuses junk unparsed.
SENT_AT_MAX_LENGTH = 40
# Longest single extend: a phase held for another half-session is plausible, four hours in
# one go is a typo (2400h for 24m) that would keep a room busy into the night.
MAX_EXTEND_BY_S = 4 * 3600.0

# A duration as clients write it; the parser (models.units) is the authority, this pattern
# only lets through the characters it can take (digits, h, m, s, ':', '.' and spaces).
_DURATION_TEXT: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9hms:. ]+$",
    "maxLength": MAX_DURATION_TEXT,
    "examples": ["5m", "1h30m", "45s", "01:30:00"],
}
_SECONDS: dict[str, Any] = {"type": "number", "minimum": 0, "description": "seconds"}
_TEXT: dict[str, Any] = {"maxLength": MAX_TEXT_LENGTH}


def _wire_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Describe a command as clients send it: `action` first and required, with examples."""
    properties = schema["properties"]
    action = properties.pop("action")
    action.pop("default", None)
    schema["properties"] = {"action": action, **properties}
    schema["required"] = ["action", *schema.get("required", [])]
    examples = getattr(model, "EXAMPLES", ())
    if examples:
        schema["examples"] = list(examples)


class _CommandBase(BaseModel):
    """What every command may carry: who sent it, when, and the id its reply repeats."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_wire_schema)
    # Payloads as clients send them, for the contract document.
    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = ()

    request_id: str | None = Field(
        default=None, description="repeated in the reply", json_schema_extra=_TEXT
    )
    operator: str | None = Field(
        default=None,
        description="who sent it: shown in the record; no control characters",
        json_schema_extra={**_TEXT, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"},
    )
    sent_at: Annotated[
        datetime | None,
        WithJsonSchema(
            {
                "anyOf": [
                    {
                        "type": "string",
                        "format": "date-time",
                        "maxLength": SENT_AT_MAX_LENGTH,
                        "examples": ["2026-11-26T14:03:11.201Z"],
                    },
                    {"type": "null"},
                ]
            }
        ),
        Field(
            description=(
                "when the sender sent it (UTC, with its zone): a command older than"
                f" {MAX_COMMAND_AGE_S:g} s or that far ahead is refused, except an emergency"
            )
        ),
    ] = None

    def to_payload(self) -> str:
        """Return the command as a client sends it: `action` first, no null fields."""
        data = self.model_dump(exclude_none=True)
        body: dict[str, object] = {"action": data.pop("action")}
        for key, value in data.items():
            whole = isinstance(value, float) and value.is_integer()
            body[key] = int(value) if whole else value  # 300.0 s reads 300
            if isinstance(value, datetime):
                body[key] = wire_time(value)
        return compact_json(body)


class StartCommand(_CommandBase):
    """Start a session profile, optionally at an offset into it (load-to-time)."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = (
        {"action": "start", "profile": "im-ketamine-60", "at": "12m", "operator": "kim"},
    )

    action: Literal["start"] = "start"
    profile: str = Field(
        description=PROFILE_NAME_RULE, json_schema_extra={"pattern": "^[A-Za-z0-9_-]{1,64}$"}
    )
    at: Annotated[
        float | None,
        WithJsonSchema({"anyOf": [_DURATION_TEXT, _SECONDS, {"type": "null"}]}),
        Field(description="start this far into the profile (load-to-time)"),
    ] = None


class PauseCommand(_CommandBase):
    """Freeze the room where it is; the session clock stops."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = (
        {"action": "pause", "operator": "kim", "request_id": "a2"},
    )

    action: Literal["pause"] = "pause"


class ResumeCommand(_CommandBase):
    """Continue a paused session from exactly where it stopped."""

    action: Literal["resume"] = "resume"


class StopCommand(_CommandBase):
    """Fade the room to standby and end the session."""

    action: Literal["stop"] = "stop"


class NextCommand(_CommandBase):
    """Start the next phase now."""

    action: Literal["next"] = "next"


class EmergencyCommand(_CommandBase):
    """Bring every light to the emergency scene at once, stop sound, pause the session."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = (
        {"action": "emergency", "operator": "kim", "request_id": "e1"},
    )

    action: Literal["emergency"] = "emergency"


class ReleaseCommand(_CommandBase):
    """Leave an emergency: fade back to the paused session's levels over 3 s."""

    action: Literal["release"] = "release"


class ExtendCommand(_CommandBase):
    """Add time to the current phase."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = ({"action": "extend", "by": "5m"},)

    action: Literal["extend"] = "extend"
    by: Annotated[
        float,
        WithJsonSchema(
            {
                "anyOf": [
                    _DURATION_TEXT,
                    {**_SECONDS, "exclusiveMinimum": 0, "maximum": MAX_EXTEND_BY_S},
                ]
            }
        ),
        Field(description="how much to add: above zero, at most 4 h"),
    ]


class AckCommand(_CommandBase):
    """Acknowledge a fired cue: the one named, else the oldest pending one."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = (
        {"action": "ack", "cue": "2.0", "operator": "kim", "request_id": "r7"},
        {"action": "ack", "operator": "kim"},
    )

    action: Literal["ack"] = "ack"
    cue: str | None = Field(
        default=None,
        description='the cue\'s id, "<phase index>.<cue index>"; without it the oldest pending',
        json_schema_extra={"pattern": CUE_ID_PATTERN},
    )


Command = (
    StartCommand
    | PauseCommand
    | ResumeCommand
    | StopCommand
    | NextCommand
    | EmergencyCommand
    | ReleaseCommand
    | ExtendCommand
    | AckCommand
)


# -- queries: read the room's record, change nothing ---------------------------------------

QueryAction = Literal["history", "report"]
QUERY_ACTIONS: tuple[QueryAction, ...] = get_args(QueryAction)
# A console's records page shows a screenful; 100 sessions are a few weeks of one room and
# keep a reply a few tens of kB.
DEFAULT_HISTORY_LIMIT = 20
MAX_HISTORY_LIMIT = 100
# A session id as the daemon makes them (12 hex digits), or any other roomctl's plain id.
SESSION_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"


class HistoryCommand(_CommandBase):
    """Ask for the room's most recent sessions from its record, newest first."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = (
        {"action": "history", "limit": 20, "request_id": "h1"},
    )

    action: Literal["history"] = "history"
    limit: int = Field(
        default=DEFAULT_HISTORY_LIMIT,
        ge=1,
        le=MAX_HISTORY_LIMIT,
        description="how many sessions at most",
    )


class ReportCommand(_CommandBase):
    """Ask for one session's report, as `roomctl report --format json` prints it."""

    EXAMPLES: ClassVar[tuple[dict[str, object], ...]] = (
        {"action": "report", "session_id": "3f1c9a0b2d4e", "request_id": "h2"},
    )

    action: Literal["report"] = "report"
    session_id: str = Field(
        description="a session of this room", json_schema_extra={"pattern": SESSION_ID_PATTERN}
    )


Query = HistoryCommand | ReportCommand
