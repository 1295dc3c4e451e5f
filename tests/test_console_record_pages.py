"""The record's pages rendered from real report records, and who may read the record."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import pytest

from roomctl.console.pages import templates
from roomctl.console.record_pages import RECORD_VIEW, length_text, started_text
from roomctl.console.users import ROLES, User
from roomctl.journal.cue_records import CueRecord
from roomctl.journal.report import Entry, PauseRecord, PhaseRecord, SessionReport

EVIL = '<script>alert("x")</script>'


def _report(**changes: Any) -> dict[str, Any]:
    """Return a report as the daemon's `report` reply holds it (asdict of the real record)."""
    report = SessionReport(
        session_id="3f1c9a0b2d4e",
        room="room-1",
        profile="demo",
        title="Demo, 7 minutes",
        operator=EVIL,
        started="2026-12-01 10:41:38 UTC",
        start_offset_s=120.0,
        ended="2026-12-01 10:42:21 UTC",
        end_reason="completed",
        observation_s=43.0,
        timezone="UTC",
        phases=[PhaseRecord("arrival", "2026-12-01 10:41:38 UTC", 5.0)],
        pauses=[
            PauseRecord("lee", "2026-12-01 10:41:46 UTC", 2.0),
            PauseRecord("sam", "2026-12-01 10:41:57 UTC", None, emergency=True),
        ],
        cues=[
            CueRecord(
                at="2026-12-01 10:41:41 UTC",
                phase="arrival",
                text="Baseline blood pressure",
                due_s=30.0,
                late_s=0.0,
                note="",
                cue_id="0.0",
                acknowledged="2026-12-01 10:42:22 UTC",
                acknowledged_by="kim",
                acknowledged_after_s=41.34,
            ),
            CueRecord(
                at="2026-12-01 10:42:04 UTC",
                phase="peak",
                text="Pulse",
                due_s=240.0,
                late_s=95.0,
                note="late by 95 s (daemon was down)",
                cue_id="2.0",
            ),
        ],
        incidents=[Entry("2026-12-01 10:41:57 UTC", "emergency_started", "emergency by sam")],
        technical=[Entry("2026-12-01 10:41:59 UTC", "command_rejected", "stop refused")],
    )
    return {**asdict(report), **changes}


def _render(name: str, **context: Any) -> str:
    base = {
        "user": User("val", "viewer", None, "$argon2id$x"),
        "csrf": "token",
        "page_room": "room-1",
        "may_ack": False,
        "allowed": [],
        "rv": RECORD_VIEW,
        "room": "room-1",
        "error": None,
    }
    return templates.env.get_template(name).render({**base, **context})


def _assert_csp_clean(page: str) -> None:
    """Fail on inline script or style, which the console's CSP refuses."""
    assert " style=" not in page and "<style" not in page
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_read_the_record_but_not_command_it(role: str) -> None:
    user = User("u", role, None, "$argon2id$x")  # type: ignore[arg-type]
    assert user.may_read("history") and user.may_read("report")
    assert not user.may_read("pause") and not user.may_read("stop")
    assert user.may_send("history") is (role == "supervisor")  # the command endpoint as before


def test_the_session_page_shows_phases_pauses_cues_incidents_and_problems() -> None:
    page = _render("session.html", report=_report(), session_id="3f1c9a0b2d4e")
    _assert_csp_clean(page)
    assert EVIL not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "at 2m into the profile (load-to-time)" in page
    assert '<strong class="report-by">lee</strong>' in page and "still open" in page
    assert 'class="report-pause report-emergency"' in page
    assert '<span class="tag tag-bad">emergency</span>' in page
    acked, missed = re.findall(r'<li class="report-cue [^"]*" data-cue-id="[^"]*">', page)
    assert "cue-acked" in acked and 'data-cue-id="0.0"' in acked
    assert "cue-unacked" in missed and 'data-cue-id="2.0"' in missed
    assert '<strong class="report-after">41.3 s</strong>' in page
    assert '<span class="tag tag-bad">not acknowledged</span>' in page
    assert "late by 95 s (daemon was down)" in page
    assert "emergency by sam" in page and "stop refused" in page
    assert 'class="error"' not in page


def test_a_cut_report_says_so_and_an_error_shows_alone() -> None:
    warning = "the report is cut to fit one reply (3 cues entries left out)"
    page = _render("session.html", report=_report(warning=warning), session_id="x")
    assert warning in page
    failed = _render("session.html", report=None, session_id="x", error=f"no session {EVIL}")
    assert 'id="record-error"' in failed and EVIL not in failed and 'id="report"' not in failed


def test_the_record_page_lists_sessions_with_links() -> None:
    sessions = [
        {"session_id": "abc123", "profile": "demo", "title": EVIL, "operator": None,
         "started_at": "2026-12-01T10:41:38.201Z", "ended_at": None, "length_s": None,
         "outcome": None},
        {"session_id": "def456", "profile": "demo", "title": "Demo", "operator": "kim",
         "started_at": "2026-12-01T09:00:00.000Z", "ended_at": "2026-12-01T09:07:30.000Z",
         "length_s": 450.0, "outcome": "completed"},
    ]  # fmt: skip
    page = _render("record.html", sessions=sessions)
    _assert_csp_clean(page)
    assert EVIL not in page
    assert page.index('href="/rooms/room-1/sessions/abc123"') < page.index("def456")
    assert "by (not given)" in page and "not ended" in page
    assert "by kim" in page and "7m30s" in page and "outcome-completed" in page
    assert 'id="record-empty"' in _render("record.html", sessions=[])


def test_times_and_lengths_read_as_the_report_says_them() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", started_text("2026-12-01T10:41:38.201Z"))
    assert started_text("not a time") == "not a time" and started_text(None) == "\u2014"
    assert length_text(3748.8) == "1h02m29s" and length_text(None) == "still open"
