"""A room's record through the console: a real `roomctl run` session, its history and report."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.broker import Mosquitto
from tests.fixtures.console import ConsoleRig, console_rig
from tests.fixtures.room import ROOM_ID, wait_for

# The session clock's speed: the two 1-minute phases last 10 s of wall time.
SPEED = 12.0
# A whole session at SPEED, with a pause, on a loaded machine.
SESSION_TIMEOUT_S = 60.0
SCRIPT_NAME = "kim<script>alert(1)</script>"
USERS = {
    "val": ("viewer", None),
    "ana": ("staff", None),
    SCRIPT_NAME: ("staff", None),
    "sam": ("supervisor", None),
    "lee": ("staff", "other-room"),
}
# Two short phases, a cue in each: the first is acknowledged, the second is not.
SHORT = """\
title: Short <check>
description: Two short phases, for the record's tests.
phases:
  - name: arrival
    duration: 1m
    fade: 5s
    lights:
      all: {brightness: 60%, color_temp: 3000K}
    cues:
      - at: 3s
        notify: Baseline blood pressure
  - name: peak
    duration: 1m
    fade: 5s
    lights:
      all: {brightness: 30%, color_temp: 2200K}
    cues:
      - at: 10s
        notify: Pulse & breathing
"""


class Rig(ConsoleRig):
    """The console rig, sending commands as named users."""

    def command(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send a command through the console's API as a user; return the daemon's reply."""
        client, csrf = self.login(name)
        response = self.post_command(client, csrf, body)
        assert response.status_code == 200, response.text
        reply: dict[str, Any] = response.json()
        assert reply["ok"] is True, reply
        return reply


