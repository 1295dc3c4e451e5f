"""Issue 11's rows: the console's live pages, a button's command and the console's memory.

A real Mosquitto (the Bench's), a real `roomctl run`, a real `roomctl console` and real
headless Chromium pages (bench.console_pages). `python -m bench --only console` runs it alone.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from bench.console_live import LiveReader
from bench.console_pages import (
    SESSION_COOKIE,
    Chromium,
    changed_at,
    last_click,
    watch,
    watch_clicks,
)
from bench.daemon import ONLINE_TIMEOUT_S
from bench.rooms import SIX_LIGHTS, Light
from bench.session import Bench
from bench.stats import Spread
from roomctl.mqtt.broker_url import parse_broker_url
from roomctl.mqtt.client import Client, Delivery
from tests.fixtures.console import SUPERVISOR, ConsoleProcess, login_api, make_users_file

# Issue 11: 20 open pages; the console's memory with 50 rooms (targets: report_console).
PAGES = 20
RSS_ROOMS = 50
ROOM = "console-1"
LIGHT = (Light("bulb", "zigbee2mqtt"),)
# What each command turns the room's status into.
SHOWS = {"pause": "paused", "resume": "running"}
# After a trial, 20 pages have re-rendered and the console has settled within this long,
# so one trial's work does not spill into the next one's figure.
SETTLE_S = 0.2
# How long the console may take to hear of 50 rooms' states once they are served.
ROOMS_TIMEOUT_S = 60.0
# ... and then of their catalogs, published with the states (none from an older daemon).
CATALOG_TIMEOUT_S = 10.0
# How often the console's room list is asked again while waiting.
POLL_S = 0.2
# Echo round trips taken beside the commands, for the target.
PINGS = 50
KIB = 1024


class StateWatch:
    """Keep every arrival of one room's state: wall time and status."""

    def __init__(self, broker_url: str, room: str) -> None:
        self._arrivals: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._client = Client(parse_broker_url(broker_url)).__enter__()
        self._client.on_delivery(self._take)
        self._client.subscribe(f"roomctl/{room}/state")

    def _take(self, delivery: Delivery) -> None:
        wall = time.time()
        status = str(json.loads(delivery.payload).get("status"))
        with self._changed:
            self._arrivals.append((wall, status))
            self._changed.notify_all()

    def arrived(self, status: str, after_s: float, timeout: float = ONLINE_TIMEOUT_S) -> float:
        """Return when the first state with status arrived after after_s (wall clock)."""

        def first() -> float | None:
            return next((w for w, s in self._arrivals if s == status and w >= after_s), None)

        with self._changed:
            if not self._changed.wait_for(lambda: first() is not None, timeout):
                raise TimeoutError(f"no {status} state of {ROOM} within {timeout:g} s")
            found = first()
        assert found is not None
        return found

    def close(self) -> None:
        """Disconnect."""
        self._client.__exit__()


def memory_mb(pid: int) -> tuple[float, float]:
    """Return a process's resident memory now and at its peak (VmRSS, VmHWM) in MiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (
        int(fields["VmRSS"].split()[0]) / KIB,
        int(fields["VmHWM"].split()[0]) / KIB,
    )


def _timed(call: Callable[[str], object], action: str) -> float:
    """Return how long call(action) took, in seconds."""
    start = time.monotonic()
    call(action)
    return time.monotonic() - start


@dataclass
class Rig:
    """What the console rows run on: the console, a logged-in client, the pages."""

    bench: Bench
    console: ConsoleProcess
    http: httpx.Client
    states: StateWatch
    live: LiveReader
    chromium: Chromium
    cookie: str
    overview: list[Page]
    room_page: Page


def _forget_earlier_rooms(broker_url: str) -> int:
    """Clear the retained messages of earlier parts' rooms (their daemons have stopped).

    The console shows every room on its broker: without this, the 20 pages would each
    draw the hundreds of rooms the scale part left behind, not the one room measured.
    """
    with Client(parse_broker_url(broker_url)) as client:
        topics = sorted({d.topic for d in client.retained("roomctl/#") if d.retained})
        client.clear_retained(*topics)
    return len(topics)


def _rig(bench: Bench) -> Rig:
    """Start the room's daemon and session, the console, Chromium and its pages."""
    sup = bench.sup
    cleared = _forget_earlier_rooms(bench.broker.url)
    bench.say(f"console: cleared {cleared} retained messages of earlier parts' rooms")
    if "rtt" not in bench.results:  # the latency part's echo process is not running
        bench.process("bench.echo", ["--broker", bench.broker.url], "echo-console.log")
    daemon = bench.daemon([bench.files.room(ROOM, LIGHT)], "console")
    sup.wait_ready(ROOM, daemon.started_mono, ONLINE_TIMEOUT_S)
    sup.command(ROOM, "start", profile=bench.files.hold())
    users = make_users_file(bench.dir("console") / "users.yaml", [SUPERVISOR])
    console = ConsoleProcess(bench.broker, users, bench.dir("console"))
    bench.say("console: starting roomctl console and Chromium")
    console.start()
    bench.stack.callback(console.stop)
    http = console.client()
    bench.stack.callback(http.close)
    login_api(http, SUPERVISOR)
    cookie = http.cookies.get(SESSION_COOKIE)
    if cookie is None:
        raise RuntimeError(f"the console set no {SESSION_COOKIE} cookie: {console.log}")
    states = StateWatch(bench.broker.url, ROOM)
    bench.stack.callback(states.close)
    streaming = console.client()
    streaming.cookies.set(SESSION_COOKIE, cookie)
    live = LiveReader(streaming)
    bench.stack.callback(live.close)
    chromium = Chromium()
    bench.stack.callback(chromium.close)
    (room_page,) = chromium.open(console.url, cookie, f"/rooms/{ROOM}", 1)
    watch(room_page, "#room-status", "room")
    watch_clicks(room_page)
    changed_at(room_page, "room", "running", 0.0)
    return Rig(bench, console, http, states, live, chromium, cookie, [], room_page)


