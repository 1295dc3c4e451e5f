"""The session plan: where each phase starts and ends in session time, after extends and skips."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from roomctl.models import SessionProfile
from roomctl.models.units import format_duration

# Most a session may be extended by in all: a long session held twice over is still a
# session; more is a mistake that would keep a room busy and its lights on into the night.
MAX_EXTENSION_S = 12 * 3600.0


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """Phase boundaries in session seconds: phase i runs from bounds[i] to bounds[i + 1].

    The first phase starts at 0 and the session ends at the last bound. A phase skipped
    at its very start has zero length and is never current. `extended_s` is what extends
    have added in all (a skip gives none of it back), at most MAX_EXTENSION_S.
    """

    bounds: tuple[float, ...]
    extended_s: float = 0.0

    def __post_init__(self) -> None:
        if len(self.bounds) < 2 or self.bounds[0] != 0.0:
            raise ValueError("session plan: bounds start at 0 and name at least one phase")
        if any(not math.isfinite(b) for b in self.bounds):
            raise ValueError("session plan: bounds must be finite")
        if any(later < earlier for earlier, later in pairwise(self.bounds)):
            raise ValueError("session plan: bounds must not decrease")
        if not 0.0 <= self.extended_s <= MAX_EXTENSION_S:
            raise ValueError(f"session plan: extended_s must be 0 to {MAX_EXTENSION_S:g}")

    @classmethod
    def from_profile(cls, profile: SessionProfile) -> SessionPlan:
        """Return the plan of a profile as written: each phase for its duration."""
        bounds = [0.0]
        for phase in profile.phases:
            bounds.append(bounds[-1] + phase.duration)
        return cls(tuple(bounds))

    @property
    def phase_count(self) -> int:
        """Return the number of phases."""
        return len(self.bounds) - 1

    @property
    def end(self) -> float:
        """Return the session time at which the session ends."""
        return self.bounds[-1]

    def start_of(self, index: int) -> float:
        """Return the session time at which phase `index` starts."""
        self._check(index)
        return self.bounds[index]

    def end_of(self, index: int) -> float:
        """Return the session time at which phase `index` ends."""
        self._check(index)
        return self.bounds[index + 1]

    def phase_index_at(self, t: float) -> int | None:
        """Return the phase current at session time t (0 before the start), None after the end."""
        if t >= self.end:
            return None
        return max(0, bisect.bisect_right(self.bounds, t) - 1)

    def extend(self, index: int, by: float) -> SessionPlan:
        """Return the plan with phase `index` longer by `by` seconds and later phases shifted."""
        self._check(index)
        if not (math.isfinite(by) and by > 0.0):
            raise ValueError(f"extend by a positive number of seconds, not {by!r}")
        if self.extended_s + by > MAX_EXTENSION_S:
            left = MAX_EXTENSION_S - self.extended_s
            raise ValueError(
                f"extend would take the session past {format_duration(MAX_EXTENSION_S)} of"
                f" extensions in all: at most {format_duration(left)} more"
            )
        moved = self._moved(index + 1, self.bounds[index + 1] + by)
        return SessionPlan(moved.bounds, self.extended_s + by)

    def skip(self, at: float) -> SessionPlan:
        """Return the plan with the phase current at `at` ending there and the next starting.

        Skipping the last phase ends the session at `at`; raise ValueError after the end.
        """
        index = self.phase_index_at(at)
        if index is None or at < 0.0:
            raise ValueError(f"cannot skip at {at!r}: the session runs from 0 to {self.end!r}")
        return self._moved(index + 1, at)

    def _moved(self, bound: int, to: float) -> SessionPlan:
        """Return the plan with one bound at `to` exactly and the later ones shifted with it."""
        by = to - self.bounds[bound]
        later = tuple(max(to, b + by) for b in self.bounds[bound + 1 :])  # max: float rounding
        return SessionPlan((*self.bounds[:bound], to, *later), self.extended_s)

    def _check(self, index: int) -> None:
        if not 0 <= index < self.phase_count:
            raise IndexError(f"no phase {index}: the plan has {self.phase_count}")

    def to_dict(self) -> dict[str, object]:
        """Return the plan as plain JSON-able data."""
        return {"bounds": list(self.bounds), "extended_s": self.extended_s}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SessionPlan:
        """Return the plan `to_dict` described; raise ValueError on malformed data."""
        bounds = data.get("bounds")
        if not isinstance(bounds, list | tuple) or not all(
            isinstance(b, int | float) and not isinstance(b, bool) for b in bounds
        ):
            raise ValueError(f"session plan: 'bounds' must be a list of numbers, not {bounds!r}")
        extended = data.get("extended_s", 0.0)  # absent in snapshots from before the cap
        if not isinstance(extended, int | float) or isinstance(extended, bool):
            raise ValueError(f"session plan: 'extended_s' must be a number, not {extended!r}")
        return cls(tuple(float(b) for b in bounds), float(extended))
