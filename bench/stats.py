"""Summarise benchmark samples: percentiles in milliseconds, as the report shows them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], share: float) -> float:
    """Return the share-th percentile (0..100) of values, interpolating between ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * share / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Spread:
    """Seconds samples summarised in milliseconds: count, p50, p99 and max."""

    n: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Spread:
        """Return the spread of samples given in seconds."""
        ms = [s * 1000.0 for s in seconds]
        return cls(
            n=len(ms),
            p50_ms=round(percentile(ms, 50.0), 2),
            p99_ms=round(percentile(ms, 99.0), 2),
            max_ms=round(max(ms, default=math.nan), 2),
        )

    def as_dict(self) -> dict[str, float]:
        """Return the spread as JSON-able data."""
        return {"n": self.n, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms}
