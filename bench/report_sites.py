"""Issue 13's rows: a command through a site's bridge beside the same at the site; catch-up."""

from __future__ import annotations

from typing import Any

from bench.figure import Figure, ms, under

# Issue 13: the bridge adds at most 2 local round trips at p99 (a local round trip: the
# same command sent at the site), and the centre is current within 2 s of a link's return.
EXTRA_ROUND_TRIPS = 2
CATCH_UP_S = 2.0
SITES_METHOD = (
    "- Sites: three Mosquittos on loopback with `set_tcp_nodelay true` (central: TLS, "
    "password accounts and deploy/mosquitto/central.acl; two sites bridged with what "
    "`roomctl bridge-config` prints, each bridge through a TCP relay in a process of "
    "its own that the bench can cut) "
    "and one `roomctl run` per site serving room-1 in a session. Centre: roomctl's CLI "
    "client (connected, TLS) sending pause or resume to clinic/north/roomctl/room-1/cmd "
    "and reading its reply there; site: the same client and commands on the site's "
    "broker, in turn with the centre's. Link's return: the relay is cut, the site's room "
    "paused or resumed, the relay restored after 2-4 s; timed from the restore to the "
    "site's new state arriving at a subscriber of the central broker.",
)


def sites_rows(sites: dict[str, Any]) -> list[Figure]:
    """Return issue 13's rows, each beside its goal or baseline."""
    centre, site, catch_up = sites["centre"], sites["site"], sites["catch_up"]
    limit = (1 + EXTRA_ROUND_TRIPS) * site["p99_ms"]
    return [
        Figure(
            "Sites: command centre → site room → centre",
            ms(centre),
            f"p99 ≤ site p99 + {EXTRA_ROUND_TRIPS} site round trips (= {limit:.1f} ms)",
            under(centre["p99_ms"], limit),
        ),
        Figure("  the same command at the site (baseline)", ms(site), "reference", None),
        Figure(
            "Sites: link's return → centre current",
            f"p50 {catch_up['p50_ms'] / 1000:.2f} / max {catch_up['max_ms'] / 1000:.2f} s "
            f"({catch_up['n']} returns)",
            f"≤ {CATCH_UP_S:g} s",
            under(catch_up["max_ms"] / 1000, CATCH_UP_S),
        ),
    ]