@pytest.fixture
def rig(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[Rig]:
    sessions = tmp_path / "profiles" / "sessions"
    sessions.mkdir(parents=True)
    (sessions / "short.yaml").write_text(SHORT)
    with console_rig(mosquitto, tmp_path, USERS, speed=SPEED) as shared:
        yield Rig(shared.console, shared.daemon, shared.sup, shared.passwords)


def _state(client: httpx.Client) -> dict[str, Any]:
    state: dict[str, Any] = client.get(f"/api/rooms/{ROOM_ID}").json()["state"] or {}
    return state


def _play_session(rig: Rig, viewer: httpx.Client) -> tuple[str, dict[str, Any]]:
    """Play a session driven through the console by named users; return its id and the ack."""
    rig.console.wait_room(viewer)
    rig.command("ana", {"action": "start", "profile": "short"})
    wait_for(
        lambda: [c["id"] for c in _state(viewer).get("pending_cues", [])] == ["0.0"],
        SESSION_TIMEOUT_S,
        "the first cue to be pending",
    )
    rig.command(SCRIPT_NAME, {"action": "pause"})
    session_id = str(_state(viewer)["session_id"])
    rig.command("ana", {"action": "ack", "cue": "0.0"})
    ack = rig.sup.wait_event("cue_acknowledged")
    assert ack["by"] == "ana" and ack["after_s"] > 0
    rig.command("sam", {"action": "resume"})
    wait_for(
        lambda: _state(viewer).get("status") == "ended", SESSION_TIMEOUT_S, "the session's end"
    )
    return session_id, ack


def test_the_record_shows_who_did_what_to_every_role(rig: Rig) -> None:
    viewer, viewer_csrf = rig.login("val")
    session_id, ack = _play_session(rig, viewer)

    # The API: the session as `roomctl history` lists it, read by a viewer (the journal
    # writes the end a moment after the state says it).
    def listed() -> list[dict[str, Any]] | None:
        response = viewer.get(f"/api/rooms/{ROOM_ID}/history", params={"limit": 5})
        assert response.status_code == 200, response.text
        sessions: list[dict[str, Any]] = response.json()
        return sessions if sessions and sessions[0]["outcome"] is not None else None

    [summary] = wait_for(listed, what="the record to hold the session's end")
    assert summary["session_id"] == session_id
    assert (summary["title"], summary["operator"]) == ("Short <check>", "ana")
    assert summary["outcome"] == "completed" and summary["length_s"] > 0

    # The report as `roomctl report --format json`: who paused, who acknowledged, how late.
    got = viewer.get(f"/api/rooms/{ROOM_ID}/sessions/{session_id}")
    assert got.status_code == 200, got.text
    report = got.json()
    assert (report["operator"], report["end_reason"]) == ("ana", "completed")
    assert [p["name"] for p in report["phases"]] == ["arrival", "peak"]
    [pause] = report["pauses"]
    assert pause["by"] == SCRIPT_NAME and pause["length_s"] > 0 and not pause["emergency"]
    first, second = report["cues"]
    assert (first["cue_id"], first["acknowledged_by"]) == ("0.0", "ana")
    assert first["acknowledged_after_s"] == pytest.approx(ack["after_s"], abs=0.05)
    assert (second["cue_id"], second["acknowledged"]) == ("1.0", None)

    # A viewer reads the record but still may not command, a record query included.
    for body in ({"action": "pause"}, {"action": "history"}):
        refused = viewer.post(
            f"/api/rooms/{ROOM_ID}/commands", json=body, headers={"X-CSRF-Token": viewer_csrf}
        )
        assert refused.status_code == 403, body

    # The pages: the room links to its record, the record to the session's report.
    assert f'href="/rooms/{ROOM_ID}/record"' in viewer.get(f"/rooms/{ROOM_ID}").text
    record = viewer.get(f"/rooms/{ROOM_ID}/record")
    assert record.status_code == 200
    assert f'href="/rooms/{ROOM_ID}/sessions/{session_id}"' in record.text
    assert "Short &lt;check&gt;" in record.text and "by ana" in record.text
    assert "completed" in record.text
    page = viewer.get(f"/rooms/{ROOM_ID}/sessions/{session_id}")
    assert page.status_code == 200
    text = page.text
    assert "<script>alert(1)" not in text  # the operator's name is shown as text
    assert f'<strong class="report-by">{html.escape(SCRIPT_NAME)}</strong>' in text
    assert '<strong id="report-operator">ana</strong>' in text
    acked = f'<strong class="report-after">{first["acknowledged_after_s"]:.1f} s</strong>'
    assert acked in text and '<strong class="report-by">ana</strong>' in text
    assert 'class="report-cue cue-acked" data-cue-id="0.0"' in text
    assert 'class="report-cue cue-unacked" data-cue-id="1.0"' in text
    assert '<span class="tag tag-bad">not acknowledged</span>' in text
    assert "Pulse &amp; breathing" in text

    # A session the record does not hold: 404 with the daemon's reason, in the API and the page.
    unknown = viewer.get(f"/api/rooms/{ROOM_ID}/sessions/000000000000")
    assert unknown.status_code == 404 and "has no session" in unknown.json()["detail"]
    assert viewer.get(f"/api/rooms/{ROOM_ID}/sessions/not.an.id").status_code == 404
    missing = viewer.get(f"/rooms/{ROOM_ID}/sessions/000000000000")
    assert missing.status_code == 404 and 'id="record-error"' in missing.text

    # The daemon gone: no reply within 5 s is a 504, the page says so.
    rig.daemon.stop()
    wait_for(
        lambda: viewer.get(f"/api/rooms/{ROOM_ID}").json()["availability"] == "offline",
        what="the console to see the daemon offline",
    )
    gone = viewer.get(f"/api/rooms/{ROOM_ID}/history")
    assert gone.status_code == 504 and "no reply" in gone.json()["detail"]
    gone_page = viewer.get(f"/rooms/{ROOM_ID}/record")
    assert gone_page.status_code == 504 and "no reply from room" in gone_page.text


def test_the_record_is_for_who_may_see_the_room_and_needs_the_broker(rig: Rig) -> None:
    outsider, _ = rig.login("lee")
    viewer, _ = rig.login("val")
    rig.console.wait_room(viewer)
    assert outsider.get(f"/api/rooms/{ROOM_ID}/history").status_code == 404
    assert outsider.get(f"/api/rooms/{ROOM_ID}/sessions/000000000000").status_code == 404
    assert outsider.get(f"/rooms/{ROOM_ID}/record").status_code == 404
    assert viewer.get("/api/rooms/no-such-room/history").status_code == 404
    assert viewer.get(f"/api/rooms/{ROOM_ID}/history", params={"limit": 0}).status_code == 422
    empty = viewer.get(f"/api/rooms/{ROOM_ID}/history")
    assert empty.status_code == 200 and empty.json() == []
    assert 'id="record-empty"' in viewer.get(f"/rooms/{ROOM_ID}/record").text
    # Not logged in: the API answers 401, a page sends the browser to log in.
    stranger = rig.console.client()
    assert stranger.get(f"/api/rooms/{ROOM_ID}/history").status_code == 401
    assert stranger.get(f"/rooms/{ROOM_ID}/record").headers["location"] == "/login"
    paths = viewer.get("/api/openapi.json").json()["paths"]
    documented = paths["/api/rooms/{room}/history"]["get"]["responses"]["200"]
    assert documented["content"]["application/json"]["schema"]["items"]["$ref"].endswith(
        "SessionSummary"
    )
    assert "get" in paths["/api/rooms/{room}/sessions/{session_id}"]

    # The broker gone: 502 once the console has seen its connection drop, API and page.
    rig.console.broker.stop()
    wait_for(
        lambda: viewer.get(f"/api/rooms/{ROOM_ID}/history").status_code == 502,
        SESSION_TIMEOUT_S,
        "the console to answer 502 without its broker",
    )
    down = viewer.get(f"/rooms/{ROOM_ID}/sessions/000000000000")
    assert down.status_code == 502 and "cannot be reached" in down.text
