"""The console over TLS, and its users managed with `roomctl users` while it runs."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from roomctl.cli.exits import EXIT_USAGE
from roomctl.console.users import load_users
from tests.fixtures.broker import Mosquitto, make_tls_files
from tests.fixtures.console import ConsoleProcess, DaemonProcess, roomctl
from tests.fixtures.room import ROOM_ID, Supervisor, wait_for


@pytest.fixture
def daemon(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[DaemonProcess]:
    sup = Supervisor(mosquitto.url)
    sup.start()
    served = DaemonProcess(mosquitto, tmp_path)
    try:
        served.start(sup)
        yield served
    finally:
        served.stop()
        sup.stop()


def test_users_cli_and_a_running_console_that_follows_the_file(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    users = tmp_path / "conf" / "users.yaml"
    added = roomctl("users", "add", "kim", "--role", "staff", "--rooms", "room-1,room-2",
                    "--users", str(users), "--password-stdin", stdin="first pw\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    text = users.read_text()
    assert "first pw" not in text and "$argon2id$" in text
    twice = roomctl("users", "add", "kim", "--role", "viewer", "--users", str(users),
                    "--password-stdin", stdin="x\n")  # fmt: skip
    assert twice.returncode == EXIT_USAGE and "exists" in twice.stderr
    bad_role = roomctl("users", "add", "ann", "--role", "admin", "--users", str(users))
    assert bad_role.returncode == EXIT_USAGE
    listed = roomctl("users", "list", "--users", str(users))
    assert listed.stdout.split() == ["kim", "staff", "room-1,room-2"]
    assert "argon2" not in listed.stdout

    console = ConsoleProcess(mosquitto, users, tmp_path)
    console.start()
    try:
        client, _ = console.login("kim", "first pw")
        old_hash = load_users(users)["kim"].hash
        changed = roomctl("users", "passwd", "kim", "--users", str(users), "--password-stdin",
                          stdin="second pw\n")  # fmt: skip
        assert changed.returncode == 0, changed.stderr
        assert load_users(users)["kim"].hash != old_hash
        assert client.post("/api/login", json={"username": "kim", "password": "first pw"}
                           ).status_code == 401  # fmt: skip
        assert console.login("kim", "second pw")[1]
        # A user added while the console runs can log in at once.
        new = roomctl("users", "add", "sam", "--role", "supervisor", "--users", str(users),
                      "--password-stdin", stdin="sam pw\n")  # fmt: skip
        assert new.returncode == 0, new.stderr
        boss, _ = console.login("sam", "sam pw")
        assert boss.get("/api/session").json() == {
            "user": "sam", "role": "supervisor", "rooms": None, "sites": None,
            "csrf": boss.get("/api/session").json()["csrf"],
        }  # fmt: skip
        # Removing a user ends their sessions.
        assert roomctl("users", "remove", "sam", "--users", str(users)).returncode == 0
        assert boss.get("/api/session").status_code == 401
        assert roomctl("users", "list", "--users", str(users)).stdout.split()[0] == "kim"
        assert roomctl("users", "remove", "sam", "--users", str(users)).returncode == EXIT_USAGE
    finally:
        console.stop()


def test_tls_serves_https_with_secure_cookies(
    mosquitto: Mosquitto, daemon: DaemonProcess, tmp_path: Path
) -> None:
    tls = make_tls_files(tmp_path / "tls")  # self-signed CA and a certificate for 127.0.0.1
    users = tmp_path / "users.yaml"
    roomctl("users", "add", "kim", "--role", "staff", "--users", str(users), "--password-stdin",
            stdin="kim pw\n")  # fmt: skip
    console = ConsoleProcess(mosquitto, users, tmp_path, cert=tls.cert, key=tls.key, ca=tls.ca)
    console.start()
    try:
        assert console.url.startswith("https://127.0.0.1:")
        client = console.client()
        response = client.post("/api/login", json={"username": "kim", "password": "kim pw"})
        assert response.status_code == 200
        cookie = response.headers["set-cookie"].lower()
        assert "; secure" in cookie and "; httponly" in cookie and "samesite=strict" in cookie
        csrf = response.json()["csrf"]
        console.wait_room(client)
        reply = client.post(
            f"/api/rooms/{ROOM_ID}/commands",
            json={"action": "start", "profile": "calm"},
            headers={"X-CSRF-Token": csrf},
        ).json()
        assert reply["ok"] is True
        form = client.get("/login")  # logged in: sent on to the overview
        assert form.status_code == 303
        log = wait_for(lambda: "sent start" in console.log.read_text() and console.log.read_text())
        for secret in ("kim pw", csrf, client.cookies["roomctl_session"]):
            assert secret not in log
    finally:
        console.stop()
