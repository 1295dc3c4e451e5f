"""Capped exponential backoff with jitter: how roomctl retries a broker or a sound output."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Capped exponential backoff with equal jitter: each wait lies in [ceiling/2, ceiling]."""

    first_s: float
    max_s: float
    rng: random.Random = field(default_factory=random.Random)
    _ceiling_s: float = field(init=False, default=0.0)

    def next_delay(self) -> float:
        """Return the next wait in seconds and double the ceiling, up to max_s."""
        self._ceiling_s = (
            self.first_s if self._ceiling_s == 0.0 else min(self.max_s, self._ceiling_s * 2)
        )
        return self._ceiling_s / 2 + self.rng.uniform(0.0, self._ceiling_s / 2)

    def reset(self) -> None:
        """Start again from first_s (after a successful connection)."""
        self._ceiling_s = 0.0
