"""`roomctl console` as a real process against Mosquitto and a real `roomctl run`, over HTTP."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from roomctl.console.security import CSP
from roomctl.console.throttle import MAX_FAILURES
from roomctl.console.users import load_users
from tests.fixtures.broker import Mosquitto
from tests.fixtures.console import ConsoleRig, console_rig, roomctl
from tests.fixtures.room import ROOM_ID, wait_for

# The reply to a command through the console: the daemon answers within milliseconds.
STATUS_TIMEOUT_S = 10.0
USERS = {
    "val": ("viewer", None),
    "kim": ("staff", None),
    "sam": ("supervisor", None),
    "lee": ("staff", "other-room"),
}


class Rig(ConsoleRig):
    """The console rig, sending commands as a logged-in client."""

    def command(self, client: httpx.Client, csrf: str, body: dict[str, Any]) -> httpx.Response:
        """Send a command through the console's API; return the HTTP response."""
        return self.post_command(client, csrf, body)


@pytest.fixture
def rig(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[Rig]:
    with console_rig(mosquitto, tmp_path, USERS) as shared:
        yield Rig(shared.console, shared.daemon, shared.sup, shared.passwords)


def assert_nothing_secret_in(log: str, secrets: list[str]) -> None:
    """Fail if a password, hash, cookie or token is in the log (which must not be empty)."""
    assert "logged in" in log and "sent pause" in log  # the log does say what happened
    for secret in secrets:
        assert secret and secret not in log


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def _login_error(html: str) -> str:
    found = re.search(r'id="login-error"[^>]*>([^<]*)<', html)
    assert found, "no #login-error on the page"
    return found.group(1)


def test_login_wrong_right_lock_out_and_logout_ends_the_session(rig: Rig) -> None:
    browser = rig.console.client()
    page = browser.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login"
    form = browser.get("/login")
    assert 'id="login-form"' in form.text
    wrong = browser.post(
        "/login", data={"username": "kim", "password": "nope", "csrf": _form_token(form.text)}
    )
    assert wrong.status_code == 401
    assert _login_error(wrong.text) == "Wrong name or password."
    # A form without its token is refused even with the right password.
    stale = browser.post("/login", data={"username": "kim", "password": "kim-pw", "csrf": "x"})
    assert stale.status_code == 403 and "roomctl_session" not in stale.headers.get("set-cookie", "")
    # Two login tabs: the first one's form still works after the second was opened.
    first_tab = _form_token(stale.text)
    assert _form_token(browser.get("/login").text) == first_tab
    right = browser.post(
        "/login", data={"username": "kim", "password": "kim-pw", "csrf": first_tab}
    )
    assert right.status_code == 303 and right.headers["location"] == "/"
    cookie = next(c for c in right.headers.get_list("set-cookie") if "roomctl_session=" in c)
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= flags and "secure" not in flags
    overview = browser.get("/")
    assert overview.status_code == 200 and 'id="logout"' in overview.text
    old_cookie = browser.cookies["roomctl_session"]

    # Logging out ends the session on the server: the old cookie is refused afterwards.
    out = browser.post("/logout", data={"csrf": _form_token(overview.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = rig.console.client()
    replay.cookies.set("roomctl_session", old_cookie)
    assert replay.get("/api/session").status_code == 401
    assert replay.get("/").status_code == 303

    # Five wrong passwords lock the name; then even the right one is refused, and it says so.
    mistyped = browser.post("/api/login", json={"username": "sam-pw", "password": "x"})
    assert mistyped.status_code == 401
    for _ in range(MAX_FAILURES):
        last = browser.post("/api/login", json={"username": "sam", "password": "guess"})
        assert last.status_code == 401
    assert "locked" in last.json()["detail"]
    form = browser.get("/login")
    locked = browser.post(
        "/login", data={"username": "sam", "password": "sam-pw", "csrf": _form_token(form.text)}
    )
    assert locked.status_code == 401
    assert "Too many wrong passwords for sam" in _login_error(locked.text)
    # Another name is not locked.
    assert rig.console.login("val", "val-pw")[1]
    log = rig.console.log.read_text()
    assert "login refused for 'sam': locked" in log
    assert "sam-pw" not in log  # a password typed as the name is not logged


def test_roles_operator_and_csrf_with_the_real_daemon(rig: Rig) -> None:
    viewer, viewer_csrf = rig.login("val")
    staff, staff_csrf = rig.login("kim")
    boss, boss_csrf = rig.login("sam")
    limited, limited_csrf = rig.login("lee")
    rig.console.wait_room(staff)

    refused = rig.command(viewer, viewer_csrf, {"action": "start", "profile": "calm"})
    assert refused.status_code == 403
    no_token = staff.post(f"/api/rooms/{ROOM_ID}/commands", json={"action": "pause"})
    assert no_token.status_code == 403
    named = rig.command(staff, staff_csrf, {"action": "start", "profile": "calm", "operator": "x"})
    assert named.status_code == 422
    huge = rig.command(staff, staff_csrf, {"action": "pause", "request_id": "x" * 70_000})
    assert huge.status_code == 413 and "64 KiB" in huge.text
    assert rig.command(limited, limited_csrf, {"action": "pause"}).status_code == 404
    assert limited.get(f"/api/rooms/{ROOM_ID}").status_code == 404
    assert [r["room"] for r in limited.get("/api/rooms").json()] == []
    assert limited.get(f"/rooms/{ROOM_ID}").status_code == 404
    assert staff.post(
        "/api/rooms/no-such-room/commands", json={"action": "pause"},
        headers={"X-CSRF-Token": staff_csrf},
    ).status_code == 404  # fmt: skip
    assert rig.sup.events("command_rejected") == []  # none of those reached the daemon

    started = rig.command(staff, staff_csrf, {"action": "start", "profile": "calm"})
    assert started.status_code == 200
    assert started.json()["ok"] is True and started.json()["status"] == "running"
    session_id = rig.sup.wait_event("session_started")["session_id"]
    assert rig.sup.wait_event("session_started")["by"] == "kim"
    paused = rig.command(staff, staff_csrf, {"action": "pause"}).json()
    assert paused["ok"] is True and paused["status"] == "paused"
    assert rig.sup.wait_event("paused")["by"] == "kim"
    # A refusal from the daemon is a 200 with ok false.
    again = rig.command(staff, staff_csrf, {"action": "pause"})
    assert again.status_code == 200 and again.json()["ok"] is False

    assert rig.command(staff, staff_csrf, {"action": "stop"}).status_code == 403
    emergency = rig.command(staff, staff_csrf, {"action": "emergency"}).json()
    assert emergency["ok"] is True and emergency["status"] == "emergency"
    assert rig.command(staff, staff_csrf, {"action": "release"}).status_code == 403
    assert rig.command(boss, boss_csrf, {"action": "release"}).json()["ok"] is True
    stopped = rig.command(boss, boss_csrf, {"action": "stop"}).json()
    assert stopped["ok"] is True
    rig.sup.wait_event("session_ended")

    secrets = [*rig.passwords.values(), staff_csrf, boss_csrf, viewer_csrf, limited_csrf]
    secrets += [c.cookies["roomctl_session"] for c in (staff, boss, viewer, limited)]
    secrets += [u.hash for u in load_users(rig.console.users).values()]
    assert_nothing_secret_in(rig.console.log.read_text(), secrets)

    room = staff.get(f"/api/rooms/{ROOM_ID}").json()
    assert room["availability"] == "online" and room["state"]["session_id"] == session_id

    # The record names the users the console logged in, not anything the browser said.
    report = roomctl("report", session_id, "--state-dir", str(rig.daemon.state_dir), "--tz", "UTC")
    assert report.returncode == 0, report.stderr
    assert ", by kim" in report.stdout.split("- Started:")[1].splitlines()[0]
    pauses = report.stdout.split("| started | by |")[1]
    assert "| kim |" in pauses.splitlines()[2]


def test_no_daemon_is_504(rig: Rig) -> None:
    staff, csrf = rig.login("kim")
    rig.console.wait_room(staff)
    rig.daemon.stop()
    wait_for(
        lambda: staff.get(f"/api/rooms/{ROOM_ID}").json()["availability"] == "offline",
        what="the console to see the room offline",
    )
    assert staff.get(f"/api/rooms/{ROOM_ID}").json()["offline_since"].endswith("Z")
    page = staff.get("/")
    assert re.search(r'class="room-status">roomctl offline since \d\d:\d\d<', page.text)
    response = rig.command(staff, csrf, {"action": "pause"})
    assert response.status_code == 504
    assert "no reply" in response.json()["detail"]


def test_broker_down_is_502(rig: Rig, mosquitto: Mosquitto) -> None:
    staff, csrf = rig.login("kim")
    rig.console.wait_room(staff)
    mosquitto.stop()
    refused = wait_for(
        lambda: (r := rig.command(staff, csrf, {"action": "pause"})).status_code == 502 and r,
        timeout=2 * STATUS_TIMEOUT_S,  # a try before the console notices may take 5 s (504)
        what="a 502 once the console has lost the broker",
    )
    assert "cannot be reached" in refused.json()["detail"]


def _read_stream(client: httpx.Client, path: str, into: list[dict[str, Any]]) -> None:
    try:
        with client.stream("GET", path, timeout=httpx.Timeout(5.0, read=None)) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    into.append(json.loads(line[6:]))
    except httpx.HTTPError:
        return  # the client was closed at the test's end


def test_live_stream_delivers_state_changes_only_for_visible_rooms(rig: Rig) -> None:
    viewer, _ = rig.login("val")
    limited, _ = rig.login("lee")
    staff, csrf = rig.login("kim")
    rig.console.wait_room(staff)
    seen: list[dict[str, Any]] = []
    seen_limited: list[dict[str, Any]] = []
    for client, into in ((viewer, seen), (limited, seen_limited)):
        threading.Thread(target=_read_stream, args=(client, "/live", into), daemon=True).start()
    # The stream starts with what the console knows of each room.
    first = wait_for(lambda: [m for m in seen if m["kind"] == "availability"], what="snapshot")
    assert first[0]["room"] == ROOM_ID and first[0]["state"]["status"] == "idle"

    assert rig.command(staff, csrf, {"action": "start", "profile": "calm"}).json()["ok"]
    running = wait_for(
        lambda: [
            m for m in seen
            if m["kind"] == "state" and m["state"]["status"] == "running"
        ],
        what="a running state on the live stream",
    )  # fmt: skip
    assert running[0]["room"] == ROOM_ID and running[0]["state"]["profile"] == "calm"
    wait_for(
        lambda: [m for m in seen if m["kind"] == "event" and m["event"]["type"] == "cue"],
        what="the cue event on the live stream",
    )
    # After the room's changes, a change of the limited user's room: they see it and only it.
    rig.sup.publish("roomctl/other-room/availability", "online", retain=True)
    wait_for(lambda: [m for m in seen_limited if m["room"] == "other-room"], what="other-room")
    assert {m["room"] for m in seen_limited} == {"other-room"}


def test_security_headers_openapi_and_pages_without_inline_code(rig: Rig) -> None:
    anonymous = rig.console.client()
    for path in ("/login", "/api/openapi.json", "/static/console.js"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert anonymous.get("/api/rooms").status_code == 401
    assert anonymous.get("/live").status_code == 401
    assert anonymous.get("/docs").status_code == 404  # its scripts would come from a CDN
    # A cross-site form can send text/plain but not JSON: it cannot log a browser in.
    as_form = anonymous.post(
        "/api/login",
        content=json.dumps({"username": "kim", "password": rig.passwords["kim"]}),
        headers={"Content-Type": "text/plain"},
    )
    assert as_form.status_code == 422 and "roomctl_session" not in anonymous.cookies
    spec = anonymous.get("/api/openapi.json").json()
    assert {"/api/rooms", "/api/rooms/{room}", "/api/rooms/{room}/commands", "/api/session",
            "/api/login"} <= set(spec["paths"])  # fmt: skip
    assert "504" in spec["paths"]["/api/rooms/{room}/commands"]["post"]["responses"]

    staff, _ = rig.login("kim")
    viewer, _ = rig.login("val")
    boss, _ = rig.login("sam")
    rig.console.wait_room(staff)
    pages = {name: c.get(f"/rooms/{ROOM_ID}").text for name, c in
             (("staff", staff), ("viewer", viewer), ("boss", boss))}  # fmt: skip
    pages["overview"] = staff.get("/").text
    for text in pages.values():
        assert "style=" not in text
        assert re.findall(r"<script(?![^>]*\bsrc=)", text) == []  # only the script file
    assert 'class="room-card' in pages["overview"] and f'data-room="{ROOM_ID}"' in pages["overview"]
    for needed in ("room-status", "phase-name", "time-left", "timeline", "event-log"):
        assert f'id="{needed}"' in pages["staff"], needed

    def actions(text: str) -> set[str]:
        return set(re.findall(r'data-action="(\w+)"', text))

    assert actions(pages["viewer"]) == set()
    assert actions(pages["staff"]) == {"start", "pause", "resume", "next", "extend", "emergency"}
    assert actions(pages["boss"]) == actions(pages["staff"]) | {"stop", "release"}
    assert 'id="confirm-yes"' in pages["boss"] and 'id="profile-select"' in pages["staff"]


# The catalog `roomctl run` publishes for the test room (section 2 of the issue's spec), as a
# daemon without it yet would: the profile "calm" of tests.fixtures.console, sampled.
CATALOG = {
    "room": ROOM_ID,
    "updated_at": "2026-11-26T14:03:11.201Z",
    "point_fields": ["t_s", "brightness", "mireds", "volume"],
    "profiles": [
        {
            "name": "calm",
            "title": "Calm",
            "description": "Two phases and a cue, for the console's tests.",
            "duration_s": 1200.0,
            "phases": [
                {
                    "name": "arrival", "start_s": 0.0, "end_s": 600.0, "fade_s": 20.0,
                    "cues": [{"id": "0.0", "at_s": 2.0, "notify": "Baseline blood pressure"}],
                    "points": [[0.0, 0.4, 286, 0.0], [20.0, 0.6, 333, 0.0], [600.0, 0.6, 333, 0.0]],
                },
                {
                    "name": "peak", "start_s": 600.0, "end_s": 1200.0, "fade_s": 60.0, "cues": [],
                    "points": [[600.0, 0.6, 333, 0.0], [660.0, 0.3, 455, 0.0],
                               [1200.0, 0.3, 455, 0.0]],
                },
            ],
        }
    ],
    "problems": [],
}  # fmt: skip


def test_timeline_pictures_of_a_profile_and_of_the_running_session(rig: Rig) -> None:
    if not rig.sup.on(f"roomctl/{ROOM_ID}/catalog"):
        rig.sup.publish(f"roomctl/{ROOM_ID}/catalog", json.dumps(CATALOG), retain=True)
    staff, csrf = rig.login("kim")
    wait_for(lambda: rig.console.wait_room(staff)["profiles"] == ["calm"], what="the catalog")
    before = staff.get(f"/rooms/{ROOM_ID}/profiles/calm")
    assert before.status_code == 200
    assert '<svg id="timeline"' in before.text and 'data-cue-id="0.0"' in before.text
    assert "timeline-now" not in before.text and "Baseline blood pressure" in before.text
    assert staff.get(f"/rooms/{ROOM_ID}/profiles/nothing").status_code == 404
    assert '<option value="calm">Calm</option>' in staff.get(f"/rooms/{ROOM_ID}").text

    assert rig.command(staff, csrf, {"action": "start", "profile": "calm"}).json()["ok"]
    assert rig.command(staff, csrf, {"action": "pause"}).json()["ok"]
    wait_for(
        lambda: staff.get(f"/api/rooms/{ROOM_ID}").json()["state"]["status"] == "paused",
        what="the console to see the pause",
    )
    page = staff.get(f"/rooms/{ROOM_ID}").text
    assert 'class="timeline-now"' in page and 'class="timeline-pause"' in page
    assert '<span id="room-status" class="badge">paused</span>' in page
    picture = staff.get(f"/rooms/{ROOM_ID}/timeline.svg")
    assert picture.headers["content-type"].startswith("image/svg+xml")
    assert "<title>paused now</title>" in picture.text


def test_staff_acknowledge_a_cue_as_themselves(rig: Rig) -> None:
    viewer, viewer_csrf = rig.login("val")
    staff, csrf = rig.login("kim")
    rig.console.wait_room(staff)
    assert rig.command(staff, csrf, {"action": "start", "profile": "calm"}).json()["ok"]
    assert rig.sup.wait_event("cue")["notify"] == "Baseline blood pressure"
    if "pending_cues" not in rig.sup.state:  # always there in a daemon that keeps them
        pytest.skip("this daemon does not keep pending cues yet (issue 11, section 1)")
    rig.sup.wait_state(lambda s: [c["id"] for c in s["pending_cues"]] == ["0.0"])
    assert rig.command(viewer, viewer_csrf, {"action": "ack", "cue": "0.0"}).status_code == 403
    acked = rig.command(staff, csrf, {"action": "ack", "cue": "0.0"}).json()
    assert acked["ok"] is True
    event = rig.sup.wait_event("cue_acknowledged")
    assert event["cue_id"] == "0.0" and event["by"] == "kim"
    wait_for(
        lambda: staff.get(f"/api/rooms/{ROOM_ID}").json()["state"]["pending_cues"] == [],
        what="the console to see no pending cue",
    )
