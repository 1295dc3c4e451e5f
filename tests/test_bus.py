"""Tests for the bus against a real Mosquitto (and amqtt for the v3.1.1 fallback)."""

from __future__ import annotations

import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from roomctl.api.messages import Inbound, Message
from roomctl.backoff import Backoff
from roomctl.mqtt.broker_url import BrokerUrl, parse_broker_url
from roomctl.mqtt.bus import Bus
from roomctl.mqtt.embedded_broker import EmbeddedBroker
from tests.fixtures.broker import Mosquitto, TlsFiles, write_password_file
from tests.fixtures.room import wait_for

# Waits for something that takes milliseconds on a healthy machine.
WAIT_S = 5.0
# How long to watch for a message that must NOT come: the broker acts within milliseconds.
QUIET_S = 0.5
# Small reconnect backoff so broker-restart tests reconnect within about a second.
FAST = (0.2, 0.4)


class Observer:
    """A plain paho client that records what it receives (topic, payload, retain)."""

    def __init__(self, url: str, *topics: str) -> None:
        broker = parse_broker_url(url)
        self.received: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        v5 = broker.protocol != "3.1.1"
        protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=protocol)
        if broker.username is not None:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set(ca_certs=broker.ca_file)
        self.client.on_message = lambda _c, _u, m: self.received.put(
            (m.topic, bytes(m.payload), m.retain)
        )
        subscribed = threading.Semaphore(0)
        self.client.on_subscribe = lambda *_: subscribed.release()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        for topic in topics:
            self.client.subscribe(topic, qos=1)
            assert subscribed.acquire(timeout=WAIT_S), f"no SUBACK for {topic}"

    def next(self, timeout: float = WAIT_S) -> tuple[str, bytes, bool]:
        return self.received.get(timeout=timeout)

    def wait_for(self, topic: str, payload: bytes, timeout: float = WAIT_S) -> bool:
        """Return the retain flag of the first (topic, payload) to arrive; fail if none does."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                got_topic, got_payload, retain = self.received.get(timeout=left)
            except queue.Empty:
                break
            if (got_topic, got_payload) == (topic, payload):
                return retain
        raise AssertionError(f"{topic} {payload!r} did not arrive within {timeout} s")

    def publish(self, topic: str, payload: str, properties: Properties | None = None) -> None:
        self.client.publish(topic, payload, qos=1, properties=properties).wait_for_publish(WAIT_S)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_for_error(bus: Bus) -> str:
    """Return the bus's last_error once it has one; fail if none comes."""
    error: str = wait_for(lambda: bus.last_error, WAIT_S, "the bus to report a failed attempt")
    return error


def retained(url: str, topic: str, timeout: float = WAIT_S) -> bytes | None:
    """Return what the broker holds retained on topic, as a new subscriber sees it."""
    observer = Observer(url, topic)
    try:
        got_topic, payload, retain = observer.next(timeout)
    except queue.Empty:
        return None
    finally:
        observer.close()
    assert (got_topic, retain) == (topic, True)
    return payload


def not_retained(url: str, topic: str) -> bool:
    """Return whether a new subscriber to topic gets nothing within QUIET_S."""
    return retained(url, topic, QUIET_S) is None


class Recorder:
    """What a bus handed to its owner: messages and connection changes."""

    def __init__(self) -> None:
        self.messages: queue.Queue[Inbound] = queue.Queue()
        self.connections: list[bool] = []
        self.connected_count = threading.Semaphore(0)

    def on_message(self, inbound: Inbound) -> None:
        self.messages.put(inbound)

    def on_connection(self, up: bool) -> None:
        self.connections.append(up)
        if up:
            self.connected_count.release()

    def wait_connected(self) -> None:
        assert self.connected_count.acquire(timeout=WAIT_S), "bus did not (re)connect"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


class MakeBus(Protocol):
    def __call__(self, url: str | BrokerUrl, will: Message | None = None) -> Bus: ...


@pytest.fixture
def make_bus(recorder: Recorder) -> Iterator[MakeBus]:
    """Return a maker of buses reporting to recorder, each stopped at the end of the test."""
    buses: list[Bus] = []

    def make(url: str | BrokerUrl, will: Message | None = None) -> Bus:
        broker = parse_broker_url(url) if isinstance(url, str) else url
        bus = Bus(
            broker,
            f"test-bus-{len(buses)}",
            recorder.on_message,
            will=will,
            on_connection=recorder.on_connection,
            backoff=Backoff(*FAST, rng=random.Random(7)),
        )
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        bus.stop()


