"""Cues: the timed prompts for staff, placed on the session's time line."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from roomctl.core.timeline.plan import SessionPlan
from roomctl.models import SessionProfile


@dataclass(frozen=True, slots=True)
class CueFiring:
    """A cue due at session time `at` in a phase; `cue_id` is "<phase index>.<cue index>"."""

    at: float
    phase_index: int
    phase_name: str
    text: str
    cue_id: str


@dataclass(frozen=True, slots=True)
class CueSheet:
    """The cues a plan reaches, in time order."""

    cues: tuple[CueFiring, ...]
    _times: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_times", tuple(cue.at for cue in self.cues))

    @classmethod
    def place(cls, profile: SessionProfile, plan: SessionPlan) -> CueSheet:
        """Return the profile's cues on the plan's time line.

        A cue fires at its phase's start plus its `at`, if that is no later than the
        phase's end (a skip can cut a phase short); a phase skipped at its very start
        fires none.
        """
        firings: list[CueFiring] = []
        for index, phase in enumerate(profile.phases):
            start, end = plan.start_of(index), plan.end_of(index)
            if end > start:
                firings.extend(
                    CueFiring(start + cue.at, index, phase.name, cue.notify, f"{index}.{number}")
                    for number, cue in enumerate(phase.cues)
                    if start + cue.at <= end
                )
        return cls(tuple(sorted(firings, key=lambda firing: (firing.at, firing.phase_index))))

    def between(self, t0: float, t1: float) -> list[CueFiring]:
        """Return the cues with t0 < at <= t1."""
        first = bisect.bisect_right(self._times, t0)
        return list(self.cues[first : max(first, bisect.bisect_right(self._times, t1))])
