"""A room's thread writes its turn's publications itself, with the network thread busy or not."""

from __future__ import annotations

import selectors
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.api.messages import Message
from roomctl.mqtt import Bus, FastClient, NetworkLoop, parse_broker_url
from roomctl.mqtt.held_writes import held_writes, hold, write_held
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import wait_for

# Mosquitto passes a message on within milliseconds; a loaded machine may take seconds.
ARRIVAL_TIMEOUT_S = 20.0
# Longest the network thread is kept busy: beyond any wait for an arrival, so what arrives
# meanwhile was not written by it (the block ends earlier, when the test is done).
LOOP_BLOCK_LIMIT_S = 3 * ARRIVAL_TIMEOUT_S
# How long a write held up by another thread's use of the connection is watched for.
LOCKED_WAIT_S = 0.3
# Threads publishing at once on one connection, and the messages each sends: 800 in all,
# below the 1,000 Mosquitto queues for a subscriber before it drops (the watcher is slower
# than four publishers).
THREADS = 4
PER_THREAD = 200


@dataclass
class Rig:
    """A real broker, a subscriber that keeps what it hears, and a bus on its own loop."""

    broker: Mosquitto
    loop: NetworkLoop
    bus: Bus
    received: list[str]

    @contextmanager
    def loop_blocked(self) -> Iterator[threading.Event]:
        """Keep the network thread busy until the block ends or the yielded event is set."""
        release, blocked = threading.Event(), threading.Event()

        def hold_thread() -> None:
            blocked.set()
            release.wait(LOOP_BLOCK_LIMIT_S)

        self.loop.call_soon(hold_thread)
        assert blocked.wait(ARRIVAL_TIMEOUT_S)
        try:
            yield release
        finally:
            release.set()

    def expect(self, payloads: list[str], what: str) -> None:
        """Wait until the subscriber has heard exactly these payloads, in this order."""
        wait_for(lambda: self.received == payloads, timeout=ARRIVAL_TIMEOUT_S, what=what)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    broker = Mosquitto(workdir=tmp_path)
    broker.start()
    received: list[str] = []
    subscribed = threading.Event()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2)
    watcher.on_message = lambda _c, _u, msg: received.append(msg.payload.decode())
    watcher.on_subscribe = lambda *_: subscribed.set()
    watcher.connect("127.0.0.1", broker.port)
    watcher.loop_start()
    loop = NetworkLoop()
    loop.start()
    bus = Bus(parse_broker_url(broker.url), "held", lambda _m: None, loop=loop)
    try:
        watcher.subscribe("t/#", qos=1)
        wait_for(subscribed.is_set, what="the watcher's subscription")
        bus.start()
        assert bus.wait_connected(ARRIVAL_TIMEOUT_S)
        yield Rig(broker, loop, bus, received)
    finally:
        bus.stop()
        loop.stop()
        watcher.loop_stop()
        watcher.disconnect()
        broker.stop()


def test_a_turns_publications_leave_from_its_own_thread_while_the_network_thread_is_busy(
    rig: Rig,
) -> None:
    with rig.loop_blocked():
        with held_writes():
            rig.bus.publish(Message("t/a", "event"))
            rig.bus.publish(Message("t/a", "state"))
        # Written by this thread on leaving: nothing waited for the blocked network thread.
        rig.expect(["event", "state"], "the turn's publications")


def test_write_held_sends_at_once_what_the_turn_published_so_far(rig: Rig) -> None:
    with rig.loop_blocked():
        with held_writes():
            rig.bus.publish(Message("t/a", "freeze"))
            write_held()
            rig.expect(["freeze"], "the freeze, before the turn ends")
            rig.bus.publish(Message("t/a", "event"))
        rig.expect(["freeze", "event"], "the rest of the turn")


def test_without_held_writes_the_network_thread_writes_as_before(rig: Rig) -> None:
    with rig.loop_blocked() as release:
        rig.bus.publish(Message("t/a", "reply"))
        assert rig.received == []  # the network thread is the one to write it
        release.set()
        rig.expect(["reply"], "the reply")


