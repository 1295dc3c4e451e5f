"""The console in real headless Chromium: cues, a dead daemon, a phone, the README's pictures.

Against a real Mosquitto, a real `roomctl run` (fast clock) and a real `roomctl console`.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.fixtures.browser import PHONE, TABLET, People, Person, Screenshots, has_horizontal_scroll
from tests.fixtures.console import STAFF, SUPERVISOR, VIEWER, roomctl
from tests.fixtures.live_room import FIRST_CUE, FIRST_CUE_TEXT, LiveRoom, start_from_the_page
from tests.fixtures.room import ROOM_ID, wait_for

# The first cue is due 4 wall seconds after the start; allow for a loaded machine.
CUE_TIMEOUT_MS = 20_000
# The journal is written within milliseconds of the ack; `roomctl report` starts Python.
REPORT_TIMEOUT_S = 30.0
CARD = f'.room-card[data-room="{ROOM_ID}"]'


def _banner(page: Page, cue: str = FIRST_CUE) -> Any:
    return page.locator(f'.cue-alert[data-cue-id="{cue}"]')


def _report(live: LiveRoom, session_id: str) -> dict[str, Any] | None:
    """Return the session's record as `roomctl report --format json` prints it."""
    result = roomctl(
        "report", session_id, "--format", "json", "--state-dir", str(live.daemon.state_dir)
    )
    return json.loads(result.stdout) if result.returncode == 0 else None


def test_a_cue_shows_in_every_browser_until_one_acknowledges_it(
    live: LiveRoom, people: People
) -> None:
    staff = live.open(people, STAFF)  # the room's page
    boss = live.open(people, SUPERVISOR, path="")  # the overview
    viewer = live.open(people, VIEWER, path="")  # sees the cue, may not acknowledge it
    expect(staff.page.locator("#room-status")).to_have_text("idle")
    for person in (boss, viewer):
        expect(person.page.locator(f"{CARD} .room-status")).to_have_text("idle")
    for person in (staff, boss, viewer):
        expect(person.page.locator(".cue-alert")).to_have_count(0)

    start_from_the_page(staff.page)
    expect(boss.page.locator(f"{CARD} .next-cue")).to_contain_text(FIRST_CUE_TEXT)
    for person in (staff, boss):
        banner = _banner(person.page)
        expect(banner).to_be_visible(timeout=CUE_TIMEOUT_MS)
        expect(banner).to_contain_text(FIRST_CUE_TEXT)
        expect(banner.locator("button.cue-ack")).to_have_text("Acknowledge")  # as the README
    expect(_banner(viewer.page)).to_contain_text(FIRST_CUE_TEXT)
    expect(_banner(viewer.page).locator("button.cue-ack")).to_have_count(0)
    session_id = live.sup.wait_event("cue")["session_id"]

    _banner(staff.page).locator("button.cue-ack").click()
    for person in (staff, boss, viewer):
        expect(_banner(person.page)).to_have_count(0)
    acked = live.sup.wait_event("cue_acknowledged")
    assert (acked["cue_id"], acked["by"]) == (FIRST_CUE, STAFF.name)
    assert live.sup.state["pending_cues"] == []

    def acknowledged() -> dict[str, Any] | None:
        report = _report(live, session_id)
        cues = report["cues"] if report else []
        return next((c for c in cues if c["acknowledged"] is not None), None)

    cue = wait_for(acknowledged, REPORT_TIMEOUT_S, "the ack in the journal's report")
    assert (cue["cue_id"], cue["text"], cue["acknowledged_by"]) == (
        FIRST_CUE,
        FIRST_CUE_TEXT,
        STAFF.name,
    )
    assert cue["acknowledged_after_s"] >= 0
    for person in (staff, boss, viewer):
        person.assert_clean()


def _offline_text(killed_at: float) -> re.Pattern[str]:
    """Return the offline text for the minute of the kill (or the next, at a boundary)."""
    minutes = {time.strftime("%H:%M", time.localtime(killed_at + d)) for d in (0.0, 60.0)}
    return re.compile("^roomctl offline since (" + "|".join(sorted(minutes)) + ")$")


