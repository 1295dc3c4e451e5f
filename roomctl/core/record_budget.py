"""Keep device news in the session record within a budget per device (pure, explicit clock)."""

from __future__ import annotations

from dataclasses import dataclass

# At most this many device events (online, offline, manual change, restored) per device
# go into the journal per window. A light on a poor Wi-Fi drops and rejoins a few times
# in a minute; beyond that it is flapping or forged, and more rows say nothing new.
RECORD_CAP = 6
# The window the cap counts in. A minute: a flapping device writes at most six rows and
# one summary a minute, a few hundred in a long session at worst.
RECORD_WINDOW_S = 60.0


@dataclass(frozen=True, slots=True)
class Unrecorded:
    """A closed window in which a device's events went unrecorded: how many, and when."""

    device: str
    count: int
    since: float
    until: float


@dataclass(slots=True)
class _Window:
    start: float
    recorded: int = 0
    unrecorded: int = 0


class HealthRecordLimit:
    """Decide which device events go into the record: `cap` per device per `window_s`.

    The live event stream shows every event; this only says which are written. A window
    in which some were left out yields one `Unrecorded` summary once it has closed.
    """

    def __init__(self, cap: int = RECORD_CAP, window_s: float = RECORD_WINDOW_S) -> None:
        if cap < 1 or window_s <= 0.0:
            raise ValueError("cap must be at least 1 and window_s positive")
        self._cap = cap
        self._window_s = window_s
        self._windows: dict[str, _Window] = {}

    def admit(self, device: str, now: float) -> bool:
        """Count one event of `device` at `now`; return whether it goes into the record.

        Call `closed` first: a window that has closed is replaced here, and its summary
        would be lost.
        """
        window = self._windows.get(device)
        if window is None or now >= window.start + self._window_s:
            window = self._windows[device] = _Window(now)
        if window.recorded < self._cap:
            window.recorded += 1
            return True
        window.unrecorded += 1
        return False

    def has_gaps(self) -> bool:
        """Tell whether a window has left events out (its summary is due when it closes)."""
        return any(window.unrecorded for window in self._windows.values())

    def closed(self, now: float) -> list[Unrecorded]:
        """Return (and forget) the summaries of windows closed by `now` that left events out."""
        out: list[Unrecorded] = []
        for device, window in list(self._windows.items()):
            until = window.start + self._window_s
            if now < until:
                continue
            del self._windows[device]
            if window.unrecorded:
                out.append(Unrecorded(device, window.unrecorded, window.start, until))
        return out
