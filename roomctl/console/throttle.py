"""Login throttling: a burst of wrong passwords for a name locks that name for a while."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# Five wrong passwords within five minutes lock the name for five minutes: a person who
# mistypes a few times is not stopped, a guesser gets a handful of tries per five minutes.
MAX_FAILURES = 5
WINDOW_S = 300.0
LOCK_S = 300.0


@dataclass
class Throttle:
    """Wrong passwords by name, with times from the caller's clock (monotonic seconds)."""

    max_failures: int = MAX_FAILURES
    window_s: float = WINDOW_S
    lock_s: float = LOCK_S
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    def locked_for(self, name: str, now: float) -> float:
        """Return how many seconds the name stays locked (0 when it is not locked)."""
        until = self._locked_until.get(name.casefold(), 0.0)
        if until <= now:
            self._locked_until.pop(name.casefold(), None)
            return 0.0
        return until - now

    def failed(self, name: str, now: float) -> None:
        """Count a wrong password for a name; lock it at the limit."""
        key = name.casefold()
        self._forget_old(now)
        times = self._failures.setdefault(key, deque())
        times.append(now)
        if len(times) >= self.max_failures:
            self._locked_until[key] = now + self.lock_s
            times.clear()

    def succeeded(self, name: str) -> None:
        """Forget a name's wrong passwords after a right one."""
        self._failures.pop(name.casefold(), None)

    def _forget_old(self, now: float) -> None:
        """Drop failures older than the window, so a flood of names cannot grow memory forever."""
        for key in list(self._failures):
            times = self._failures[key]
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if not times:
                del self._failures[key]
