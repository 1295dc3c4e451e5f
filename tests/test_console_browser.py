"""The console in real headless Chromium: logins, roles, the controls, CSRF.

Against a real Mosquitto, a real `roomctl run` (fast clock) and a real `roomctl console`;
every assertion is on what a person sees in the page or what the daemon did.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from roomctl.console.throttle import MAX_FAILURES
from tests.fixtures.browser import People
from tests.fixtures.console import STAFF, SUPERVISOR, VIEWER, Account
from tests.fixtures.live_room import (
    LOCKED,
    PROFILE_NAME,
    LiveRoom,
    assert_clean_but,
    start_from_the_page,
)
from tests.fixtures.room import ROOM_ID, wait_for

# A logged-out page's stream ends at the next change; the browser tries again after about
# 3 s and is refused, then the page asks who it is: allow for a loaded machine.
LIVE_ENDS_MS = 20_000
# The command a tampered page sends.
START = {"action": "start", "profile": PROFILE_NAME}
# How much later than the pause's reply the other browser may show it (the goal).
SHOWN_WITHIN_S = 1.0


def _submit_login(page: Page, account: Account) -> None:
    form = page.locator("#login-form")
    form.locator('[name="username"]').fill(account.name)
    form.locator('[name="password"]').fill(account.password)
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()


def test_log_in_and_out_wrong_password_and_lock_out(live: LiveRoom, people: People) -> None:
    person = people.open("staff")
    page = person.page
    page.goto(live.url())
    expect(page).to_have_url(live.url("login"))  # not logged in: the login page
    expect(page.locator("#login-error")).to_have_count(0)

    _submit_login(page, Account(STAFF.name, "not-the-password", STAFF.role))
    expect(page.locator("#login-error")).to_have_text("Wrong name or password.")
    _submit_login(page, STAFF)
    expect(page).to_have_url(live.url())
    expect(page.locator(f'.room-card[data-room="{ROOM_ID}"] .room-status')).to_have_text("idle")

    # More tabs: the room's page and another overview; log out in the first.
    old = person.new_page()
    old.goto(live.room_page)
    expect(old.locator("#room-status")).to_have_text("idle")
    watching = person.new_page()
    watching.goto(live.url())
    expect(watching.locator(f'.room-card[data-room="{ROOM_ID}"] .room-status')).to_have_text("idle")
    page.locator("#logout").click()
    expect(page).to_have_url(live.url("login"))
    expect(page.locator("#logout")).to_have_count(0)
    # The server ended the session: the old page's button takes it to the login page, and
    # the command never reached the daemon.
    since = time.monotonic()
    old.locator('button[data-action="pause"]').click()
    expect(old).to_have_url(live.url("login"))
    live.sup.barrier()
    assert [s.json()["action"] for s in live.sup.on(live.sup.topics.cmd, since)] == ["barrier"]
    # The untouched tab does not freeze: with the next change its live stream ends, is
    # refused, and it goes to the login page by itself.
    expect(watching).to_have_url(live.url("login"), timeout=LIVE_ENDS_MS)
    # (Last, as each login form replaces the browser's login token: the newest form counts.)
    page.goto(live.room_page)
    expect(page).to_have_url(live.url("login"))

    # Five wrong passwords lock the name; then even the right one is refused, and it says so.
    for attempt in range(MAX_FAILURES):
        _submit_login(page, Account(LOCKED.name, f"guess-{attempt}", LOCKED.role))
    locked = f"Too many wrong passwords for {LOCKED.name}"
    expect(page.locator("#login-error")).to_contain_text(locked)
    _submit_login(page, LOCKED)
    expect(page.locator("#login-error")).to_have_text(
        re.compile(rf"{locked}: locked, try again in \d+ min\.")
    )
    expect(page).to_have_url(live.url("login"))
    refused = ("login", f"api/rooms/{ROOM_ID}/commands", "live", "api/session")
    assert_clean_but(person, live, 401, *refused)


def test_a_viewer_sees_no_controls_and_the_server_refuses_its_command(
    live: LiveRoom, people: People
) -> None:
    viewer = live.open(people, VIEWER)
    page = viewer.page
    expect(page.locator("#room-status")).to_have_text("idle")
    expect(page.locator("#timeline-box")).to_be_visible()
    expect(page.locator("button[data-action]")).to_have_count(0)
    expect(page.locator("#profile-select")).to_have_count(0)

    # Sent anyway, as a tampered page would, with the viewer's own valid token: 403.
    since = time.monotonic()
    assert live.post_from(page, START, live.csrf_of(page)) == 403
    assert live.post_from(page, {"action": "emergency"}, live.csrf_of(page)) == 403
    live.sup.barrier()
    assert [s.json()["action"] for s in live.sup.on(live.sup.topics.cmd, since)] == ["barrier"]
    expect(page.locator("#room-status")).to_have_text("idle")
    assert_clean_but(viewer, live, 403, f"api/rooms/{ROOM_ID}/commands")


def test_a_post_without_the_csrf_token_is_refused(live: LiveRoom, people: People) -> None:
    staff = live.open(people, STAFF)
    page = staff.page
    expect(page.locator("#room-status")).to_have_text("idle")
    since = time.monotonic()
    assert live.post_from(page, START, None) == 403
    assert live.post_from(page, START, "not-the-token") == 403
    live.sup.barrier()
    assert [s.json()["action"] for s in live.sup.on(live.sup.topics.cmd, since)] == ["barrier"]
    # The same request with the page's token goes through: the 403s were the token's.
    assert live.post_from(page, START, live.csrf_of(page)) == 200
    expect(page.locator("#room-status")).to_have_text("running")
    assert_clean_but(staff, live, 403, f"api/rooms/{ROOM_ID}/commands")


def _record_when(page: Page, selector: str, text: str) -> None:
    """Have the page note the wall time (ms) its element first shows a text."""
    page.evaluate(
        """([selector, text]) => {
          const el = document.querySelector(selector);
          window.__shownAt = null;
          new MutationObserver(() => {
            if (window.__shownAt === null && el.textContent.includes(text)) {
              window.__shownAt = Date.now();
            }
          }).observe(el, {childList: true, characterData: true, subtree: true});
        }""",
        [selector, text],
    )


def _recorded(page: Page) -> float:
    """Return when (epoch ms) the page first showed what _record_when waits for."""
    at = wait_for(lambda: page.evaluate("() => window.__shownAt"), what="the recorded time")
    return float(at)


def test_start_pause_elsewhere_emergency_and_release(live: LiveRoom, people: People) -> None:
    staff = live.open(people, STAFF)
    page = staff.page
    expect(page.locator("#room-status")).to_have_text("idle")
    expect(page.locator('button[data-action="stop"]')).to_have_count(0)  # staff may not
    expect(page.locator('button[data-action="release"]')).to_have_count(0)

    start_from_the_page(page)
    expect(page.locator("#room-status")).to_have_text("running")
    expect(page.locator("#phase-name")).to_have_text("arrival")
    started = live.sup.wait_event("session_started")
    assert (started["profile"], started["by"]) == (PROFILE_NAME, STAFF.name)
    # The phase bar's "now" moves: its position changes while the session runs.
    now = page.locator(".room-page .phase-bar-now")
    first = now.get_attribute("x")
    expect(now).not_to_have_attribute("x", str(first))
    second = float(str(now.get_attribute("x")))
    assert second > float(str(first))

    # A supervisor in a second browser pauses; the first shows it within a second.
    boss = live.open(people, SUPERVISOR)
    expect(boss.page.locator("#room-status")).to_have_text("running")
    _record_when(page, "#room-status", "paused")
    _record_when(boss.page, "#command-result", "pause accepted")
    boss.page.locator('button[data-action="pause"]').click()
    expect(page.locator("#room-status")).to_have_text("paused")
    lag_s = (_recorded(page) - _recorded(boss.page)) / 1000
    assert lag_s < SHOWN_WITHIN_S, f"the first browser showed the pause {lag_s:.2f} s late"
    assert live.sup.wait_event("paused")["by"] == SUPERVISOR.name
    held = now.get_attribute("x")
    expect(boss.page.locator(".room-page .phase-bar-now")).to_have_attribute("x", str(held))

    # Emergency is one press, no confirmation; the daemon goes to emergency, both pages say it.
    page.locator("button.emergency").click()
    expect(page.locator("dialog#confirm")).not_to_be_visible()
    live.sup.wait_state(lambda s: s["status"] == "emergency", what="the emergency state")
    assert live.sup.wait_event("emergency")["by"] == STAFF.name
    for person in (staff, boss):
        expect(person.page.locator("#room-status")).to_have_text("emergency")
    # The supervisor releases: the room comes back paused, as both pages show.
    released = time.monotonic()
    boss.page.locator('button[data-action="release"]').click()
    live.sup.wait_state(lambda s: s["status"] == "paused", released, "the released state")
    for person in (staff, boss):
        expect(person.page.locator("#room-status")).to_have_text("paused")
    assert live.sup.wait_event("released")["by"] == SUPERVISOR.name
    staff.assert_clean()
    boss.assert_clean()


def test_stop_asks_first_and_cancel_does_nothing(live: LiveRoom, people: People) -> None:
    boss = live.open(people, SUPERVISOR)
    page = boss.page
    start_from_the_page(page)
    expect(page.locator("#room-status")).to_have_text("running")
    dialog = page.locator("dialog#confirm")
    expect(dialog).not_to_be_visible()

    since = time.monotonic()
    page.locator('button[data-action="stop"]').click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Stop the session in {ROOM_ID}?")
    page.locator("#confirm-no").click()
    expect(dialog).not_to_be_visible()
    live.sup.barrier()
    assert [s.json()["action"] for s in live.sup.on(live.sup.topics.cmd, since)] == ["barrier"]
    expect(page.locator("#room-status")).to_have_text("running")

    page.locator('button[data-action="stop"]').click()
    expect(dialog).to_be_visible()
    page.locator("#confirm-yes").click()
    expect(dialog).not_to_be_visible()
    assert live.sup.wait_event("stopped")["by"] == SUPERVISOR.name
    expect(page.locator("#room-status")).to_have_text(re.compile("ended|idle"))
    boss.assert_clean()
