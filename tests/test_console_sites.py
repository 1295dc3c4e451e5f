"""The console for a clinic chain, on real brokers: two sites' room-1, users limited to a site,
a failed link.

Three real Mosquittos (central with TLS, accounts and deploy/mosquitto/central.acl; two
sites bridged with what `roomctl bridge-config` prints), a real `roomctl run` per site
serving room-1, and a real `roomctl console --site north --site south` on the central
broker with the ACL's `console` account.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from roomctl.api.send_time import REPLY_TIMEOUT_S
from roomctl.cli.exits import EXIT_ACCEPTED
from tests.fixtures.broker import write_password_file
from tests.fixtures.browser import People, browser, people
from tests.fixtures.console import CSRF_HEADER, ConsoleProcess, add_users
from tests.fixtures.live_room import start_from_the_page
from tests.fixtures.room import wait_for
from tests.fixtures.sites import PASSWORDS, ROOM, Chain, Tap, chain

__all__ = ["browser", "chain", "people"]  # the fixtures, used by name

# The console's own account at the central broker (deploy/mosquitto/central.acl's block).
CONSOLE_ACCOUNT = ("console", "console-pw")
USERS = {
    "kim": ("supervisor", None),  # the whole chain
    "sol": ("staff", None),  # south only (--sites south below)
    "nora": ("viewer", "north/room-1"),  # one site's room-1
}
# After the link's return the centre must show the site's current state within 5 s.
CATCH_UP_S = 5.0
# The bridge's `0` arrives at once when the link's connection ends (the central broker
# publishes the bridge's will); 15 s covers a loaded machine.
LINK_DOWN_TIMEOUT_S = 15.0
# The console sees a site's rooms once their retained messages come: within a second.
SEEN_TIMEOUT_S = 30.0
_DOWN_SINCE = re.compile(r"link down since \d\d:\d\d")


@dataclass
class Centre:
    """The chain with the console on its central broker, and who may log in."""

    chain: Chain
    console: ConsoleProcess
    passwords: dict[str, str]

    def login(self, name: str) -> httpx.Client:
        """Log a user in through the API; the client sends the CSRF token from then on."""
        client, csrf = self.console.login(name, self.passwords[name])
        client.headers[CSRF_HEADER] = csrf
        return client

    def room(self, client: httpx.Client, site: str) -> dict[str, Any] | None:
        """Return a site's room-1 as the API shows it, or None while it answers otherwise."""
        response = client.get(f"/api/sites/{site}/rooms/{ROOM}")
        return response.json() if response.status_code == httpx.codes.OK else None

    def command(self, client: httpx.Client, site: str, body: dict[str, Any]) -> httpx.Response:
        """Send a command to a site's room-1 through the console."""
        return client.post(f"/api/sites/{site}/rooms/{ROOM}/commands", json=body)


def _add_console_account(chain: Chain) -> None:
    """Give the central broker the console's account, as its administrator would (SIGHUP)."""
    name, password = CONSOLE_ACCOUNT
    assert chain.central.password_file is not None and chain.central.process is not None
    write_password_file(chain.central.password_file, {**PASSWORDS, name: password})
    chain.central.process.send_signal(signal.SIGHUP)  # Mosquitto reads its files again
    check = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(chain.central.port), "-V", "5"]
    check += ["--cafile", str(chain.tls.ca), "-u", name, "-P", password, "-t", "x", "-E"]

    def accepted() -> bool:  # -E: exit 0 once connected and subscribed, else refused
        return subprocess.run(check, capture_output=True, timeout=30, check=False).returncode == 0

    wait_for(accepted, what="the central broker taking the console's account")


@pytest.fixture
def centre(chain: Chain, tmp_path: Path) -> Iterator[Centre]:
    users = tmp_path / "users.yaml"
    passwords = add_users(users, **USERS)
    _limit_to_sites(users, "sol", "south")
    _add_console_account(chain)
    name, password = CONSOLE_ACCOUNT
    url = f"mqtts://{name}:{password}@127.0.0.1:{chain.central.port}?ca={chain.tls.ca}"
    argv = [sys.executable, "-m", "roomctl", "-vv", "console", "--broker", url]
    argv += ["--site", "north", "--site", "south", "--users", str(users)]
    argv += ["--listen", "127.0.0.1:0"]
    console = ConsoleProcess(chain.central, users, tmp_path / "console", argv=argv)
    console.start()
    try:
        yield Centre(chain, console, passwords)
    finally:
        console.stop()


