"""Issue 13's bench rows: the bridge's cost and the link's return, judged against the goals."""

from __future__ import annotations

from bench.report_sites import sites_rows


def _spread(p50: float, p99: float, n: int = 100) -> dict[str, float]:
    return {"n": n, "p50_ms": p50, "p99_ms": p99, "max_ms": p99}


def test_the_bridge_may_add_two_site_round_trips_at_p99() -> None:
    catch_up = _spread(900.0, 1500.0, 8)
    met = sites_rows({"centre": _spread(6, 30.0), "site": _spread(5, 10.0), "catch_up": catch_up})
    missed = sites_rows(
        {"centre": _spread(6, 30.1), "site": _spread(5, 10.0), "catch_up": catch_up}
    )
    assert met[0].met is True and missed[0].met is False
    assert "30.0 ms" in met[0].target


def test_the_centre_must_be_current_within_two_seconds_of_every_return() -> None:
    commands = {"centre": _spread(6, 10.0), "site": _spread(5, 10.0)}
    slow = sites_rows({**commands, "catch_up": _spread(900.0, 2100.0, 8)})
    fast = sites_rows({**commands, "catch_up": _spread(900.0, 1900.0, 8)})
    assert slow[2].met is False and fast[2].met is True
    assert "max 2.10 s (8 returns)" in slow[2].measured
