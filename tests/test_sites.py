"""A clinic chain on real brokers: commands from the centre, a failed link, the central ACL.

Three real Mosquittos (central with TLS, accounts and deploy/mosquitto/central.acl; two
sites bridged with what `roomctl bridge-config` prints), a real `roomctl run` per site
serving room-1, and the real CLI at the centre with --site.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from roomctl.api.send_time import (
    COMMAND_EXPIRY_S,
    MAX_COMMAND_AGE_S,
    REPLY_TIMEOUT_S,
    wire_time,
)
from roomctl.cli.exits import EXIT_ACCEPTED, EXIT_NO_REPLY
from tests.fixtures.room import QUIET_S, wait_for
from tests.fixtures.sites import CUE_TIMES_S, ROOM, Chain, Tap, chain

__all__ = ["chain"]  # the fixture, used by name

STATE = f"roomctl/{ROOM}/state"
EVENTS = f"roomctl/{ROOM}/events"
REPLY = f"roomctl/{ROOM}/reply"
CMD = f"roomctl/{ROOM}/cmd"
# MQTT v5 PUBACK reason: the broker's ACL refused the publish.
NOT_AUTHORIZED = 0x87
# How long the link of site north stays down: the 20 s.
OUTAGE_S = 20.0
# A cue fires within a few tens of ms of its time on an idle machine; 0.5 s allows a
# loaded 2-core machine and still shows a session held up by an outage (seconds).
CUE_TOLERANCE_S = 0.5
# After the link's return the centre must show the site's current state within 5 s.
CATCH_UP_S = 5.0
# The sites' own topics at the centre.
NORTH = f"clinic/north/roomctl/{ROOM}"


def _local(chain: Chain, site: str) -> Tap:
    tap = Tap(chain.sites[site].broker.port)
    tap.subscribe(f"roomctl/{ROOM}/#")
    wait_for(lambda: tap.last(STATE), what=f"{site}'s retained state")
    return tap


def _status(tap: Tap) -> str:
    last = tap.last(STATE)
    assert last is not None
    return str(last.json()["status"])


def test_a_command_from_the_centre_reaches_its_sites_room_and_no_other(chain: Chain) -> None:
    north, south = _local(chain, "north"), _local(chain, "south")
    started = time.monotonic()
    done = chain.cli(
        "start", "cued", "--room", ROOM, "--site", "north", "--broker", chain.central_url,
        "--operator", "kim",
    )  # fmt: skip
    assert done.returncode == EXIT_ACCEPTED, done.stderr
    assert "north/room-1: start accepted; the session is running" in done.stdout
    wait_for(lambda: _status(north) == "running", what="north's room running")
    sent = [s.json() for s in north.on(CMD, started)]
    assert [(c["action"], c["operator"]) for c in sent] == [("start", "kim")]
    assert "sent_at" in sent[0]  # the CLI says when it sent it
    # Its message expiry came across the bridge: a broker on the way drops it when late.
    expiry = north.on(CMD, started)[0].expiry_s
    assert expiry is not None and 0 < expiry <= COMMAND_EXPIRY_S
    # The centre sees north running and south idle, each under its own site.
    for site, expected in (("north", "running"), ("south", "idle")):
        shown = chain.cli("status", "--room", ROOM, "--site", site, "--broker", chain.central_url)
        assert shown.returncode == 0, shown.stderr
        assert expected in shown.stdout, shown.stdout
    # South's room-1 got nothing at all.
    assert south.on(CMD, started) == [] and south.on(REPLY, started) == []
    assert _status(south) == "idle"

    # A command sent long ago (held up somewhere) is refused at the site, and the reply
    # says so at the centre.
    centre = chain.tap()
    centre.subscribe(f"{NORTH}/reply")
    old = wire_time(datetime.now(tz=UTC) - timedelta(seconds=MAX_COMMAND_AGE_S + 30))
    late = {"action": "pause", "request_id": "late-1", "sent_at": old, "operator": "kim"}
    centre.publish(f"{NORTH}/cmd", json.dumps(late))
    reply = wait_for(
        lambda: [s.json() for s in centre.on(f"{NORTH}/reply") if b"late-1" in s.payload],
        what="the late pause's reply at the centre",
    )[0]
    assert reply["ok"] is False and reply["status"] == "running"
    assert "pause was sent 45" in reply["error"] and "not applied" in reply["error"]
    assert _status(north) == "running"
    centre.stop()
    north.stop()
    south.stop()


def test_a_site_account_cannot_command_or_forge_another_site(chain: Chain) -> None:
    south = _local(chain, "south")
    started = time.monotonic()
    bridge = chain.tap("site-north")
    pause = json.dumps({"action": "pause", "request_id": "forged"})
    for topic, payload in (
        (f"clinic/south/roomctl/{ROOM}/cmd", pause),
        (f"clinic/south/roomctl/{ROOM}/emergency", json.dumps({"action": "emergency"})),
        (f"clinic/south/roomctl/{ROOM}/state", '{"status":"paused"}'),
        ("clinic/south/bridge/state", "0"),
        (f"{NORTH}/cmd", pause),  # a site's account carries no commands, even its own
    ):
        code = bridge.puback(bridge.publish(topic, payload))
        assert code.value == NOT_AUTHORIZED, (topic, code)
    bridge.stop()
    # The supervisor's command reaches south by the same path: the forged ones never did.
    done = chain.cli("next", "--room", ROOM, "--site", "south", "--broker", chain.central_url)
    assert "refused" in done.stderr  # an idle room has no next phase: it answered
    commands = [s.json()["action"] for s in south.on(CMD, started)]
    assert commands == ["next"]
    assert _status(south) == "idle"
    south.stop()


def test_a_site_keeps_its_session_while_its_link_is_down(chain: Chain) -> None:
    north = _local(chain, "north")
    centre = chain.tap()
    centre.subscribe("clinic/north/#")
    wait_for(lambda: centre.last(f"{NORTH}/state"), what="north's state at the centre")
    done = chain.cli(
        "start", "cued", "--room", ROOM, "--site", "north", "--broker", chain.central_url
    )
    assert done.returncode == EXIT_ACCEPTED, done.stderr

    def cues() -> dict[float, float]:
        found = [(s.json(), s.at) for s in north.on(EVENTS) if b'"cue"' in s.payload]
        return {event["at_s"]: at for event, at in found if event["type"] == "cue"}

    wait_for(lambda: CUE_TIMES_S[0] in cues(), timeout=15, what="the first cue")
    chain.sites["north"].link.cut()
    cut = time.monotonic()
    wait_for(
        lambda: (s := centre.last("clinic/north/bridge/state")) and s.payload == b"0",
        what="the centre seeing north's link down",
    )
    # The site works on its own: its local CLI reads and commands its room.
    local = chain.sites["north"].url
    shown = chain.cli("status", "--room", ROOM, "--broker", local)
    assert shown.returncode == 0 and "running" in shown.stdout, shown.stdout + shown.stderr
    acked = chain.cli("ack", "--room", ROOM, "--broker", local, "--operator", "nurse")
    assert acked.returncode == EXIT_ACCEPTED, acked.stderr
    # A pause from the centre gets no reply, at the time.
    asked = time.monotonic()
    paused = chain.cli("pause", "--room", ROOM, "--site", "north", "--broker", chain.central_url)
    took = time.monotonic() - asked
    assert paused.returncode == EXIT_NO_REPLY, paused.stdout + paused.stderr
    assert "no reply from room room-1" in paused.stderr
    assert took >= REPLY_TIMEOUT_S
    # The link stays down 20 s; cues keep firing at the site meanwhile.
    in_outage = [t for t in CUE_TIMES_S if CUE_TIMES_S[0] + 5 <= t <= CUE_TIMES_S[0] + OUTAGE_S]
    wait_for(lambda: max(in_outage) in cues(), timeout=OUTAGE_S + 10, what="cues in the outage")
    while time.monotonic() - cut < OUTAGE_S:
        time.sleep(0.1)  # the outage's length is the scenario, not a state to wait for
    chain.sites["north"].link.restore()
    restored = time.monotonic()

    def current() -> bool:
        here, there = north.last(STATE), centre.last(f"{NORTH}/state")
        return bool(here and there and there.at > restored and there.payload == here.payload)

    wait_for(current, timeout=CATCH_UP_S, what="the centre's view current after the link")
    caught_up = time.monotonic() - restored
    wait_for(
        lambda: (s := centre.last("clinic/north/bridge/state")) and s.payload == b"1",
        what="the link up at the centre",
    )
    # A newcomer at the centre reads it from the retained state at once.
    shown = chain.cli("status", "--room", ROOM, "--site", "north", "--broker", chain.central_url)
    assert "running" in shown.stdout, shown.stdout
    # The pause sent during the outage is never applied, not even after the link's return.
    time.sleep(QUIET_S * 3)  # watching for a late pause that must not come
    assert [s.json()["action"] for s in north.on(CMD, cut)] == ["ack"]
    assert all(s.json()["status"] == "running" for s in north.on(STATE, cut))
    assert not [s for s in north.on(EVENTS, cut) if b'"paused"' in s.payload]
    # Every cue kept time through the outage: each one's interval from the first is the
    # profile's, within a tolerance far below an outage's seconds.
    wait_for(lambda: max(in_outage) + 5 in cues(), timeout=15, what="a cue after the link")
    fired = cues()
    first = fired[CUE_TIMES_S[0]]
    errors = {t: (at - first) - (t - CUE_TIMES_S[0]) for t, at in fired.items()}
    assert all(abs(error) < CUE_TOLERANCE_S for error in errors.values()), errors
    assert caught_up < CATCH_UP_S
    centre.stop()
    north.stop()
