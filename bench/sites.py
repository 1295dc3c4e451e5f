"""Issue 13's rows: a command from the centre through a site's bridge, and a link's return.

Three real Mosquittos (central with TLS, accounts and the shipped ACL; two sites bridged
with what `roomctl bridge-config` prints) and a real `roomctl run` per site: the test
fixture tests/fixtures/sites.py. `python -m bench --only sites` runs it alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from bench.session import Bench
from bench.stats import Spread
from roomctl.api.sites import bridge_state_topic, site_base
from roomctl.api.topics import PREFIX
from roomctl.mqtt.broker_url import parse_broker_url
from roomctl.mqtt.client import Client, Delivery
from tests.fixtures.sites import ROOM, Chain, start_chain

SITE = "north"
# The same command at the centre and at the site, in turn: pause and resume of a session.
ACTIONS = ("pause", "resume")
# An outage lasts a random 2-4 s: long enough for the centre to see the link down, and
# its end falls anywhere in the bridge's 2-s retry cycle.
OUTAGE_S = (2.0, 4.0)
# The longest the centre may take to be current before a trial counts as failed.
CATCH_UP_TIMEOUT_S = 30.0


class View:
    """Every state of the room that arrives at one broker: arrival time and payload."""

    def __init__(self, client: Client, topic: str, link_topic: str | None = None) -> None:
        self._topic = topic
        self._seen: list[tuple[float, bytes]] = []
        self._changed = threading.Condition()
        self.link: bytes = b""  # the last word on the link's notification topic
        client.on_delivery(self._take)
        client.subscribe(*(t for t in (topic, link_topic) if t is not None))

    def _take(self, delivery: Delivery) -> None:
        now = time.monotonic()
        with self._changed:
            if delivery.topic == self._topic:
                self._seen.append((now, delivery.payload))
            else:
                self.link = delivery.payload
            self._changed.notify_all()

    def latest(self) -> bytes:
        """Return the last state seen."""
        with self._changed:
            return self._seen[-1][1] if self._seen else b""

    def wait(self, test: Callable[[View], object], timeout: float = CATCH_UP_TIMEOUT_S) -> None:
        """Wait until test(self) holds."""
        with self._changed:
            if not self._changed.wait_for(lambda: test(self), timeout):
                raise TimeoutError(f"no such state on {self._topic} within {timeout:g} s")

    def since(self, after: float) -> list[tuple[float, bytes]]:
        """Return the states that arrived after a monotonic time, with their arrival."""
        with self._changed:
            return [(at, seen) for at, seen in self._seen if at >= after]


def sites_part(bench: Bench) -> None:
    """Measure commands from the centre beside the same at the site, and the link's returns."""
    bench.say("sites: a central broker and two bridged sites, each with `roomctl run`")
    chain = start_chain(bench.dir("sites"))
    bench.stack.callback(_close, chain)
    site = chain.sites[SITE]
    base = site_base(SITE)
    centre = Client(parse_broker_url(chain.central_url), base).__enter__()
    local = Client(parse_broker_url(site.url)).__enter__()
    bench.stack.callback(centre.__exit__)
    bench.stack.callback(local.__exit__)
    reply = centre.command(ROOM, {"action": "start", "profile": "cued"})
    if not reply.get("ok"):
        raise RuntimeError(f"sites: the session did not start: {reply}")
    rounds = bench.plan.sites_rounds
    bench.say(f"sites: {rounds} commands at the centre and {rounds} at the site, in turn")
    took: dict[str, list[float]] = {"centre": [], "site": []}
    for n in range(rounds * 2):
        where = ("centre", "site")[(n // 2) % 2]  # a pause and a resume each, in turn
        action = ACTIONS[n % 2]
        client = centre if where == "centre" else local
        start = time.monotonic()
        answer = client.command(ROOM, {"action": action})
        took[where].append(time.monotonic() - start)
        if not answer.get("ok"):
            raise RuntimeError(f"sites: {action} at the {where} refused: {answer}")
    bench.say(f"sites: the link cut and restored {bench.plan.sites_returns} times")
    returns = _link_returns(bench, chain, centre, local)
    results: dict[str, Any] = {key: Spread.of(values).as_dict() for key, values in took.items()}
    results["catch_up"] = Spread.of(returns).as_dict()
    bench.results["sites"] = results


def _link_returns(bench: Bench, chain: Chain, centre: Client, local: Client) -> list[float]:
    """Return, per outage, the seconds from the link's return to the centre being current."""
    link = chain.sites[SITE].link
    there = View(centre, f"{site_base(SITE)}/{ROOM}/state", bridge_state_topic(SITE))
    here = View(local, f"{PREFIX}/{ROOM}/state")
    times: list[float] = []
    for n in range(bench.plan.sites_returns):
        link.cut()
        there.wait(lambda view: view.link == b"0")
        # Change the room at the site while the centre cannot see it.
        action = ACTIONS[n % 2]
        changed = time.monotonic()
        answer = local.command(ROOM, {"action": action})
        if not answer.get("ok"):
            raise RuntimeError(f"sites: {action} at the site refused: {answer}")

        def changed_here(view: View, t: float = changed) -> bool:
            return bool(view.since(t))

        here.wait(changed_here)
        time.sleep(bench.rng.uniform(*OUTAGE_S))  # the outage's length, not a state
        link.restore()
        restored = time.monotonic()

        def caught_up(view: View, t: float = changed, r: float = restored) -> float | None:
            """Return when a state the site published since the change reached the centre."""
            current = {seen for _, seen in here.since(t)}
            return next((at for at, seen in view.since(r) if seen in current), None)

        there.wait(caught_up)
        arrived = caught_up(there)
        assert arrived is not None
        times.append(arrived - restored)
        there.wait(lambda view: view.link == b"1")
    return times


def _close(chain: Chain) -> None:
    for site in chain.sites.values():
        site.close()
    chain.central.stop()
