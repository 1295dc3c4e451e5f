"""A token bucket with one pending command per device: a network's send queue."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from roomctl.api.messages import Message

_LOGGER = logging.getLogger(__name__)

# Tokens short of a whole one by less than this count as whole: at the instant
# `next_time` names, float rounding must not leave the bucket a hair short.
_TOKEN_SLACK = 1e-9


class RateLimiter:
    """Send at most `rate_hz` commands a second (bursts up to `burst`) on one network.

    Each device has at most one pending command: a later one replaces an unsent one,
    keeping its place in line so that a light stepping fast cannot starve the others.
    One command (the messages of one `LightAdapter.command` call) costs one token. Time
    is passed in; nothing here reads a clock.
    """

    def __init__(self, rate_hz: float, burst: int = 1) -> None:
        if rate_hz <= 0.0:
            raise ValueError("rate_hz must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate_hz = rate_hz
        self.burst = burst
        self._tokens = float(burst)
        self._updated: float | None = None
        self._pending: dict[str, tuple[Message, ...]] = {}

    @property
    def pending(self) -> tuple[str, ...]:
        """Return the devices with a command waiting, in sending order."""
        return tuple(self._pending)

    def offer(self, device: str, messages: Sequence[Message], now: float) -> None:
        """Queue a device's command, replacing any command of that device not yet sent."""
        self._refill(now)
        if device in self._pending:
            _LOGGER.debug("%s: unsent command superseded", device)
        self._pending[device] = tuple(messages)

    def take(self, now: float) -> list[Message]:
        """Return the queued messages that may be sent at `now`, oldest device first."""
        return [message for _device, messages in self.take_commands(now) for message in messages]

    def take_commands(self, now: float) -> list[tuple[str, tuple[Message, ...]]]:
        """Return the queued commands that may be sent at `now`, with their device's name."""
        self._refill(now)
        out: list[tuple[str, tuple[Message, ...]]] = []
        while self._pending and self._tokens >= 1.0 - _TOKEN_SLACK:
            device = next(iter(self._pending))
            out.append((device, self._pending.pop(device)))
            self._tokens = max(0.0, self._tokens - 1.0)
        return out

    def urgent(self, device: str, messages: Sequence[Message]) -> list[Message]:
        """Return a command to send at once, ahead of the queue; drop the device's pending one.

        It spends a token when one is left, so the network's rate holds on average, but
        never waits for one.
        """
        self._pending.pop(device, None)
        self._tokens = max(0.0, self._tokens - 1.0)
        return list(messages)

    def drop(self, device: str) -> None:
        """Forget a device's pending command."""
        self._pending.pop(device, None)

    def next_time(self) -> float | None:
        """Return when the next queued command may go, or None when nothing is queued."""
        if not self._pending or self._updated is None:
            return None
        if self._tokens >= 1.0 - _TOKEN_SLACK:
            return self._updated
        return self._updated + (1.0 - self._tokens) / self.rate_hz

    def _refill(self, now: float) -> None:
        if self._updated is not None and now > self._updated:
            elapsed = now - self._updated
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate_hz)
        if self._updated is None or now > self._updated:
            self._updated = now
