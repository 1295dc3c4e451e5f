"""Tests for the embedded amqtt broker, with real paho clients and the bus."""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.api.messages import Message
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.bus import Bus
from roomctl.mqtt.embedded_broker import EmbeddedBroker
from tests.fixtures.broker import free_port

# Waits for something that takes milliseconds on a healthy machine.
WAIT_S = 5.0
# How long to watch for a message that must NOT come.
QUIET_S = 0.5


class Peer:
    """A plain paho MQTT 3.1.1 client that records (topic, payload, retain)."""

    def __init__(self, url: BrokerUrl) -> None:
        self.received: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311, reconnect_on_failure=False
        )
        self.client.on_message = lambda _c, _u, m: self.received.put(
            (m.topic, bytes(m.payload), m.retain)
        )
        self._acks = threading.Semaphore(0)
        self.client.on_subscribe = lambda *_: self._acks.release()
        self.disconnected = threading.Event()
        self.client.on_disconnect = lambda *_: self.disconnected.set()
        self.client.connect(url.host, url.port)
        self.client.loop_start()

    def subscribe(self, topic: str) -> None:
        self.client.subscribe(topic, qos=1)
        assert self._acks.acquire(timeout=WAIT_S), f"no SUBACK for {topic}"

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(WAIT_S)
        assert info.is_published()

    def settle(self) -> None:
        """Return once the broker has handled all this peer published (an echo through it)."""
        self.subscribe("sync/echo")
        self.publish("sync/echo", "sync")
        assert self.next() == ("sync/echo", b"sync", False)

    def next(self, timeout: float = WAIT_S) -> tuple[str, bytes, bool]:
        return self.received.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def embedded() -> Iterator[tuple[EmbeddedBroker, BrokerUrl]]:
    broker = EmbeddedBroker()
    url = broker.start()
    yield broker, url
    broker.stop()


def test_start_returns_a_pinned_v311_url_on_loopback(
    embedded: tuple[EmbeddedBroker, BrokerUrl],
) -> None:
    _, url = embedded
    assert (url.scheme, url.host, url.protocol) == ("mqtt", "127.0.0.1", "3.1.1")
    assert url.port > 0


def test_qos1_publish_and_subscribe(embedded: tuple[EmbeddedBroker, BrokerUrl]) -> None:
    _, url = embedded
    listener, talker = Peer(url), Peer(url)
    listener.subscribe("room/+/cmd")
    talker.publish("room/r1/cmd", '{"action": "pause"}')
    assert listener.next() == ("room/r1/cmd", b'{"action": "pause"}', False)
    listener.close()
    talker.close()


def test_retained_reaches_late_subscribers_and_empty_payload_clears(
    embedded: tuple[EmbeddedBroker, BrokerUrl],
) -> None:
    _, url = embedded
    talker = Peer(url)
    talker.publish("room/state", "running", retain=True)
    talker.publish("room/old", "stale", retain=True)
    talker.publish("room/old", "", retain=True)
    talker.settle()
    late = Peer(url)
    late.subscribe("room/#")
    assert late.next() == ("room/state", b"running", True)
    with pytest.raises(queue.Empty):
        late.next(QUIET_S)
    talker.close()
    late.close()


def test_will_published_when_a_client_vanishes(embedded: tuple[EmbeddedBroker, BrokerUrl]) -> None:
    _, url = embedded
    watcher = Peer(url)
    watcher.subscribe("room/availability")
    doomed = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    doomed.will_set("room/availability", "offline", qos=1, retain=True)
    connected = threading.Event()
    doomed.on_connect = lambda *_: connected.set()
    doomed.connect(url.host, url.port)
    while not connected.is_set():
        doomed.loop(0.05)
    sock = doomed.socket()
    assert sock is not None
    sock.close()  # gone without DISCONNECT, as when the process dies
    assert watcher.next() == ("room/availability", b"offline", False)
    late = Peer(url)
    late.subscribe("room/availability")
    assert late.next() == ("room/availability", b"offline", True)
    watcher.close()
    late.close()


