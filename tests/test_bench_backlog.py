"""Issue 14's bench rows: misses count as beyond the timeout; verdicts against quiet p99 + 20 ms."""

from __future__ import annotations

from bench import MARGIN_MS, TRIAL_TIMEOUT_S, Row, backlog_rows, spread


def _row(seconds: list[float | None], **extra: object) -> dict[str, object]:
    row = Row(last=list(seconds), first=list(seconds), planned=len(seconds))
    row.extra.update(extra)
    return row.as_dict()


def _results(**rows: dict[str, object]) -> dict[str, object]:
    return {
        "timeout_s": TRIAL_TIMEOUT_S,
        "junk_commands": 500,
        "flood_commands": 2000,
        "flood_clients": 3,
        "margin_ms": MARGIN_MS,
        **rows,
    }


def test_spread_interpolates_between_times_and_never_past_a_miss() -> None:
    assert spread([0.004, 0.006, 0.010]) == {"n": 3, "p50_ms": 6.0, "p99_ms": 9.92, "max_ms": 10.0}
    one_miss = spread([0.005] * 99 + [None])
    assert one_miss["p50_ms"] == 5.0
    assert one_miss["p99_ms"] is None  # between the 99th time and the miss: beyond the timeout
    assert one_miss["max_ms"] is None
    assert spread([None, None])["p50_ms"] is None
    assert spread([])["p50_ms"] is None


def test_rows_meet_within_quiet_p99_plus_margin_and_miss_beyond_or_on_a_miss() -> None:
    quiet = _row([0.005, 0.007])  # p99 about 7 ms: the limit is about 27 ms
    results = _results(
        quiet=quiet,
        junk=_row([0.020, 0.026]),
        flood=_row([0.020, 0.300]),
        frozen=_row([0.010, None]),
    )
    rows = {r.name.strip(): r for r in backlog_rows(results)}
    assert rows["Emergency → 12th light, quiet"].met is None
    assert rows["behind 500 junk commands, sent to cmd"].met is True
    assert rows["during a 2,000-command flood (3 clients), to cmd"].met is False
    frozen = rows["state disk frozen (fsfreeze), after a pause"]
    assert frozen.met is False
    assert "p99 > 5000 ms" in frozen.measured
    assert "1 missed > 5 s" in frozen.measured


def test_a_skipped_or_stopped_row_is_not_met() -> None:
    skipped = Row(skipped="needs root (loop mount, fsfreeze)").as_dict()
    stopped = Row(last=[0.010], first=[0.010], error="backlog did not handle its junk").as_dict()
    results = _results(quiet=_row([0.005]), junk=stopped, flood=_row([0.010]), frozen=skipped)
    rows = {r.name.strip(): r for r in backlog_rows(results)}
    assert rows["behind 500 junk commands, sent to cmd"].met is False
    assert (
        "stopped: backlog did not handle its junk"
        in rows["behind 500 junk commands, sent to cmd"].measured
    )
    frozen = rows["state disk frozen (fsfreeze), after a pause"]
    assert frozen.met is None
    assert frozen.measured == "not measured: needs root (loop mount, fsfreeze)"
