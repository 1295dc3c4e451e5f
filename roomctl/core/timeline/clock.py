"""The session clock: wall time to session time through a start, an offset, a speed and pauses."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

Pause = tuple[float, float | None]

# Wall seconds within which two instants are one: far below any timer's resolution, far
# above float rounding of epoch seconds; it keeps a time reached at a pause's start from
# rounding past the pause.
SAME_INSTANT = 1e-6


def _number(data: Mapping[str, object], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"session clock: '{key}' must be a number, not {value!r}")
    return float(value)


def _pause_from(item: object) -> Pause:
    if not isinstance(item, list | tuple) or len(item) != 2:
        raise ValueError(f"session clock: a pause is [start, end or null], not {item!r}")
    start, end = item
    if isinstance(start, bool) or not isinstance(start, int | float):
        raise ValueError(f"session clock: a pause start must be a number, not {start!r}")
    if end is not None and (isinstance(end, bool) or not isinstance(end, int | float)):
        raise ValueError(f"session clock: a pause end must be a number or null, not {end!r}")
    return (float(start), None if end is None else float(end))


@dataclass(frozen=True, slots=True)
class SessionClock:
    """Map wall seconds to session seconds; session time stands still while paused.

    `offset` is the session time at `started_at` (load-to-time), `speed` the session
    seconds per wall second (60 for a rehearsal), `pauses` the (start, end) wall
    intervals, in order, of which only the last may still be open (end None).
    """

    started_at: float
    offset: float = 0.0
    speed: float = 1.0
    pauses: tuple[Pause, ...] = ()

    def __post_init__(self) -> None:
        if not math.isfinite(self.started_at):
            raise ValueError("session clock: started_at must be finite")
        if not (math.isfinite(self.offset) and self.offset >= 0.0):
            raise ValueError(f"session clock: offset must be 0 or more, not {self.offset!r}")
        if not (math.isfinite(self.speed) and self.speed > 0.0):
            raise ValueError(f"session clock: speed must be above 0, not {self.speed!r}")
        last = self.started_at
        for index, (start, end) in enumerate(self.pauses):
            if not math.isfinite(start) or start < last:
                raise ValueError("session clock: pauses must be in order, after the start")
            if end is None:
                if index != len(self.pauses) - 1:
                    raise ValueError("session clock: only the last pause may be open")
                break
            if not math.isfinite(end) or end < start:
                raise ValueError("session clock: a pause cannot end before it starts")
            last = end

    @classmethod
    def start(cls, wall: float, offset: float = 0.0, speed: float = 1.0) -> SessionClock:
        """Return a clock running from wall time `wall` at session time `offset`."""
        return cls(started_at=wall, offset=offset, speed=speed)

    @property
    def paused(self) -> bool:
        """Return whether the clock is paused now."""
        return bool(self.pauses) and self.pauses[-1][1] is None

    def _last_event(self) -> float:
        if not self.pauses:
            return self.started_at
        start, end = self.pauses[-1]
        return start if end is None else end

    def pause(self, wall: float) -> SessionClock:
        """Return this clock paused at `wall`; raise ValueError when already paused.

        A wall time before the clock's last start or resume (the wall clock stepped back)
        counts as that instant, so session time never runs backwards.
        """
        if self.paused:
            raise ValueError("the session is already paused")
        at = max(wall, self._last_event())
        return replace(self, pauses=(*self.pauses, (at, None)))

    def resume(self, wall: float) -> SessionClock:
        """Return this clock running again from `wall`; raise ValueError when not paused."""
        if not self.paused:
            raise ValueError("the session is not paused")
        start = self.pauses[-1][0]
        return replace(self, pauses=(*self.pauses[:-1], (start, max(wall, start))))

    def paused_total(self, wall: float) -> float:
        """Return the wall seconds spent paused up to `wall`."""
        total = 0.0
        for start, end in self.pauses:
            if start >= wall:
                break
            total += min(wall if end is None else end, wall) - start
        return total

    def session_time(self, wall: float) -> float:
        """Return the session time at `wall`: offset plus running time times speed.

        Before `started_at` it is `offset`; while paused it stays where the pause began.
        """
        running = max(0.0, wall - self.started_at - self.paused_total(wall))
        return self.offset + self.speed * running

    def wall_at(self, session_time: float) -> float | None:
        """Return the first wall time at which the clock reads `session_time`.

        None while paused (no future instant is known) and for a time before `offset`.
        For a time already reached it is the past instant it was reached at; for a future
        one it assumes no further pause.
        """
        if self.paused or session_time < self.offset:
            return None
        left = (session_time - self.offset) / self.speed
        wall = self.started_at
        for start, end in self.pauses:
            if left <= start - wall + SAME_INSTANT:
                return min(wall + left, start)
            left -= start - wall
            wall = start if end is None else end
        return wall + left

    def to_dict(self) -> dict[str, object]:
        """Return the clock as plain JSON-able data."""
        return {
            "started_at": self.started_at,
            "offset": self.offset,
            "speed": self.speed,
            "pauses": [[start, end] for start, end in self.pauses],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SessionClock:
        """Return the clock `to_dict` described; raise ValueError on malformed data."""
        pauses = data.get("pauses", [])
        if not isinstance(pauses, list | tuple):
            raise ValueError(f"session clock: 'pauses' must be a list, not {pauses!r}")
        return cls(
            started_at=_number(data, "started_at"),
            offset=_number(data, "offset"),
            speed=_number(data, "speed"),
            pauses=tuple(_pause_from(item) for item in pauses),
        )
