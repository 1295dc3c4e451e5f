"""The console's live stream read without a browser: when each room status arrives on /live.

One httpx client holds `GET /live` open in a thread and stamps every `kind: state` event
with the wall clock: the console's own share of a page's update, before any rendering.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

# How long one wait for an event may take before the trial fails.
EVENT_TIMEOUT_S = 15.0


class LiveReader:
    """Read a logged-in client's /live stream and keep (wall time, room, status) of states."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http
        self._seen: list[tuple[float, str, str]] = []
        self._changed = threading.Condition()
        self._open = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="bench-live", daemon=True)
        self._thread.start()
        if not self._open.wait(EVENT_TIMEOUT_S):
            raise RuntimeError("the console's /live stream did not open")

    def _read(self) -> None:
        try:
            with self._http.stream("GET", "/live", timeout=None) as response:
                response.raise_for_status()
                self._open.set()
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("data:"):
                        self._take(time.time(), json.loads(line[len("data:") :]))
        except (httpx.HTTPError, RuntimeError):  # the client closed under it at the end
            if not self._stop.is_set():
                raise

    def _take(self, wall: float, data: dict[str, Any]) -> None:
        if data.get("kind") != "state":
            return
        status = str((data.get("state") or {}).get("status"))
        with self._changed:
            self._seen.append((wall, str(data.get("room")), status))
            self._changed.notify_all()

    def arrived(self, room: str, status: str, after_s: float) -> float:
        """Return when the first state of room with status came on /live after after_s."""

        def first() -> float | None:
            return next(
                (w for w, r, s in self._seen if r == room and s == status and w >= after_s), None
            )

        with self._changed:
            if not self._changed.wait_for(lambda: first() is not None, EVENT_TIMEOUT_S):
                raise TimeoutError(f"no {status} state of {room} on /live")
            found = first()
        assert found is not None
        return found

    def close(self) -> None:
        """Stop reading (the stream ends when its client closes)."""
        self._stop.set()
