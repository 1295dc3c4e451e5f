"""The steps a light has yet to send: a plan read in place, shifted to its start, not copied.

Rooms playing the same fade share its plan (plan_cache); a copy of every step at its own
wall time for each room was some 40,000 objects a phase change at 500 rooms, every one
of them walked by the garbage collector while all rooms waited. A queue holds the shared
steps, the offset that puts them at wall times and where it has got to; a step becomes
an object of its own only when it is sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from roomctl.devices.fade_plan import LightStep


class StepQueue:
    """The steps `steps[i].at + offset` not yet sent; `first`, if given, replaces the first."""

    __slots__ = ("_first", "_next", "_offset", "_steps")

    def __init__(
        self, steps: Sequence[LightStep] = (), offset: float = 0.0, first: LightStep | None = None
    ) -> None:
        self._steps = steps
        self._offset = offset
        self._first = first if steps else None
        self._next = 0

    def __len__(self) -> int:
        """Return how many steps are left to send (none: the queue is false)."""
        return len(self._steps) - self._next

    def next_at(self) -> float:
        """Return the wall time of the next step (the queue is not empty)."""
        if self._next == 0 and self._first is not None:
            return self._first.at
        return self._steps[self._next].at + self._offset

    def pop_due(self, now: float) -> LightStep | None:
        """Remove the steps due by `now`; return the last of them (the one to send), or None."""
        last = None
        while self._next < len(self._steps) and self.next_at() <= now:
            last = self._next
            self._next += 1
        return None if last is None else self._step(last)

    def remaining(self) -> list[LightStep]:
        """Return the steps not yet sent, at their wall times."""
        return [self._step(index) for index in range(self._next, len(self._steps))]

    def clear(self) -> None:
        """Drop every step not yet sent."""
        self._steps, self._first, self._next = (), None, 0

    def _step(self, index: int) -> LightStep:
        if index == 0 and self._first is not None:
            return self._first
        step = self._steps[index]
        if self._offset == 0.0:
            return step
        return LightStep(step.at + self._offset, step.level, step.transition_s)
