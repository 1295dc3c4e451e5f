"""The one reply to every command, on roomctl/R/reply and the command's response topic."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field, JsonValue

from roomctl.api.state import Status
from roomctl.api.wire import WireModel, compact_json

_EXAMPLES: list[JsonValue] = [
    {"request_id": "a1", "ok": True, "status": "running", "recorded": True},
    {
        "request_id": "a1",
        "ok": False,
        "status": "running",
        "error": "room room-1 has a session running: stop it first",
    },
]


class Reply(WireModel):
    """A command's answer: whether it was taken, the room's status, and why not if refused.

    An accepted command's reply says whether its record is on disk (`recorded`); when it
    is not, `warning` says why. A refusal carries `error`.
    """

    model_config = ConfigDict(json_schema_extra={"examples": _EXAMPLES})
    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"recorded", "warning"})

    request_id: str | None = Field(description="the command's request_id, or null")
    ok: bool
    status: Status
    error: str | None = Field(default=None, description="why the command was refused")
    recorded: bool | None = Field(
        default=None, description="whether the accepted command's record is on disk"
    )
    warning: str | None = Field(default=None, description="why the record is not on disk yet")

    def _omitted_when_none(self) -> frozenset[str]:
        """Return the fields left out when None: a refusal always says `error`, even null."""
        return self.OMIT_WHEN_NONE if not self.ok else self.OMIT_WHEN_NONE | {"error"}

    @classmethod
    def answer(
        cls,
        request_id: str | None,
        ok: bool,
        status: Status,
        error: str | None,
        recorded: bool | None = None,
    ) -> Reply:
        """Return the reply to a command; for an accepted one `error` is the record's warning."""
        return cls(
            request_id=request_id,
            ok=ok,
            status=status,
            error=None if ok else error,
            recorded=recorded,
            warning=error if recorded is False else None,
        )

    def payload(self) -> str:
        """Return the reply as the JSON the contract shows."""
        return compact_json(self.model_dump(mode="json"))


def reply_payload(
    request_id: str | None,
    ok: bool,
    status: Status,
    error: str | None,
    recorded: bool | None = None,
) -> str:
    """Return a command reply; an accepted one says whether its record is on disk yet.

    Written as Reply.answer(...).payload() writes it (tests/test_api_payloads.py checks),
    without building the model: that was a tenth of a refused command's work.
    """
    data: dict[str, object] = {"request_id": request_id, "ok": ok, "status": status}
    if not ok:
        data["error"] = error
    if recorded is not None:
        data["recorded"] = recorded
        if recorded is False and error is not None:
            data["warning"] = error
    return compact_json(data)


# -- the record queries' replies -------------------------------------------------------

_SESSION_EXAMPLE: dict[str, JsonValue] = {
    "session_id": "3f1c9a0b2d4e",
    "profile": "im-ketamine-60",
    "title": "IM ketamine, 60 minutes",
    "operator": "kim",
    "started_at": "2026-11-26T14:03:11.201Z",
    "ended_at": "2026-11-26T15:05:40.007Z",
    "length_s": 3748.8,
    "outcome": "completed",
}


class SessionSummary(WireModel):
    """One session as `roomctl history` lists it; `site` only when it was recorded at one."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"site"})

    session_id: str
    site: str | None = Field(
        default=None, description="the daemon's site when it was recorded (`roomctl run --site`)"
    )
    profile: str
    title: str = Field(description="the profile's title when the session started")
    operator: str | None = Field(description="who started it, or null if not given")
    started_at: str = Field(description="wall time, UTC")
    ended_at: str | None = Field(description="wall time, UTC; null while not ended")
    length_s: float | None = Field(description="wall seconds from start to end, or null")
    outcome: str | None = Field(
        description="how it ended (completed, stopped); null while it has not ended"
    )


class HistoryReply(WireModel):
    """The answer to `history`: the room's most recent sessions, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"request_id": "h1", "ok": True, "status": "idle", "sessions": [_SESSION_EXAMPLE]}
            ]
        }
    )

    request_id: str | None = Field(description="the query's request_id, or null")
    ok: Literal[True] = True
    status: Status
    sessions: list[SessionSummary]


class ReportReply(WireModel):
    """The answer to `report`: the session's report as `roomctl report --format json` prints it.

    A report too big for one reply keeps the first entries of its longest lists: `omitted`
    says how many of each list were left out and `warning` says so in words.
    """

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"omitted", "warning"})

    request_id: str | None = Field(description="the query's request_id, or null")
    ok: Literal[True] = True
    status: Status
    report: dict[str, JsonValue] = Field(description="as `roomctl report ID --format json`")
    omitted: dict[str, int] | None = Field(
        default=None, description="entries left out of each cut list of the report"
    )
    warning: str | None = Field(default=None, description="why the report is not whole")
