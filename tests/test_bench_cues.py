"""Cue runs are judged where the broker hands events over; the bench's own client is beside."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from bench.cues import _timing
from bench.rooms import CUE_PHASE_S, CUES_PER_PHASE
from bench.supervisor import Arrival, Reply

START = 1_800_000_000.0  # the session's start, on a whole millisecond
CUE_S = CUE_PHASE_S / (CUES_PER_PHASE + 1)  # the first cue's session time


def _ts(wall: float) -> str:
    """Return an event's `ts` for a wall time: ISO, whole milliseconds, as the daemon writes."""
    ms = round(wall * 1000)
    second = datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{second}.{ms % 1000:03d}Z"


def _event(kind: str, wall: float, ts: float, **fields: object) -> Arrival:
    payload = {"room": "r1", "type": kind, "ts": _ts(ts), **fields}
    return Arrival("roomctl/r1/events", payload, math.nan, wall)


def test_events_are_timed_at_the_tap_and_at_the_bench_s_own_client_apart() -> None:
    reply = Reply(0.0, START - 0.002, Arrival("roomctl/r1/reply", {}, 0.0, START + 0.002))
    started = _event("session_started", START + 0.001, START)
    # The start is known to within a millisecond: START + 0.5 ms. The daemon stamped the
    # cue 1 ms after START's planned instant, the broker handed it over 1.5 ms after, the
    # bench's own client, behind its other messages, had it 40 ms after.
    cue_at = START + CUE_S
    tapped = [started, _event("cue", cue_at + 0.0015, cue_at + 0.001, at_s=CUE_S)]
    supervised = [started, _event("cue", cue_at + 0.040, cue_at + 0.001, at_s=CUE_S)]
    window = (START + 1.0, START + 3.0)
    result = _timing(supervised, tapped, {"r1": reply}, window, phases=2, stalls=None)
    assert result["expected"] == result["received"] == 1
    assert result["arrival"].max_ms == pytest.approx(1.0, abs=0.01)  # against START + 0.5 ms
    assert result["supervisor"].max_ms == pytest.approx(39.5, abs=0.01)
    assert result["daemon"].max_ms == pytest.approx(0.5, abs=0.01)
    assert result["machine"] is None
