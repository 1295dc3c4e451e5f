"""Issue 11's bench rows: the judged targets, and the pages' stamps in a real Chromium."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bench.console_pages import Chromium, changed_at, last_click, watch, watch_clicks
from bench.report_console import console_rows

# The page's own script shows the result this long after the press (a reply's stand-in).
DELAY_MS = 80
PAGE = """<!doctype html><html><body>
<div class="room-card" data-room="console-1"><span class="room-status">running</span></div>
<span id="room-status">running</span><button data-action="pause">Pause</button>
<script src="/page.js"></script></body></html>"""
# Replaces the whole card, as a page re-rendering it would: the stamp must still come.
SCRIPT = f"""
document.querySelector("button").addEventListener("click", () => setTimeout(() => {{
  document.getElementById("room-status").textContent = "paused";
  document.querySelector(".room-card").innerHTML = '<span class="room-status">paused</span>';
}}, {DELAY_MS}));
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        script = self.path == "/page.js"
        body = (SCRIPT if script else PAGE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript" if script else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test's output quiet."""


@pytest.fixture
def site() -> Iterator[str]:
    """Serve the page on a free localhost port; return its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_pages_stamp_the_press_and_the_change_on_the_wall_clock(site: str) -> None:
    chromium = Chromium()
    try:
        pages = chromium.open(site, "session-value", "/", 2)
        page, other = pages
        assert [c["value"] for c in page.context.cookies()] == ["session-value"]
        watch(page, '.room-card[data-room="console-1"] .room-status', "status")
        watch(page, "#room-status", "room")
        watch_clicks(page)
        before = time.time()
        assert before - 5 < changed_at(page, "status", "running", 0.0) <= before
        page.click('button[data-action="pause"]')
        shown = changed_at(page, "room", "paused", before)
        card = changed_at(page, "status", "paused", before)
        pressed = last_click(page, "pause")
        assert before <= pressed < shown <= time.time()
        assert shown - pressed >= DELAY_MS / 1000 - 0.002  # Date.now() counts whole ms
        assert abs(card - shown) < 0.05
        assert other.evaluate("() => window.__benchChanges") is None  # watched pages only
    finally:
        chromium.close()


def _spread(p99_ms: float) -> dict[str, float]:
    return {"n": 40, "p50_ms": p99_ms / 2, "p99_ms": p99_ms, "max_ms": p99_ms}


def _results(update: float, button: float, api: float, cli: float, rtt: float) -> dict[str, Any]:
    return {
        "pages": 20,
        "update": _spread(update),
        "first_page": _spread(update / 4),
        "live_event": _spread(update / 8),
        "button": _spread(button),
        "api": _spread(api),
        "cli": _spread(cli),
        "rtt": _spread(rtt),
        "memory": {
            "rooms": 50,
            "catalogs": 50,
            "rss_one_room_mb": 70.0,
            "rss_mb": 80.0,
            "peak_rss_mb": 85.0,
        },
    }


def test_rows_judge_updates_by_100_ms_and_commands_by_cli_plus_two_round_trips() -> None:
    rows = console_rows(_results(update=90.0, button=14.0, api=9.0, cli=6.0, rtt=4.0))
    verdicts = {r.name.strip(): r.verdict for r in rows}
    assert verdicts == {
        "Console: state on MQTT → 20 pages updated": "met",
        "first of the 20 pages": "-",
        "state on MQTT → /live event, no browser": "-",
        "Console: button press → page shows the reply": "met",
        "console API command → reply": "met",
        "CLI command → reply (baseline)": "-",
        "MQTT round trip (baseline)": "-",
        "Console RSS, 50 rooms": "-",
    }
    assert "(= 14.0 ms)" in rows[3].target
    missed = console_rows(_results(update=101.0, button=14.5, api=9.0, cli=6.0, rtt=4.0))
    assert [r.verdict for r in missed[:5]] == ["MISSED", "-", "-", "MISSED", "met"]