@pytest.fixture
def started(mosquitto: Mosquitto, recorder: Recorder, make_bus: MakeBus) -> Bus:
    """Return a connected bus subscribed to t/cmd."""
    bus = make_bus(mosquitto.url)
    bus.subscribe("t/cmd")
    bus.start()
    recorder.wait_connected()
    return bus


def test_backoff_doubles_to_the_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(first_s=0.5, max_s=4.0, rng=random.Random(1))
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    delays = [backoff.next_delay() for _ in ceilings]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered, not a fixed schedule
    backoff.reset()
    assert 0.25 <= backoff.next_delay() <= 0.5


def test_backoff_jitter_spreads_clients_apart() -> None:
    firsts = [Backoff(1.0, 8.0, random.Random(seed)).next_delay() for seed in range(50)]
    assert min(firsts) >= 0.5
    assert max(firsts) <= 1.0
    assert max(firsts) - min(firsts) > 0.3


def test_messages_flow_both_ways(started: Bus, mosquitto: Mosquitto, recorder: Recorder) -> None:
    observer = Observer(mosquitto.url, "t/out")
    started.publish(Message("t/out", "hello"))
    assert observer.wait_for("t/out", b"hello") is False
    observer.publish("t/cmd", '{"action": "pause"}')
    inbound = recorder.messages.get(timeout=WAIT_S)
    assert (inbound.topic, inbound.payload) == ("t/cmd", b'{"action": "pause"}')
    assert inbound.response_topic is None
    assert started.connected
    assert started.mqtt_v5
    assert started.last_error is None
    observer.close()


def test_connects_once_the_broker_comes_up(
    tmp_path: Path, recorder: Recorder, make_bus: MakeBus
) -> None:
    broker = Mosquitto(workdir=tmp_path)
    bus = make_bus(broker.url)
    bus.subscribe("t/cmd")
    bus.publish(Message("t/avail", "online", retain=True))
    bus.start()
    assert not bus.wait_connected(0.5)
    assert bus.last_error == "cannot connect to the broker (unreachable, or TLS failed)"
    broker.start()
    try:
        assert bus.wait_connected(WAIT_S)  # connected means replayed and subscribed
        assert bus.last_error is None
        assert retained(broker.url, "t/avail") == b"online"
        observer = Observer(broker.url)
        observer.publish("t/cmd", "first command")
        assert recorder.messages.get(timeout=WAIT_S).payload == b"first command"
        assert recorder.connections == [True]
        observer.close()
    finally:
        bus.stop()
        broker.stop()
    assert recorder.connections == [True, False]


def test_messages_held_while_refused_go_out_once_accepted(
    tmp_path: Path, recorder: Recorder, make_bus: MakeBus
) -> None:
    users = tmp_path / "passwd"
    broker = Mosquitto(workdir=tmp_path, password_file=users)
    write_password_file(users, {"watcher": "w"})
    broker.start()
    try:
        observer = Observer(f"mqtt://watcher:w@127.0.0.1:{broker.port}", "t/#")
        bus = make_bus(f"mqtt://room:r@127.0.0.1:{broker.port}")
        bus.start()
        assert wait_for_error(bus) == "broker refused the connection: Not authorized"
        bus.publish(Message("t/events", "held 1"))
        bus.publish(Message("t/events", "held 2"))
        bus.publish(Message("t/state", "latest", retain=True))
        write_password_file(users, {"watcher": "w", "room": "r"})
        assert broker.process is not None
        broker.process.send_signal(signal.SIGHUP)  # mosquitto reloads its password file
        recorder.wait_connected()
        got = [observer.next()[:2] for _ in range(3)]
        assert got == [("t/events", b"held 1"), ("t/events", b"held 2"), ("t/state", b"latest")]
        with pytest.raises(queue.Empty):  # each once: the retained map does not repeat held ones
            observer.next(QUIET_S)
        observer.close()
        bus.stop()
    finally:
        broker.stop()


