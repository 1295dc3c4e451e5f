"""The console's pure parts: users file and roles, throttle, sessions and CSRF tokens."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from roomctl.console.rooms import RoomView
from roomctl.console.sessions import IDLE_S, SessionStore, tokens_match
from roomctl.console.throttle import LOCK_S, MAX_FAILURES, WINDOW_S, Throttle
from roomctl.console.users import (
    User,
    UsersFile,
    UsersFileError,
    hash_password,
    load_users,
    save_users,
    verify_password,
)


def test_users_file_round_trip_mode_and_argon2id(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "users.yaml"
    kim = User("kim", "staff", ("room-1", "room-2"), hash_password("s3cret"))
    sam = User("sam", "supervisor", None, hash_password("other"))
    save_users(path, {"kim": kim, "sam": sam})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "s3cret" not in path.read_text()
    users = load_users(path)
    assert users == {"kim": kim, "sam": sam}
    assert users["kim"].hash.startswith("$argon2id$")
    assert verify_password(users["kim"], "s3cret")
    assert not verify_password(users["kim"], "other")
    assert not verify_password(None, "s3cret")
    assert [p.name for p in path.parent.iterdir()] == ["users.yaml"]  # no temporary left


def test_roles_and_rooms() -> None:
    viewer = User("v", "viewer", None, "")
    staff = User("s", "staff", ("room-1",), "")
    boss = User("b", "supervisor", None, "")
    for action in ("start", "pause", "resume", "next", "extend", "ack", "emergency"):
        assert staff.may_send(action) and boss.may_send(action) and not viewer.may_send(action)
    for action in ("stop", "release"):
        assert boss.may_send(action) and not staff.may_send(action)
        assert not viewer.may_send(action)
    assert staff.may_see("room-1") and not staff.may_see("room-2")
    assert viewer.may_see("room-2")


def test_users_file_refuses_plain_passwords_and_unknown_roles(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  kim: {role: staff, hash: hunter2}\n")
    with pytest.raises(UsersFileError, match="argon2id"):
        load_users(path)
    path.write_text("users:\n  kim: {role: admin, hash: x}\n")
    with pytest.raises(UsersFileError, match="viewer, staff, supervisor"):
        load_users(path)


def test_users_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    save_users(path, {"kim": User("kim", "viewer", None, hash_password("a"))})
    users = UsersFile(path)
    assert users.get("kim") is not None and users.get("kim").role == "viewer"  # type: ignore[union-attr]
    save_users(path, {"kim": User("kim", "supervisor", None, hash_password("a"))})
    os.utime(path, ns=(1, 1))  # a different stamp even within the file system's resolution
    assert users.get("kim").role == "supervisor"  # type: ignore[union-attr]
    path.write_text("users: [broken")
    assert users.get("kim") is not None  # a half-written file keeps the last good users


def test_throttle_locks_after_five_failures_within_the_window() -> None:
    throttle = Throttle()
    for i in range(MAX_FAILURES - 1):
        throttle.failed("kim", 100.0 + i)
    assert throttle.locked_for("kim", 104.0) == 0.0
    throttle.failed("Kim", 104.0)  # names are compared without case
    assert throttle.locked_for("kim", 104.0) == LOCK_S
    assert throttle.locked_for("kim", 104.0 + LOCK_S - 1) == 1.0
    assert throttle.locked_for("kim", 104.0 + LOCK_S) == 0.0
    assert throttle.locked_for("sam", 104.0) == 0.0


def test_throttle_forgets_failures_older_than_the_window_and_after_success() -> None:
    throttle = Throttle()
    for i in range(MAX_FAILURES - 1):
        throttle.failed("kim", float(i))
    throttle.failed("kim", WINDOW_S + 10.0)  # the first four are older than the window
    assert throttle.locked_for("kim", WINDOW_S + 10.0) == 0.0
    for _ in range(MAX_FAILURES - 2):
        throttle.failed("sam", 1.0)
    throttle.succeeded("sam")
    throttle.failed("sam", 2.0)
    assert throttle.locked_for("sam", 2.0) == 0.0


def test_sessions_end_on_logout_and_after_twelve_hours_idle() -> None:
    store = SessionStore()
    session = store.create("kim", 0.0)
    assert len(session.id) >= 43 and len(session.csrf) >= 43  # 32 random bytes each
    assert session.id != session.csrf
    assert store.get(session.id, IDLE_S - 1) is session  # use keeps it alive
    assert store.get(session.id, 2 * IDLE_S - 2) is session
    assert store.get(session.id, 3 * IDLE_S) is None
    other = store.create("kim", 0.0)
    store.end(other.id)
    assert store.get(other.id, 1.0) is None
    assert store.get(None, 1.0) is None


def test_csrf_tokens_compare_exactly() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("abc", "abd")
    assert not tokens_match("abc", None)
    assert not tokens_match("abc", "")


def test_room_view_records_the_pauses_it_sees() -> None:
    room = RoomView("room-1")
    room.take_state({"status": "running", "session_id": "s1", "elapsed_s": 10.0})
    room.take_event({"type": "paused", "session_id": "s1", "elapsed_s": 42.5})
    room.take_state({"status": "paused", "session_id": "s1", "elapsed_s": 42.5})
    room.take_event({"type": "resumed", "session_id": "s1", "paused_s": 30.0})
    assert [(p.at_s, p.paused_s) for p in room.pauses] == [(42.5, 30.0)]
    room.take_state({"status": "running", "session_id": "s2", "elapsed_s": 0.0})
    assert room.pauses == []  # a new session starts without pauses
    room.take_state({"status": "paused", "session_id": "s2", "elapsed_s": 5.0})
    assert [(p.at_s, p.paused_s) for p in room.pauses] == [(5.0, None)]  # seen only in the state
