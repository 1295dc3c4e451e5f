"""Issue 11's rows: the console's live pages and commands beside their goals, and its memory."""

from __future__ import annotations

from typing import Any

from bench.console import PAGES, RSS_ROOMS
from bench.figure import Figure, ms, under

# Issue 11: the page updates within 100 ms p99 with 20 open pages, and a button press
# costs at most 2 MQTT round trips more than a CLI command.
UPDATE_P99_MS = 100.0
EXTRA_ROUND_TRIPS = 2
# How each row is measured, printed under the table.
CONSOLE_METHOD = (
    "- Console: a real `roomctl console` (one supervisor session) beside `roomctl run`; "
    f"{PAGES} overview pages in Debian's headless Chromium (Playwright), one context "
    "each, on the same cores as the console and the daemon but at nice 10 (they stand "
    "for tablets with processors of their own). A page's update is timed by "
    "a MutationObserver on the room's `.room-status` "
    "(Date.now(), the wall clock) against the state's arrival at another MQTT subscriber "
    "(the bench's, time.time()), after a pause or resume of a room in a held session; "
    "the /live row stamps the same change at an httpx client reading the stream. "
    "Button: a click on the room page's pause/resume button to its `#room-status` "
    "showing the result, both stamped in the page (only that page open). API: "
    "`POST /api/rooms/R/commands` to its reply. CLI: roomctl's CLI client (connected) "
    "sending the same command, in the same rounds. "
    f"Memory: the console's VmRSS/VmHWM once it has {RSS_ROOMS} rooms' states (and "
    f"catalogs where the daemon publishes them), with the {PAGES} pages open; the peak "
    "includes logging in (argon2id hashing).",
)


def console_rows(console: dict[str, Any]) -> list[Figure]:
    """Return issue 11's rows, each beside its goal or baseline."""
    update, button, cli, rtt = console["update"], console["button"], console["cli"], console["rtt"]
    limit = cli["p99_ms"] + EXTRA_ROUND_TRIPS * rtt["p99_ms"]
    target = f"p99 ≤ CLI p99 + {EXTRA_ROUND_TRIPS} x MQTT round trip p99 (= {limit:.1f} ms)"
    memory = console["memory"]
    return [
        Figure(
            f"Console: state on MQTT → {console['pages']} pages updated",
            f"{ms(update)} ({update['n']} page updates)",
            f"p99 ≤ {UPDATE_P99_MS:.0f} ms",
            under(update["p99_ms"], UPDATE_P99_MS),
        ),
        Figure(
            f"  first of the {console['pages']} pages",
            ms(console["first_page"]),
            "reference: each change's earliest page",
            None,
        ),
        Figure(
            "  state on MQTT → /live event, no browser",
            ms(console["live_event"]),
            "reference: the console's own share (an httpx client)",
            None,
        ),
        Figure(
            "Console: button press → page shows the reply",
            ms(button),
            target,
            under(button["p99_ms"], limit),
        ),
        Figure(
            "  console API command → reply",
            ms(console["api"]),
            target,
            under(console["api"]["p99_ms"], limit),
        ),
        Figure("  CLI command → reply (baseline)", ms(cli), "reference: roomctl's CLI", None),
        Figure("  MQTT round trip (baseline)", ms(rtt), "reference: echo, same run", None),
        Figure(
            f"Console RSS, {memory['rooms']} rooms",
            f"{memory['rss_mb']:.1f} MB (1 room: {memory['rss_one_room_mb']:.1f} MB; peak "
            f"{memory['peak_rss_mb']:.1f} MB; {memory['catalogs']} catalogs; "
            f"{console['pages']} pages open)",
            "reference",
            None,
        ),
    ]
