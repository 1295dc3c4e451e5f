"""The record queries: parsed and typed, answered from a real journal, bounded in size."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from roomctl.api import Inbound, asyncapi_document
from roomctl.api.commands import (
    CommandError,
    HistoryCommand,
    PauseCommand,
    QueryError,
    ReportCommand,
    parse_command,
)
from roomctl.journal import Journal, JournalFile, SessionRow, StoredEvent
from roomctl.journal.report import as_json, build_report
from roomctl.runtime.inputs import CommandArrived
from roomctl.runtime.intake import NOT_AN_EMERGENCY, CommandIntake, QueryArrived
from roomctl.runtime.record_answers import (
    MAX_REPLY_BYTES,
    UnknownSessionError,
    bounded_report,
    history_payload,
    report_payload,
)
from roomctl.runtime.records import MAX_WAITING, NO_RECORD, RecordAsk, RecordDesk
from roomctl.runtime.records import NOT_ANSWERED_IN_TIME as LATE
from tests.fixtures.disk import FreezableDisk
from tests.fixtures.room import wait_for

T0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
# A reply on a free disk comes within milliseconds; this bounds a broken desk.
REPLY_TIMEOUT_S = 5.0
# On a frozen disk the replies are due after READ_BOUND_S (2 s); the rest is a loaded machine.
FROZEN_REPLY_TIMEOUT_S = 6.0


def _parse(body: dict[str, Any]) -> Any:
    return parse_command(json.dumps(body).encode())


# -- parsing -------------------------------------------------------------------------------


def test_history_and_report_are_typed_with_their_defaults() -> None:
    assert _parse({"action": "history"}) == HistoryCommand(limit=20)
    assert _parse({"action": "history", "limit": 100, "request_id": "h1"}) == HistoryCommand(
        limit=100, request_id="h1"
    )
    assert _parse({"action": "report", "session_id": "3f1c9a0b2d4e", "operator": "kim"}) == (
        ReportCommand(session_id="3f1c9a0b2d4e", operator="kim")
    )
    assert HistoryCommand(limit=5).to_payload() == '{"action":"history","limit":5}'


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"action": "history", "limit": 0}, "'limit' is from 1 to 100, not 0"),
        ({"action": "history", "limit": 101}, "'limit' is from 1 to 100, not 101"),
        ({"action": "history", "limit": 10**30}, "'limit' is from 1 to 100, not a larger number"),
        ({"action": "history", "limit": "5"}, "'limit' must be a whole number from 1 to 100"),
        ({"action": "history", "limit": 2.5}, "'limit' must be a whole number from 1 to 100"),
        ({"action": "history", "limit": True}, "'limit' must be a whole number from 1 to 100"),
        ({"action": "history", "session_id": "a"}, "'session_id' does not go with history"),
        ({"action": "history", "profile": "demo"}, "'profile' does not go with history"),
        ({"action": "report"}, "report needs a 'session_id', as `history` lists them"),
        (
            {"action": "report", "session_id": "x", "limit": 3},
            "'limit' does not go with report",
        ),
        (
            {"action": "report", "session_id": "../etc"},
            "'session_id' must be a session id: letters, digits, - and _, at most 64",
        ),
        (
            {"action": "report", "session_id": 12},
            "'session_id' must be a session id: letters, digits, - and _, at most 64",
        ),
        ({"action": "report", "session_id": "s", "by": "5m"}, "'by' does not go with report"),
    ],
)
def test_a_malformed_query_is_refused_as_a_query_with_its_request_id(
    body: dict[str, Any], reason: str
) -> None:
    with pytest.raises(QueryError) as refused:
        _parse({**body, "request_id": "q1"})
    assert (refused.value.reason, refused.value.request_id) == (reason, "q1")


def test_query_fields_on_a_command_refuse_the_command() -> None:
    with pytest.raises(CommandError) as refused:
        _parse({"action": "pause", "limit": 5, "request_id": "p1"})
    assert not isinstance(refused.value, QueryError)
    assert (refused.value.reason, refused.value.request_id) == (
        "'limit' goes with history or report, not pause",
        "p1",
    )


def test_an_unknown_action_names_the_queries_too() -> None:
    with pytest.raises(CommandError, match=r"use one of start, .*, history, report$"):
        _parse({"action": "records"})


def test_the_contract_has_the_queries_and_their_replies() -> None:
    document = asyncapi_document()
    cmd = document["channels"]["cmd"]["messages"]
    assert {"history", "report"} <= set(cmd)
    assert set(document["channels"]["reply"]["messages"]) == {
        "reply",
        "historyReply",
        "reportReply",
    }


def test_queries_go_to_the_record_desk_and_commands_to_the_room() -> None:
    intake = CommandIntake()

    def take(body: dict[str, Any], emergency_only: bool = False) -> Any:
        return intake.take(Inbound("roomctl/r/cmd", json.dumps(body).encode()), emergency_only)

    history = take({"action": "history", "limit": 3})
    assert isinstance(history, QueryArrived) and history.query == HistoryCommand(limit=3)
    bad = take({"action": "report", "request_id": "r"})
    assert isinstance(bad, QueryArrived) and isinstance(bad.query, QueryError)
    pause = take({"action": "pause"})
    assert isinstance(pause, CommandArrived) and pause.parsed == PauseCommand()
    # On the emergency topic a query, well formed or not, is refused as no emergency.
    for body in ({"action": "history"}, {"action": "history", "limit": 0}):
        refused = take(body, emergency_only=True)
        assert isinstance(refused, CommandArrived)
        assert isinstance(refused.parsed, CommandError)
        assert refused.parsed.reason == NOT_AN_EMERGENCY


# -- answers from a real journal -----------------------------------------------------------


def _session(session_id: str, room: str, started: float, **kw: Any) -> SessionRow:
    snapshot = {"profile": {"title": f"Title {session_id}"}, "operator": kw.pop("operator", None)}
    return SessionRow(
        session_id,
        room,
        "demo",
        started,
        kw.get("ended"),
        kw.get("reason"),
        started,
        snapshot,
    )


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    journal = Journal(tmp_path / "state")
    rows = [
        _session("s1", "room-1", T0, operator="kim", ended=T0 + 600.04, reason="completed"),
        _session("s2", "room-2", T0 + 700),
        _session("s3", "room-1", T0 + 800, operator="lee"),
    ]
    events = [
        StoredEvent("room-1", "s1", T0, "phase_started", {"phase": "arrival", "index": 0}),
        StoredEvent("room-1", "s1", T0 + 60, "paused", {"by": "kim"}),
        StoredEvent("room-1", "s1", T0 + 90, "resumed", {"by": "kim"}),
        StoredEvent("room-1", "s1", T0 + 600.04, "session_ended", {"reason": "completed"}),
    ]
    journal.write(events, rows)
    return journal


def _validator(name: str) -> jsonschema.Draft7Validator:
    document = asyncapi_document()
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema.Draft7Validator(root)


def test_history_lists_the_rooms_sessions_newest_first_as_its_contract_says(
    journal: Journal,
) -> None:
    connection = JournalFile(journal.state_dir).open_reader()
    payload = history_payload(connection, "room-1", HistoryCommand(request_id="h1"), "running")
    reply = json.loads(payload)
    assert list(_validator("HistoryReply").iter_errors(reply)) == []
    assert reply == {
        "request_id": "h1",
        "ok": True,
        "status": "running",
        "sessions": [
            {
                "session_id": "s3",
                "profile": "demo",
                "title": "Title s3",
                "operator": "lee",
                "started_at": "2027-01-15T08:13:20.000Z",
                "ended_at": None,
                "length_s": None,
                "outcome": None,
            },
            {
                "session_id": "s1",
                "profile": "demo",
                "title": "Title s1",
                "operator": "kim",
                "started_at": "2027-01-15T08:00:00.000Z",
                "ended_at": "2027-01-15T08:10:00.040Z",
                "length_s": 600.0,
                "outcome": "completed",
            },
        ],
    }
    one = history_payload(connection, "room-1", HistoryCommand(limit=1), "idle")
    assert [s["session_id"] for s in json.loads(one)["sessions"]] == ["s3"]
    connection.close()


def test_report_is_the_clis_json_and_refuses_another_rooms_session(journal: Journal) -> None:
    connection = JournalFile(journal.state_dir).open_reader()
    reply = json.loads(report_payload(connection, "room-1", ReportCommand(session_id="s1"), "idle"))
    assert list(_validator("ReportReply").iter_errors(reply)) == []
    row = journal.session("s1")
    assert row is not None
    assert reply["report"] == json.loads(as_json(build_report(row, journal.events("s1"))))
    assert [p["by"] for p in reply["report"]["pauses"]] == ["kim"]
    for other in ("s2", "nope"):
        with pytest.raises(UnknownSessionError, match=f"room room-1 has no session '{other}'"):
            report_payload(connection, "room-1", ReportCommand(session_id=other), "idle")
    connection.close()


def test_a_report_too_big_for_a_reply_keeps_its_first_entries_and_says_so(
    journal: Journal,
) -> None:
    row = journal.session("s1")
    assert row is not None
    report = asdict(build_report(row, journal.events("s1")))
    entry = {"at": "2027-01-15 08:00:00 UTC", "kind": "command_rejected", "detail": "x" * 200}
    report["technical"] = [{**entry, "detail": f"{n} " + "x" * 200} for n in range(5000)]
    payload = bounded_report("r1", "idle", report)
    assert len(payload.encode()) <= MAX_REPLY_BYTES
    reply = json.loads(payload)
    assert list(_validator("ReportReply").iter_errors(reply)) == []
    kept = reply["report"]["technical"]
    assert 900 < len(kept) < 5000  # an entry is about 270 bytes
    assert kept == report["technical"][: len(kept)]
    assert reply["omitted"] == {"technical": 5000 - len(kept)}
    assert reply["report"]["pauses"] == report["pauses"]  # the short lists are whole
    assert reply["warning"].startswith(
        f"the report is cut to fit one reply ({5000 - len(kept)} technical entries left out)"
    )
    # The cut keeps as much as fits: one more entry (about 270 bytes) would not.
    assert MAX_REPLY_BYTES - len(payload.encode()) < len(json.dumps(kept[-1]))


# -- the desk ------------------------------------------------------------------------------


def _ask(desk: RecordDesk, query: Any) -> dict[str, Any]:
    got: list[str] = []
    done = threading.Event()

    def send(payload: str) -> None:
        got.append(payload)
        done.set()

    desk.ask(RecordAsk(query, "room-1", lambda: "paused", send))
    assert done.wait(REPLY_TIMEOUT_S), "no reply"
    assert len(got) == 1
    reply: dict[str, Any] = json.loads(got[0])
    return reply


def test_the_desk_answers_reads_refusals_and_a_daemon_without_a_record(journal: Journal) -> None:
    desk = RecordDesk(journal.state_dir)
    desk.start()
    try:
        history = _ask(desk, HistoryCommand(request_id="h"))
        assert [s["session_id"] for s in history["sessions"]] == ["s3", "s1"]
        assert history["status"] == "paused"
        unknown = _ask(desk, ReportCommand(request_id="r", session_id="s2"))
        assert (unknown["ok"], unknown["request_id"]) == (False, "r")
        assert unknown["error"].startswith("room room-1 has no session 's2'")
        refused = _ask(desk, QueryError("'limit' is from 1 to 100, not 0", "q"))
        assert refused == {
            "request_id": "q",
            "ok": False,
            "status": "paused",
            "error": "'limit' is from 1 to 100, not 0",
        }
    finally:
        desk.stop()
    assert _ask(RecordDesk(None), HistoryCommand())["error"] == NO_RECORD
    assert _ask(desk, HistoryCommand())["error"] == "the daemon is stopping"


def test_a_desk_on_a_frozen_disk_refuses_in_time_and_reads_again_after_the_thaw(
    frozen_disk: FreezableDisk,
) -> None:
    journal = Journal(frozen_disk.path)
    journal.write([], [_session("s1", "room-1", T0, operator="kim")])
    desk = RecordDesk(frozen_disk.path)
    desk.start()
    replies: list[dict[str, Any]] = []
    lock = threading.Lock()

    def send(payload: str) -> None:
        with lock:
            replies.append(json.loads(payload))

    def asked(n: int) -> None:
        desk.ask(RecordAsk(HistoryCommand(request_id=f"h{n}"), "room-1", lambda: "idle", send))

    try:
        frozen_disk.freeze()
        journal.submit([StoredEvent("room-1", "s1", T0 + 1, "paused", {"by": "kim"})])
        sent = time.monotonic()
        for n in range(MAX_WAITING + 2):  # one read, MAX_WAITING waiting, one too many
            asked(n)
        wait_for(lambda: len(replies) == MAX_WAITING + 2, FROZEN_REPLY_TIMEOUT_S, "every reply")
        assert time.monotonic() - sent < FROZEN_REPLY_TIMEOUT_S
        by_id = {r["request_id"]: r["error"] for r in replies}
        full = f"{MAX_WAITING} record queries are waiting already: ask again later"
        assert by_id[f"h{MAX_WAITING + 1}"] == full
        # The first is being read, or still waits if the reader had not taken it yet.
        refused = [e for e in by_id.values() if e == full]
        overdue = [e for e in by_id.values() if e == f"the record cannot be read now: {LATE}"]
        assert len(refused) in (1, 2)
        assert len(overdue) == MAX_WAITING + 2 - len(refused)
        # While the reader waits for the disk, the next query is refused at once.
        replies.clear()
        asked(99)
        assert replies[0]["error"].startswith(
            "the record cannot be read now: the state disk has not answered for"
        )
        frozen_disk.thaw()
        replies.clear()
        wait_for(lambda: _ask(desk, HistoryCommand())["ok"], FROZEN_REPLY_TIMEOUT_S, "a read")
    finally:
        frozen_disk.thaw()
        desk.stop()
        journal.close()