def test_broker_restart_restores_retained_state_and_subscriptions(
    started: Bus, mosquitto: Mosquitto, recorder: Recorder
) -> None:
    started.publish(Message("t/state", "v1", retain=True))
    started.publish(Message("t/gone", "soon cleared", retain=True))
    started.publish(Message("t/gone", "", retain=True))
    started.publish(Message("t/cmd", "sync"))  # comes back once the broker has the above
    assert recorder.messages.get(timeout=WAIT_S).payload == b"sync"
    assert retained(mosquitto.url, "t/state") == b"v1"

    mosquitto.stop()  # persistence is off: the broker forgets every retained message
    wait_for(lambda: not started.connected, WAIT_S, "the bus to notice the broker is gone")
    assert recorder.connections == [True, False]
    started.publish(Message("t/state", "v2 while away", retain=True))
    mosquitto.start()
    recorder.wait_connected()
    assert recorder.connections == [True, False, True]

    assert retained(mosquitto.url, "t/state") == b"v2 while away"
    assert not_retained(mosquitto.url, "t/gone")
    observer = Observer(mosquitto.url)
    observer.publish("t/cmd", "after restart")
    inbound = recorder.messages.get(timeout=WAIT_S)
    assert (inbound.topic, inbound.payload) == ("t/cmd", b"after restart")
    observer.close()


_DYING_CLIENT = """
import sys, time
from roomctl.mqtt.broker_url import parse_broker_url
from roomctl.mqtt.bus import Bus
from roomctl.api.messages import Message
bus = Bus(parse_broker_url(sys.argv[1]), "dying", lambda m: None,
          will=Message("t/avail", "offline", retain=True))
bus.start()
assert bus.wait_connected(5)
bus.publish(Message("t/avail", "online", retain=True))
print("ready", flush=True)
time.sleep(60)  # connected until the test kills it; the 60 s only bound a test that fails to
"""


