"""A site's link to the central broker as the console saw it: up, or down since when."""

from __future__ import annotations

import time
from dataclasses import dataclass

from roomctl.console.rooms import iso_time


@dataclass
class SiteLink:
    """The latest `clinic/<site>/bridge/state` of one site (None: not heard yet)."""

    site: str
    up: bool | None = None
    down_since: float | None = None  # wall time the `0` arrived; None for a retained one

    def take(self, payload: bytes, retained: bool, now: float) -> None:
        """Keep a link state: `1` up, anything else down (the bridge's will is `0`)."""
        if payload.strip() == b"1":
            self.up, self.down_since = True, None
            return
        if self.up is not False:
            # A retained `0` at start-up went down before the console looked: when is unknown.
            self.down_since = None if retained else now
        self.up = False

    @property
    def down(self) -> bool:
        """Tell whether the link is known to be down (the site's rooms are then stale)."""
        return self.up is False

    def text(self) -> str:
        """Return the link as the overview says it."""
        if self.up is None:
            return "link not heard from yet"
        if self.up:
            return "link up"
        return f"link down since {hhmm(self.down_since)}" if self.down_since else "link down"

    def unreachable(self) -> str:
        """Return what a command that got no reply says while this link is down."""
        since = f" since {hhmm(self.down_since)}" if self.down_since else ""
        return f"site {self.site} is unreachable (link down{since})"

    def summary(self) -> dict[str, object]:
        """Return the link as GET /api/sites and the live stream show it."""
        return {
            "site": self.site,
            "up": self.up,
            "down_since": iso_time(self.down_since) if self.down_since else None,
            "text": self.text(),
        }


def hhmm(wall: float | None) -> str:
    """Return a wall time as this machine's HH:MM."""
    return time.strftime("%H:%M", time.localtime(wall if wall is not None else time.time()))
