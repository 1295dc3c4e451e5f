"""The browser fixture drives Debian's headless Chromium against a real HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fixtures.browser import (
    PHONE,
    ROOT,
    SCREENSHOTS_ENV,
    TABLET,
    People,
    Screenshots,
    csp_console_errors,
    has_horizontal_scroll,
    screenshot_folder,
)
from tests.fixtures.room import wait_for

# Every page is served with a CSP like the console's: scripts from the site only.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'"
STYLE = "body { margin: 0; font: 16px sans-serif; } .wide { width: 600px; height: 20px; }"
SCRIPT = """
document.getElementById("go").addEventListener("click", () => {
  document.getElementById("out").textContent = "clicked " + window.innerWidth;
});
"""
PAGES = {
    "/": '<button id="go">Go</button><p id="out">waiting</p><script src="/app.js"></script>',
    "/inline": '<p id="out">untouched</p>'
    '<script>document.getElementById("out").textContent = "ran";</script>',
    "/narrow": "<h1>Fits</h1><p>Short words only.</p>",
    "/wide": '<div class="wide"></div>',
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path in PAGES:
            body = (
                '<!doctype html><html><head><meta name="viewport" '
                'content="width=device-width, initial-scale=1">'
                '<link rel="stylesheet" href="/style.css"></head>'
                f"<body>{PAGES[self.path]}</body></html>"
            )
            self._send("text/html", body)
        elif self.path == "/app.js":
            self._send("text/javascript", SCRIPT)
        elif self.path == "/style.css":
            self._send("text/css", STYLE)
        elif self.path == "/favicon.ico":
            self._send("image/x-icon", "")
        else:
            self.send_error(404)

    def _send(self, kind: str, body: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test's output quiet."""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """Serve the test pages on a free localhost port; return the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_click_read_and_screenshot(people: People, screenshots: Screenshots, site: str) -> None:
    staff = people.open("staff", base_url=site)
    staff.page.goto("/")
    staff.page.click("#go")
    wait_for(lambda: staff.page.inner_text("#out") == "clicked 1440", what="the click's text")
    shot = screenshots.save(staff.page, "fixture-smoke")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    staff.assert_clean()


def test_two_people_at_once_each_in_their_own_viewport(people: People, site: str) -> None:
    phone = people.open("phone", viewport=PHONE, base_url=site)
    tablet = people.open("tablet", viewport=TABLET, base_url=site)
    for person in (phone, tablet):
        person.page.goto("/")
        person.page.click("#go")
    assert phone.page.inner_text("#out") == "clicked 375"
    assert tablet.page.inner_text("#out") == "clicked 1280"
    assert phone.page.evaluate("() => navigator.maxTouchPoints") > 0
    phone.context.add_cookies([{"name": "who", "value": "phone", "url": site}])
    assert tablet.context.cookies() == []  # each person's cookies are their own
    phone.assert_clean()
    tablet.assert_clean()


def test_an_inline_script_blocked_by_the_csp_is_reported(people: People, site: str) -> None:
    visitor = people.open("visitor", base_url=site)
    visitor.page.goto("/inline")
    wait_for(lambda: visitor.csp_violations, what="the CSP violation report")
    assert visitor.page.inner_text("#out") == "untouched"
    assert [v.split(" ")[0] for v in visitor.csp_violations] == ["script-src-elem"]
    assert "inline" in visitor.csp_violations[0]
    wait_for(lambda: csp_console_errors(visitor), what="chromium's console report of it")
    with pytest.raises(AssertionError, match="CSP violations"):
        visitor.assert_clean()


def test_horizontal_scroll_at_phone_width(people: People, site: str) -> None:
    phone = people.open("phone", viewport=PHONE, base_url=site)
    phone.page.goto("/narrow")
    assert phone.page.evaluate("() => document.documentElement.clientWidth") == 375
    assert not has_horizontal_scroll(phone.page)
    phone.page.goto("/wide")  # a 600-px element: the check must see it
    assert has_horizontal_scroll(phone.page)
    phone.assert_clean()


def test_screenshots_go_where_the_environment_asks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(SCREENSHOTS_ENV, raising=False)
    assert screenshot_folder(tmp_path) == tmp_path
    monkeypatch.setenv(SCREENSHOTS_ENV, "docs/screenshots")
    assert screenshot_folder(tmp_path) == ROOT / "docs" / "screenshots"