def test_a_killed_daemon_shows_offline_not_a_frozen_running(live: LiveRoom, people: People) -> None:
    staff = live.open(people, STAFF)
    start_from_the_page(staff.page)
    expect(staff.page.locator("#room-status")).to_have_text("running")
    overview = staff.new_page()
    overview.goto(live.url())
    status = overview.locator(f"{CARD} .room-status")
    expect(status).to_have_text("running")

    assert live.daemon.process is not None
    killed_at = time.time()
    live.daemon.process.kill()  # SIGKILL: no goodbye; the broker's last will says offline
    live.daemon.process.wait()
    offline = _offline_text(killed_at)
    expect(status).to_have_text(offline)
    expect(overview.locator(CARD)).to_have_class(re.compile(r"\bstatus-offline\b"))
    expect(staff.page.locator("#room-status")).to_have_text(offline)
    # The clocks stop with it: the room's time left no longer counts down.
    left = overview.locator(f"{CARD} .time-left")
    shown = left.inner_text()
    expect(status).to_have_text(offline)
    overview.reload()  # a fresh page says the same, from the server's side
    expect(status).to_have_text(offline)
    expect(left).to_have_text(shown)
    staff.assert_clean()


def _no_sideways_scroll(page: Page, what: str) -> None:
    assert not has_horizontal_scroll(page), f"{what} scrolls sideways at {PHONE['width']} px"


def test_phone_pages_fit_375_px(live: LiveRoom, people: People, screenshots: Screenshots) -> None:
    phone = people.open("phone", PHONE)
    page = phone.page
    page.goto(live.url("login"))
    expect(page.locator("#login-form")).to_be_visible()
    _no_sideways_scroll(page, "the login page")

    page.locator('#login-form [name="username"]').fill(STAFF.name)
    page.locator('#login-form [name="password"]').fill(STAFF.password)
    with page.expect_navigation():
        page.locator('#login-form button[type="submit"]').click()
    expect(page.locator(f"{CARD} .room-status")).to_have_text("idle")
    _no_sideways_scroll(page, "the idle overview")

    page.goto(live.room_page)
    start_from_the_page(page)
    expect(page.locator("#room-status")).to_have_text("running")
    expect(_banner(page)).to_be_visible(timeout=CUE_TIMEOUT_MS)
    expect(page.locator("#timeline .timeline-now")).to_have_count(1)
    _no_sideways_scroll(page, "the room's page with a cue")
    screenshots.save(page, "console-room-phone")
    page.goto(live.url())
    expect(page.locator(f"{CARD} .room-status")).to_have_text("running")
    expect(_banner(page)).to_be_visible()
    _no_sideways_scroll(page, "the running overview with a cue")
    phone.assert_clean()


def _tablet(live: LiveRoom, people: People, path: str = f"rooms/{ROOM_ID}") -> Person:
    return live.open(people, SUPERVISOR, path=path, viewport=TABLET)


def test_screenshots_of_the_overview_a_room_and_a_cue(
    live: LiveRoom, people: People, screenshots: Screenshots
) -> None:
    tablet = _tablet(live, people)
    page = tablet.page
    start_from_the_page(page)
    expect(page.locator("#room-status")).to_have_text("running")
    banner = _banner(page)
    expect(banner).to_be_visible(timeout=CUE_TIMEOUT_MS)
    cue = screenshots.save(page, "console-cue")
    banner.locator("button.cue-ack").click()
    expect(banner).to_have_count(0)
    acked = rf"^\d\d:\d\d:\d\d cue_acknowledged by {SUPERVISOR.name}: {FIRST_CUE_TEXT}$"
    expect(page.locator("#event-log li").first).to_have_text(re.compile(acked))
    room = screenshots.save(page, "console-room")
    page.goto(live.url())
    expect(page.locator(f"{CARD} .room-status")).to_have_text("running")
    overview = screenshots.save(page, "console-overview")
    for path in (cue, room, overview):
        assert path.stat().st_size > 0
    tablet.assert_clean()