def _limit_to_sites(users: Path, name: str, site: str) -> None:
    """Give an account a site limit the way an administrator does: remove and add again."""
    password = f"{name}-pw"
    done = subprocess.run(
        [sys.executable, "-m", "roomctl", "users", "remove", name, "--users", str(users)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    role = USERS[name][0]
    done = subprocess.run(
        [sys.executable, "-m", "roomctl", "users", "add", name, "--role", role, "--sites", site,
         "--users", str(users), "--password-stdin"],
        input=password + "\n", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def _local(chain: Chain, site: str) -> Tap:
    tap = Tap(chain.sites[site].broker.port)
    tap.subscribe(f"roomctl/{ROOM}/#")
    wait_for(lambda: tap.last(f"roomctl/{ROOM}/state"), what=f"{site}'s retained state")
    return tap


def _status(found: dict[str, Any] | None) -> str | None:
    return str((found.get("state") or {}).get("status")) if found else None


def _events(stream: Iterator[str]) -> Iterator[dict[str, Any]]:
    for line in stream:
        if line.startswith("data: "):
            yield json.loads(line[len("data: ") :])


def test_the_console_keeps_each_sites_room_apart_and_limits_users_to_sites(
    centre: Centre,
) -> None:
    chain = centre.chain
    north, south = _local(chain, "north"), _local(chain, "south")
    kim = centre.login("kim")
    for site in ("north", "south"):
        wait_for(lambda s=site: centre.room(kim, s), SEEN_TIMEOUT_S, f"{site}'s room-1 seen")
    listed = kim.get("/api/rooms").json()
    assert sorted((r["site"], r["room"]) for r in listed) == [("north", ROOM), ("south", ROOM)]
    assert {s["site"]: s["text"] for s in kim.get("/api/sites").json()} == {
        "north": "link up",
        "south": "link up",
    }
    described = kim.get("/api/openapi.json").json()["paths"]
    command = described["/api/sites/{site}/rooms/{room}/commands"]["post"]
    assert {p["name"] for p in command["parameters"]} == {"site", "room"}
    overview = kim.get("/").text
    assert 'href="/sites/north/rooms/room-1"' in overview
    assert 'href="/sites/south/rooms/room-1"' in overview
    assert overview.count("link up") == 2

    # A command to north's room-1 reaches it alone, with the user as operator.
    started = time.monotonic()
    reply = centre.command(kim, "north", {"action": "start", "profile": "cued"})
    assert reply.status_code == httpx.codes.OK, reply.text
    assert reply.json()["ok"] is True and reply.json()["status"] == "running"
    sent = [s.json() for s in north.on(f"roomctl/{ROOM}/cmd", started)]
    assert [(c["action"], c["operator"]) for c in sent] == [("start", "kim")]
    assert south.on(f"roomctl/{ROOM}/cmd", started) == []
    wait_for(lambda: _status(centre.room(kim, "north")) == "running", what="north running")
    assert _status(centre.room(kim, "south")) == "idle"
    for path in ("", "/timeline.svg", "/profiles/cued", "/record"):
        shown = kim.get(f"/sites/north/rooms/{ROOM}{path}")
        assert shown.status_code == httpx.codes.OK, (path, shown.text)
    assert 'href="/sites/north/rooms/room-1/sessions/' in shown.text  # the record's sessions
    assert kim.get(f"/rooms/{ROOM}").status_code == httpx.codes.NOT_FOUND  # no local room-1
    history = kim.get(f"/api/sites/north/rooms/{ROOM}/history")
    assert history.status_code == httpx.codes.OK, history.text
    assert [s["operator"] for s in history.json()] == ["kim"]

    # Sol may see and command south only: north is not there for her (404), anywhere.
    sol = centre.login("sol")
    assert [(r["site"], r["room"]) for r in sol.get("/api/rooms").json()] == [("south", ROOM)]
    assert [s["site"] for s in sol.get("/api/sites").json()] == ["south"]
    assert sol.get(f"/api/sites/north/rooms/{ROOM}").status_code == httpx.codes.NOT_FOUND
    for path in ("", "/timeline.svg", "/profiles/cued", "/record"):
        assert sol.get(f"/sites/north/rooms/{ROOM}{path}").status_code == 404, path
    assert sol.get(f"/sites/south/rooms/{ROOM}/profiles/cued").status_code == httpx.codes.OK
    assert sol.get(f"/api/sites/north/rooms/{ROOM}/history").status_code == 404
    refused = centre.command(sol, "north", {"action": "pause"})
    assert refused.status_code == httpx.codes.NOT_FOUND
    assert "north" not in sol.get("/").text
    # Her live stream: a change of north (a pause by kim) never comes, south's (her own) does.
    with sol.stream("GET", "/live") as live:
        events = _events(live.iter_lines())
        snapshot = [next(events) for _ in range(3)]  # south's link, availability, catalog
        assert {e["site"] for e in snapshot} == {"south"}
        paused = centre.command(kim, "north", {"action": "pause"})
        assert paused.json()["ok"] is True, paused.text
        mine = centre.command(sol, "south", {"action": "start", "profile": "cued"})
        assert mine.json()["ok"] is True, mine.text
        for event in events:
            assert event["site"] == "south", event
            if event["kind"] == "state" and event["state"]["status"] == "running":
                break
    assert [s.json()["operator"] for s in south.on(f"roomctl/{ROOM}/cmd", started)] == ["sol"]
    # Nora may see north's room-1 only: rooms limits may name site/room.
    nora = centre.login("nora")
    assert [(r["site"], r["room"]) for r in nora.get("/api/rooms").json()] == [("north", ROOM)]
    assert nora.get(f"/api/sites/south/rooms/{ROOM}").status_code == httpx.codes.NOT_FOUND
    north.stop()
    south.stop()


def test_a_sites_link_down_shows_stale_and_unreachable_then_catches_up(
    centre: Centre, people: People
) -> None:
    chain = centre.chain
    kim = centre.login("kim")
    for site in ("north", "south"):
        wait_for(lambda s=site: centre.room(kim, s), SEEN_TIMEOUT_S, f"{site}'s room-1 seen")
    person = people.open("kim", base_url=centre.console.url)
    _log_in(person.page, "kim", centre.passwords["kim"])
    # North's room-1 started from its page: the page's script sends to that site's room.
    room_page = person.new_page()
    room_page.goto(f"/sites/north/rooms/{ROOM}")
    expect(room_page.locator("h1")).to_contain_text(f"north/{ROOM}")
    start_from_the_page(room_page, "cued")
    expect(room_page.locator("#room-status")).to_have_text("running")
    expect(room_page.locator("#command-result")).to_have_text("start accepted")
    assert _status(centre.room(kim, "south")) == "idle"
    person.page.goto("/")
    north_link = person.page.locator('.site[data-site="north"] .site-link')
    card = person.page.locator(f'.room-card[data-site="north"][data-room="{ROOM}"]')
    expect(north_link).to_have_text("link up")
    expect(card.locator(".room-status")).to_have_text("running")

    chain.sites["north"].link.cut()

    def down() -> bool:
        found = kim.get("/api/sites").json()
        return any(s["site"] == "north" and s["up"] is False for s in found)

    wait_for(down, LINK_DOWN_TIMEOUT_S, "the console seeing north's link down")
    overview = kim.get("/").text
    north_part = overview[overview.index('data-site="north"') : overview.index('data-site="south"')]
    assert _DOWN_SINCE.search(north_part), north_part
    assert "last seen running (link down)" in north_part
    assert "link up" in overview[overview.index('data-site="south"') :]
    assert centre.room(kim, "north")["stale"] is True  # type: ignore[index]
    assert centre.room(kim, "south")["stale"] is False  # type: ignore[index]
    # The open page says so by itself, and its clock stops: no live-looking running.
    expect(north_link).to_have_text(_DOWN_SINCE)
    expect(card.locator(".room-status")).to_have_text("last seen running (link down)")
    expect(card).to_have_class(re.compile(r"\bstale\b"))
    left = card.locator(".time-left").inner_text()
    person.page.wait_for_timeout(2500)  # two of the page's 1 s ticks: a live clock would move
    assert card.locator(".time-left").inner_text() == left

    # A command to north now: no reply, and the console says why.
    asked = time.monotonic()
    lost = centre.command(kim, "north", {"action": "pause"})
    assert time.monotonic() - asked >= REPLY_TIMEOUT_S
    assert lost.status_code == httpx.codes.GATEWAY_TIMEOUT, lost.text
    detail = lost.json()["detail"]
    assert re.fullmatch(r"site north is unreachable \(link down since \d\d:\d\d\)", detail)

    # Meanwhile at the site, its own CLI pauses the room: the centre cannot know yet.
    local = chain.cli(
        "pause", "--room", ROOM, "--broker", chain.sites["north"].url, "--operator", "nurse"
    )
    assert local.returncode == EXIT_ACCEPTED, local.stderr
    chain.sites["north"].link.restore()
    restored = time.monotonic()

    def current() -> bool:
        found = centre.room(kim, "north")
        return bool(found and not found["stale"] and _status(found) == "paused")

    wait_for(current, CATCH_UP_S, "the console showing north's current state")
    assert time.monotonic() - restored <= CATCH_UP_S
    expect(north_link).to_have_text("link up", timeout=int(CATCH_UP_S * 1000))
    expect(card.locator(".room-status")).to_have_text("paused", timeout=int(CATCH_UP_S * 1000))
    # The pause the centre sent during the outage was never applied: one pause, the nurse's.
    assert _who_paused(kim) == ["nurse"]
    person.assert_clean()


def _who_paused(client: httpx.Client) -> list[str]:
    """Return who paused north's room-1 in its session, from the daemon's record."""
    sessions = client.get(f"/api/sites/north/rooms/{ROOM}/history").json()
    report = client.get(f"/api/sites/north/rooms/{ROOM}/sessions/{sessions[0]['session_id']}")
    assert report.status_code == httpx.codes.OK, report.text
    return [str(p.get("by")) for p in report.json().get("pauses", [])]


def _log_in(page: Any, name: str, password: str) -> None:
    page.goto("/login")
    form = page.locator("#login-form")
    form.locator('[name="username"]').fill(name)
    form.locator('[name="password"]').fill(password)
    with page.expect_navigation():
        form.locator('[name="password"]').press("Enter")