def _open_overview(rig: Rig) -> None:
    """Open the 20 overview pages, each watching the room's status."""
    rig.overview = rig.chromium.open(rig.console.url, rig.cookie, "/", PAGES)
    for page in rig.overview:
        watch(page, f'.room-card[data-room="{ROOM}"] .room-status', "status")
        changed_at(page, "status", "running", 0.0)


def _updates(rig: Rig) -> dict[str, list[float]]:
    """Pause and resume in turn; return the delays from the state's arrival on MQTT, in s.

    Every page's, each trial's first page's, and the /live event's at a client without a
    browser (the console's own share).
    """
    updates: list[float] = []
    firsts: list[float] = []
    streamed: list[float] = []
    for trial in range(rig.bench.plan.console_trials):
        action = "pause" if trial % 2 == 0 else "resume"
        sent = time.time()
        rig.bench.sup.command(ROOM, action)
        arrived = rig.states.arrived(SHOWS[action], sent)
        streamed.append(rig.live.arrived(ROOM, SHOWS[action], sent) - arrived)
        delays = [changed_at(p, "status", SHOWS[action], sent) - arrived for p in rig.overview]
        updates += delays
        firsts.append(min(delays))
        changed_at(rig.room_page, "room", SHOWS[action], sent)
        time.sleep(SETTLE_S)
    return {"update": updates, "first_page": firsts, "live_event": streamed}


def _press(rig: Rig, action: str) -> float:
    """Press the room page's button; return the time until the page shows its result, s."""
    sent = time.time()
    rig.room_page.click(f'button[data-action="{action}"]')
    shown = changed_at(rig.room_page, "room", SHOWS[action], sent)
    return shown - last_click(rig.room_page, action)


def _commands(rig: Rig) -> dict[str, list[float]]:
    """Pause and resume by button, by the console's API and by the CLI's client, in rounds."""
    taken: dict[str, list[float]] = {"button": [], "api": [], "cli": []}
    with Client(parse_broker_url(rig.bench.broker.url)) as client:

        def by_api(action: str) -> None:
            reply = rig.http.post(f"/api/rooms/{ROOM}/commands", json={"action": action})
            if reply.status_code != httpx.codes.OK or not reply.json().get("ok"):
                raise RuntimeError(f"the console's {action}: {reply.status_code} {reply.text}")

        def by_cli(action: str) -> None:
            reply = client.command(ROOM, {"action": action})
            if not reply.get("ok"):
                raise RuntimeError(f"the CLI's {action}: {reply}")

        for _ in range(rig.bench.plan.console_rounds):
            for way, send in (("button", None), ("api", by_api), ("cli", by_cli)):
                for action in ("pause", "resume"):
                    taken[way].append(_press(rig, action) if send is None else _timed(send, action))
                    time.sleep(SETTLE_S)
    return taken


def console_part(bench: Bench) -> None:
    """Measure the console: live updates on 20 pages, commands, memory with 50 rooms."""
    rig = _rig(bench)
    # Commands first, with only the room's page open: the overview pages' rendering would
    # take the same 2 cores as the daemon, which a clinic's tablets do not.
    bench.say(f"console: {bench.plan.console_rounds} rounds of button, API and CLI commands")
    taken = _commands(rig)
    _open_overview(rig)
    bench.say(f"console: {bench.plan.console_trials} state changes on {PAGES} pages")
    delays = _updates(rig)
    rtt = [bench.sup.ping() for _ in range(PINGS)]
    results: dict[str, Any] = {"pages": PAGES}
    results.update({key: Spread.of(seconds).as_dict() for key, seconds in delays.items()})
    results.update({way: Spread.of(seconds).as_dict() for way, seconds in taken.items()})
    results["rtt"] = Spread.of(rtt).as_dict()
    results["memory"] = _memory_with_rooms(bench, rig.http, rig.console)
    bench.results["console"] = results


def _memory_with_rooms(bench: Bench, http: httpx.Client, console: ConsoleProcess) -> dict[str, Any]:
    """Serve 49 more rooms; return the console's memory once it shows all 50."""
    bench.say(f"console: memory with {RSS_ROOMS} rooms")
    assert console.process is not None
    one_room, _ = memory_mb(console.process.pid)
    rooms = [bench.files.room(f"console-{n}", SIX_LIGHTS) for n in range(2, RSS_ROOMS + 1)]
    daemon = bench.daemon(rooms, "console-rooms")

    def listed(key: str) -> list[dict[str, Any]]:
        daemon.check_running()
        return [r for r in http.get("/api/rooms").json() if r.get(key)]

    deadline = time.monotonic() + ROOMS_TIMEOUT_S
    while len(stated := listed("state")) < RSS_ROOMS:
        if time.monotonic() > deadline:
            shown = f"{len(stated)} of {RSS_ROOMS}"
            raise RuntimeError(f"the console shows {shown} rooms: {console.log}")
        time.sleep(POLL_S)
    # A daemon publishes each room's catalog as it starts serving it, beside its state.
    deadline = time.monotonic() + CATALOG_TIMEOUT_S
    while len(with_catalog := listed("profiles")) < RSS_ROOMS and time.monotonic() < deadline:
        time.sleep(POLL_S)
    rss, peak = memory_mb(console.process.pid)
    return {
        "rooms": len(stated),
        "catalogs": len(with_catalog),
        "rss_one_room_mb": one_room,
        "rss_mb": rss,
        "peak_rss_mb": peak,
    }