def test_bus_runs_a_room_through_it(embedded: tuple[EmbeddedBroker, BrokerUrl]) -> None:
    _, url = embedded
    watcher = Peer(url)
    watcher.subscribe("roomctl/r1/#")
    commands: queue.Queue[bytes] = queue.Queue()
    offline = Message("roomctl/r1/availability", "offline", retain=True)
    bus = Bus(url, "roomctl-r1", lambda m: commands.put(m.payload), will=offline)
    bus.subscribe("roomctl/r1/cmd")
    bus.start()
    assert bus.wait_connected(WAIT_S)
    bus.publish(Message("roomctl/r1/availability", "online", retain=True))
    assert watcher.next() == ("roomctl/r1/availability", b"online", False)
    watcher.publish("roomctl/r1/cmd", '{"action": "stop"}')
    assert watcher.next() == ("roomctl/r1/cmd", b'{"action": "stop"}', False)
    assert commands.get(timeout=WAIT_S) == b'{"action": "stop"}'
    bus.stop(final=[offline])
    assert watcher.next() == ("roomctl/r1/availability", b"offline", False)
    with pytest.raises(queue.Empty):  # a clean stop: no will on top of the final message
        watcher.next(QUIET_S)
    watcher.close()


def test_stop_disconnects_clients_frees_the_port_and_allows_a_restart() -> None:
    port = free_port()
    first = EmbeddedBroker(port=port)
    url = first.start()
    assert url.port == port
    peer = Peer(url)
    first.stop()
    assert peer.disconnected.wait(WAIT_S)
    peer.client.loop_stop()
    assert first.start().port == port  # the same broker again, fresh
    fresh = Peer(url)
    fresh.subscribe("x")
    fresh.close()
    first.stop()


def test_start_twice_is_an_error_and_stop_without_start_is_harmless() -> None:
    EmbeddedBroker().stop()
    broker = EmbeddedBroker()
    broker.start()
    try:
        with pytest.raises(RuntimeError, match="twice"):
            broker.start()
    finally:
        broker.stop()


def test_a_taken_port_is_reported() -> None:
    first = EmbeddedBroker()
    url = first.start()
    try:
        with pytest.raises(RuntimeError, match="failed to start"):
            EmbeddedBroker(port=url.port).start()
    finally:
        first.stop()


def test_logs_warnings_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    broker = EmbeddedBroker()
    url = broker.start()
    peer = Peer(url)
    peer.subscribe("x")
    peer.close()
    broker.stop()
    noisy = [
        r for r in caplog.records if r.name.startswith("amqtt") and r.levelno < logging.WARNING
    ]
    assert noisy == []


def test_a_preferred_port_is_used_when_free_and_another_said_when_taken() -> None:
    preferred = free_port()
    first = EmbeddedBroker(preferred_port=preferred)
    url = first.start()
    try:
        assert url.port == preferred
        assert first.choice is not None and first.choice.instead_of is None
        # The port is taken now (as by another broker): the next one says so and goes on.
        second = EmbeddedBroker(preferred_port=preferred)
        other = second.start()
        try:
            assert other.port != preferred
            assert second.choice is not None and second.choice.instead_of == preferred
            peer = Peer(other)
            peer.settle()
            peer.close()
        finally:
            second.stop()
    finally:
        first.stop()


# A fresh interpreter: import what `roomctl run` imports, see whether amqtt came with it,
# then embed a broker and send a retained message through it with a real paho client.
FRESH_PROCESS = """
import sys, queue
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
import roomctl.cli.run
from roomctl.mqtt.embedded_broker import EmbeddedBroker
print("amqtt loaded before start:", "amqtt" in sys.modules)
broker = EmbeddedBroker()
url = broker.start()
got = queue.Queue()
client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
client.on_message = lambda _c, _u, m: got.put(m.payload.decode())
client.connect(url.host, url.port)
client.loop_start()
client.publish("lazy/check", "through amqtt", qos=1, retain=True).wait_for_publish(5)
client.subscribe("lazy/check", qos=1)
print("received:", got.get(timeout=5))
client.disconnect()
client.loop_stop()
broker.stop()
"""


def test_run_loads_amqtt_only_when_a_broker_is_embedded() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "amqtt loaded before start: False",
        "received: through amqtt",
    ]