def test_a_turn_writes_what_waits_before_it_for_the_busy_network_thread(rig: Rig) -> None:
    # Something of the connection's waits for the network thread (a PINGREQ the loop's
    # keepalive queued, a reply published outside a turn): paho does not ask to write again,
    # and the turn's event, behind it, waited for the loop too. The turn writes both.
    with rig.loop_blocked():
        rig.bus.publish(Message("t/a", "reply"))
        assert rig.received == []
        with held_writes():
            rig.bus.publish(Message("t/a", "event"))
        rig.expect(["reply", "event"], "the waiting reply and the turn's event, in order")


def test_a_thread_never_writes_while_another_uses_the_connection(rig: Rig) -> None:
    # The network thread holds the client's I/O lock while it reads (here: the test holds
    # it); a room's write waits for it, so a socket or TLS session has one user at a time.
    client = rig.bus._client
    assert isinstance(client, FastClient)
    done = threading.Event()

    def turn() -> None:
        with held_writes():
            rig.bus.publish(Message("t/a", "event"))
        done.set()

    with client.io_lock:
        writer = threading.Thread(target=turn)
        writer.start()
        assert not done.wait(LOCKED_WAIT_S)
        assert rig.received == []
    writer.join(ARRIVAL_TIMEOUT_S)
    rig.expect(["event"], "the event")


def test_threads_writing_one_connection_at_once_lose_and_mix_up_nothing(rig: Rig) -> None:
    # The network thread reads the PUBACKs meanwhile.
    def publish(thread: int) -> None:
        for index in range(PER_THREAD):
            with held_writes():
                rig.bus.publish(Message(f"t/{thread}", f"{thread}:{index}"))

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(
        lambda: len(rig.received) == THREADS * PER_THREAD,
        timeout=ARRIVAL_TIMEOUT_S,
        what="every message",
    )
    for number in range(THREADS):
        mine = [m for m in rig.received if m.startswith(f"{number}:")]
        assert mine == [f"{number}:{index}" for index in range(PER_THREAD)]
    assert rig.bus.connected


class _Client:
    """A connection that counts its own writes and says whether some is left."""

    def __init__(self, left: bool = False) -> None:
        self.writes = 0
        self.left = left

    def write_waiting(self) -> bool:
        self.writes += 1
        return self.left


class _Loop:
    """The network loop's side: what it was handed."""

    def __init__(self) -> None:
        self.handed: list[mqtt.Client] = []

    def hand_over(self, client: mqtt.Client) -> None:
        self.handed.append(client)


def test_nested_holding_writes_once_at_the_outer_end_and_leftovers_go_to_the_loop() -> None:
    loop, done_fake, stuck_fake = _Loop(), _Client(), _Client(left=True)
    done, stuck = cast(mqtt.Client, done_fake), cast(mqtt.Client, stuck_fake)
    assert not hold(done, loop)  # outside a turn: the loop writes
    with held_writes():
        with held_writes():
            assert hold(done, loop)
            assert hold(stuck, loop)
        assert (done_fake.writes, stuck_fake.writes) == (0, 0)  # the inner end writes nothing
    assert (done_fake.writes, stuck_fake.writes) == (1, 1)
    assert loop.handed == [stuck]  # what could not be written at once
    assert not hold(done, loop)


def test_a_connection_closed_by_a_write_before_its_read_is_skipped() -> None:
    # The loop writes before it reads: a write that fails closes the connection, and the
    # select's news of that socket must then be passed over, not stop the network thread.
    loop = NetworkLoop()
    gone = cast(mqtt.Client, _Client())
    key = selectors.SelectorKey(fileobj=0, fd=0, events=selectors.EVENT_READ, data=gone)
    loop._service([(key, selectors.EVENT_READ)])  # raised KeyError before
    loop.stop()
