"""The per-network rate limiter: newest command wins, urgent overtakes, rate holds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomctl.api.messages import Message
from roomctl.devices.rate_limit import RateLimiter


def cmd(device: str, n: int) -> list[Message]:
    return [Message(f"{device}/set", str(n))]


def test_only_the_newest_pending_command_of_a_device_is_sent() -> None:
    limiter = RateLimiter(1.0)
    assert limiter.take(0.0) == []
    limiter.offer("a", cmd("a", 1), 0.0)
    limiter.offer("b", cmd("b", 1), 0.0)
    assert limiter.take(0.0) == cmd("a", 1)
    limiter.offer("b", cmd("b", 2), 0.5)
    limiter.offer("b", cmd("b", 3), 0.6)
    assert limiter.take(0.9) == []
    assert limiter.take(1.0) == cmd("b", 3)
    assert limiter.take(5.0) == []


def test_a_superseding_command_keeps_its_place_in_line() -> None:
    limiter = RateLimiter(1.0)
    limiter.offer("a", cmd("a", 1), 0.0)
    assert limiter.take(0.0) == cmd("a", 1)
    limiter.offer("b", cmd("b", 1), 0.1)
    limiter.offer("c", cmd("c", 1), 0.2)
    limiter.offer("b", cmd("b", 2), 0.3)
    assert limiter.pending == ("b", "c")
    assert limiter.take(1.0) == cmd("b", 2)
    assert limiter.take(2.0) == cmd("c", 1)


def test_a_scene_change_to_twelve_lights_goes_out_at_the_network_rate() -> None:
    limiter = RateLimiter(5.0)
    lights = [f"light{i}" for i in range(12)]
    for name in lights:
        limiter.offer(name, cmd(name, 1), 0.0)
    sent: list[tuple[float, str]] = []
    now = 0.0
    while (due := limiter.next_time()) is not None:
        now = due
        sent += [(now, m.topic) for m in limiter.take(now)]
    assert [topic for _, topic in sent] == [f"{name}/set" for name in lights]
    assert [t for t, _ in sent] == pytest.approx([i * 0.2 for i in range(12)])


def test_urgent_overtakes_a_full_queue_and_clears_the_devices_pending_step() -> None:
    limiter = RateLimiter(5.0)
    for i in range(12):
        limiter.offer(f"light{i}", cmd(f"light{i}", 1), 0.0)
    limiter.take(0.0)  # the bucket is empty now
    assert limiter.next_time() == pytest.approx(0.2)
    out = limiter.urgent("light7", cmd("light7", 99))
    assert out == cmd("light7", 99)
    assert "light7" not in limiter.pending and len(limiter.pending) == 10
    # Nothing stale of light7 is sent afterwards.
    sent = []
    now = 0.0
    while (due := limiter.next_time()) is not None:
        now = due
        sent += limiter.take(now)
    assert Message("light7/set", "1") not in sent and len(sent) == 10


def test_urgent_spends_a_token_when_one_is_left() -> None:
    limiter = RateLimiter(2.0)
    limiter.take(0.0)
    limiter.urgent("a", cmd("a", 1))
    limiter.offer("b", cmd("b", 1), 0.0)
    assert limiter.take(0.0) == []
    assert limiter.next_time() == pytest.approx(0.5)
    assert limiter.take(0.5) == cmd("b", 1)


def test_drop_forgets_a_pending_command() -> None:
    limiter = RateLimiter(1.0)
    limiter.take(0.0)
    limiter.offer("a", cmd("a", 1), 0.1)
    limiter.drop("a")
    limiter.drop("never-seen")
    assert limiter.next_time() is None
    assert limiter.take(10.0) == []


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0.0)
    with pytest.raises(ValueError):
        RateLimiter(1.0, burst=0)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.sampled_from([0.5, 1.0, 5.0, 20.0]),
    burst=st.integers(1, 3),
    offers=st.lists(st.tuples(st.floats(0.0, 10.0), st.integers(0, 7)), min_size=1, max_size=80),
)
def test_the_rate_is_never_exceeded(
    rate: float, burst: int, offers: list[tuple[float, int]]
) -> None:
    limiter = RateLimiter(rate, burst)
    events = sorted(offers)
    sent: list[float] = []
    out: list[Message] = []
    last: dict[str, Message] = {}
    i = 0
    now = 0.0
    while i < len(events) or limiter.next_time() is not None:
        due = limiter.next_time()
        if i < len(events) and (due is None or events[i][0] <= due):
            now, device = events[i]
            i += 1
            limiter.offer(f"d{device}", cmd(f"d{device}", i), now)
            last[f"d{device}"] = cmd(f"d{device}", i)[0]
        else:
            assert due is not None
            now = max(now, due)
        taken = limiter.take(now)
        out += taken
        sent += [now] * len(taken)
    # In any window of length w, at most burst + rate * w commands went out.
    for a in range(len(sent)):
        for b in range(a, len(sent)):
            assert b - a + 1 <= burst + rate * (sent[b] - sent[a]) + 1e-6
    # And no device's newest command was lost.
    assert all(message in out for message in last.values())