def test_will_is_published_when_the_process_dies(mosquitto: Mosquitto) -> None:
    observer = Observer(mosquitto.url, "t/avail")
    process = subprocess.Popen(
        [sys.executable, "-c", _DYING_CLIENT, mosquitto.url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        assert observer.wait_for("t/avail", b"online") is False
        process.send_signal(signal.SIGKILL)  # no DISCONNECT, the kernel just closes the socket
        assert observer.wait_for("t/avail", b"offline") is False
    finally:
        process.kill()
        process.wait()
    assert retained(mosquitto.url, "t/avail") == b"offline"
    observer.close()


def test_clean_stop_publishes_final_messages_and_no_will(
    mosquitto: Mosquitto, make_bus: MakeBus
) -> None:
    observer = Observer(mosquitto.url, "t/#")
    bus = make_bus(mosquitto.url, will=Message("t/will", "died", retain=True))
    bus.start()
    assert bus.wait_connected(WAIT_S)
    bus.publish(Message("t/avail", "online", retain=True))
    assert observer.wait_for("t/avail", b"online") is False
    for i in range(100):  # more than paho keeps in flight: the final one waits its turn
        bus.publish(Message("t/events", str(i)))
    bus.stop(final=[Message("t/avail", "offline", retain=True)])
    assert not bus.connected
    assert retained(mosquitto.url, "t/avail") == b"offline"  # delivered before the disconnect
    assert observer.wait_for("t/avail", b"offline") is False
    with pytest.raises(queue.Empty):
        while True:
            topic, payload, _ = observer.next(QUIET_S)
            assert topic != "t/will", f"will sent on a clean stop: {payload!r}"
    assert not_retained(mosquitto.url, "t/will")
    observer.close()


def test_v5_reply_reaches_the_response_topic_with_its_correlation_data(
    started: Bus, mosquitto: Mosquitto, recorder: Recorder
) -> None:
    observer = Observer(mosquitto.url, "t/reply", "roomctl/replies/kim")
    request = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    request.ResponseTopic = "roomctl/replies/kim"
    request.CorrelationData = b"\x00req-42"
    observer.publish("t/cmd", '{"action": "stop"}', request)
    inbound = recorder.messages.get(timeout=WAIT_S)
    assert inbound.response_topic == "roomctl/replies/kim"
    assert inbound.correlation_data == b"\x00req-42"

    answers: queue.Queue[tuple[str, bytes, bytes | None]] = queue.Queue()
    observer.client.on_message = lambda _c, _u, m: answers.put(
        (m.topic, bytes(m.payload), getattr(m.properties, "CorrelationData", None))
    )
    started.reply(inbound, Message("t/reply", '{"ok": true}'))
    got = sorted([answers.get(timeout=WAIT_S), answers.get(timeout=WAIT_S)])
    assert got == [
        ("roomctl/replies/kim", b'{"ok": true}', b"\x00req-42"),
        ("t/reply", b'{"ok": true}', None),
    ]
    observer.close()


def test_reply_to_a_wildcard_response_topic_is_skipped_not_raised(
    started: Bus, mosquitto: Mosquitto
) -> None:
    observer = Observer(mosquitto.url, "t/reply")
    hostile = Inbound("t/cmd", b"{}", response_topic="roomctl/replies/#", correlation_data=b"x")
    started.reply(hostile, Message("t/reply", "refused"))
    assert observer.wait_for("t/reply", b"refused") is False
    observer.close()


@pytest.mark.parametrize(
    "topic",
    ["cmnd/room2-lamp/Backlog", "roomctl/room-2/cmd", "roomctl/replies/", "roomctl/replies/cmd"],
)
def test_reply_never_goes_to_a_topic_outside_the_reply_namespace(
    started: Bus, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture, topic: str
) -> None:
    observer = Observer(mosquitto.url, "#")
    hostile = Inbound("t/cmd", b"{}", response_topic=topic, correlation_data=b"x")
    started.reply(hostile, Message("t/reply", ";Power OFF;"))
    assert observer.wait_for("t/reply", b";Power OFF;") is False
    # The broker delivers one client's publications in order: a marker sent after the reply
    # arriving with nothing between means nothing went to the hostile topic.
    started.publish(Message("t/marker", "after"))
    assert observer.next() == ("t/marker", b"after", False)
    assert any(topic in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    observer.close()


def test_pinned_v311_has_no_response_topics(
    mosquitto: Mosquitto, recorder: Recorder, make_bus: MakeBus
) -> None:
    bus = make_bus(f"{mosquitto.url}?protocol=3.1.1")
    bus.subscribe("t/cmd")
    bus.start()
    recorder.wait_connected()
    assert not bus.mqtt_v5
    observer = Observer(mosquitto.url, "t/reply", "t/replies/kim")
    request = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    request.ResponseTopic = "t/replies/kim"
    observer.publish("t/cmd", "x", request)
    inbound = recorder.messages.get(timeout=WAIT_S)
    assert inbound.response_topic is None  # v3.1.1 carries no properties
    bus.reply(inbound, Message("t/reply", "done"))
    assert observer.wait_for("t/reply", b"done") is False
    bus.stop()
    observer.close()


def test_falls_back_to_v311_when_the_broker_refuses_v5(
    recorder: Recorder, make_bus: MakeBus
) -> None:
    embedded = EmbeddedBroker()
    url = embedded.start()
    try:
        unpinned = BrokerUrl("mqtt", url.host, url.port)  # amqtt answers v5 with "unsupported"
        bus = make_bus(unpinned)
        bus.subscribe("t/cmd")
        bus.start()
        recorder.wait_connected()
        assert not bus.mqtt_v5
        assert recorder.connections == [True]
        observer = Observer(str(url), "t/out")
        bus.publish(Message("t/out", "over 3.1.1"))
        assert observer.wait_for("t/out", b"over 3.1.1") is False
        observer.publish("t/cmd", "hi")
        assert recorder.messages.get(timeout=WAIT_S).payload == b"hi"
        observer.close()
        bus.stop()
    finally:
        embedded.stop()


def test_password_accepted(tmp_path: Path, make_bus: MakeBus) -> None:
    users = write_password_file(tmp_path / "passwd", {"roomctl": "s3cret:pw"})
    broker = Mosquitto(workdir=tmp_path, password_file=users)
    broker.start()
    try:
        bus = make_bus(f"mqtt://roomctl:s3cret%3Apw@127.0.0.1:{broker.port}")
        bus.start()
        assert bus.wait_connected(WAIT_S)
        bus.stop()
    finally:
        broker.stop()


@pytest.mark.parametrize("credentials", ["roomctl:wrong@", "stranger:s3cret@", ""])
def test_bad_or_missing_password_refused(
    tmp_path: Path, recorder: Recorder, credentials: str, make_bus: MakeBus
) -> None:
    users = write_password_file(tmp_path / "passwd", {"roomctl": "s3cret"})
    broker = Mosquitto(workdir=tmp_path, password_file=users)
    broker.start()
    try:
        bus = make_bus(f"mqtt://{credentials}127.0.0.1:{broker.port}")
        bus.start()
        error = wait_for_error(bus)
        assert error.startswith("broker refused the connection: ")
        assert "user name or password" in error or "Not authorized" in error
        assert not bus.connected
        assert recorder.connections == []
        bus.stop()
    finally:
        broker.stop()


def test_tls_with_the_clinic_ca(tmp_path: Path, tls_files: TlsFiles, make_bus: MakeBus) -> None:
    broker = Mosquitto(workdir=tmp_path, tls=tls_files)
    broker.start()
    try:
        assert broker.url.startswith("mqtts://")
        bus = make_bus(broker.url)
        bus.subscribe("t/cmd")
        bus.start()
        assert bus.wait_connected(WAIT_S)
        observer = Observer(broker.url, "t/out")
        bus.publish(Message("t/out", "encrypted"))
        assert observer.wait_for("t/out", b"encrypted") is False
        observer.close()
        bus.stop()
    finally:
        broker.stop()


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        (
            "mqtts",
            "cannot connect to the broker (unreachable, or TLS failed)",
        ),  # the certificate does not verify
        ("mqtt", "the broker closed the connection without answering"),
    ],
)
def test_tls_refuses_an_untrusted_broker_or_plain_mqtt(
    tmp_path: Path,
    tls_files: TlsFiles,
    recorder: Recorder,
    scheme: str,
    expected: str,
    make_bus: MakeBus,
) -> None:
    broker = Mosquitto(workdir=tmp_path, tls=tls_files)
    broker.start()
    try:
        bus = make_bus(f"{scheme}://127.0.0.1:{broker.port}")  # system CAs only
        bus.start()
        assert wait_for_error(bus) == expected
        assert not bus.connected
        assert recorder.connections == []
        bus.stop()
    finally:
        broker.stop()


def test_missing_ca_file_fails_at_construction(make_bus: MakeBus) -> None:
    with pytest.raises(FileNotFoundError):
        make_bus("mqtts://127.0.0.1:1?ca=/nonexistent/ca.pem")


def test_a_failing_handler_does_not_stop_the_bus(mosquitto: Mosquitto) -> None:
    received: list[bytes] = []

    def handler(inbound: Inbound) -> None:
        received.append(inbound.payload)
        if inbound.payload == b"boom":
            raise RuntimeError("handler bug")

    bus = Bus(parse_broker_url(mosquitto.url), "test-handler", handler)
    bus.subscribe("t/cmd")
    bus.start()
    assert bus.wait_connected(WAIT_S)
    observer = Observer(mosquitto.url)
    observer.publish("t/cmd", "boom")
    observer.publish("t/cmd", "still here")
    wait_for(lambda: len(received) >= 2, WAIT_S, "both messages")
    assert received == [b"boom", b"still here"]
    assert bus.connected
    bus.stop()
    observer.close()


def test_publish_from_many_threads_keeps_each_threads_order(
    started: Bus, mosquitto: Mosquitto
) -> None:
    observer = Observer(mosquitto.url, "t/load/#")
    threads, count = 4, 150

    def publish_all(n: int) -> None:
        for i in range(count):
            started.publish(Message(f"t/load/{n}", str(i)))

    workers = [threading.Thread(target=publish_all, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seen: dict[str, list[int]] = {f"t/load/{n}": [] for n in range(threads)}
    for _ in range(threads * count):
        topic, payload, _ = observer.next()
        seen[topic].append(int(payload))
    assert all(values == list(range(count)) for values in seen.values())
    observer.close()


def test_start_twice_is_an_error(started: Bus) -> None:
    with pytest.raises(RuntimeError, match="twice"):
        started.start()


def test_stop_while_the_broker_is_away_returns_promptly(
    tmp_path: Path, recorder: Recorder, make_bus: MakeBus
) -> None:
    broker = Mosquitto(workdir=tmp_path)  # never started
    bus = make_bus(broker.url)
    bus.start()
    wait_for_error(bus)
    began = time.monotonic()
    bus.stop(final=[Message("t/avail", "offline", retain=True)])
    assert time.monotonic() - began < 1.5  # paho's retry wait sleeps in steps of up to 1 s
    assert recorder.connections == []
