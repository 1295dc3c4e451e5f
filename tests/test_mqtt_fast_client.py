"""The daemon's paho client: PUBACKs taken cheaply, waiting packets joined into one write."""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from roomctl.api.messages import Message
from roomctl.mqtt import (
    MAX_BATCH_BYTES,
    Bus,
    FastClient,
    fast_client,
    join_waiting,
    parse_broker_url,
)
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import wait_for

# More than paho's window of 20 messages in flight: the rest go out as PUBACKs come back.
MESSAGES = 60
# Mosquitto acknowledges within milliseconds; a loaded machine may take seconds.
PUBLISH_TIMEOUT_S = 20.0
# The keepalive test: a 1-s keepalive, publishing every 0.1 s for three intervals.
KEEPALIVE_TEST_S = 1
PUBLISH_EVERY_S = 0.1
BUSY_S = 3.0


def _queued(protocol: MQTTProtocolVersion) -> tuple[FastClient, list[ReasonCode], int]:
    """Return a client with one QoS 1 message waiting for its PUBACK, and what on_publish hears."""
    client = FastClient(CallbackAPIVersion.VERSION2, protocol=protocol)
    heard: list[ReasonCode] = []
    client.on_publish = lambda _c, _u, _mid, reason, _props: heard.append(reason)
    info = client.publish("t", "x", qos=1)
    return client, heard, info.mid


@pytest.mark.parametrize(
    ("protocol", "tail", "value", "shared"),
    [
        (MQTTProtocolVersion.MQTTv311, b"", 0x00, True),
        (MQTTProtocolVersion.MQTTv5, b"", 0x00, True),
        (MQTTProtocolVersion.MQTTv5, b"\x00", 0x00, True),
        (MQTTProtocolVersion.MQTTv5, b"\x10", 0x10, True),  # no matching subscribers
        (MQTTProtocolVersion.MQTTv5, b"\x87", 0x87, False),  # not authorized: paho decodes it
        (MQTTProtocolVersion.MQTTv5, b"\x10\x03\x1f\x00\x00", 0x10, False),  # properties
    ],
)
def test_a_puback_ends_its_message_with_the_reason_paho_would_give(
    protocol: MQTTProtocolVersion, tail: bytes, value: int, shared: bool
) -> None:
    client, heard, mid = _queued(protocol)
    client._in_packet["packet"] = bytearray(mid.to_bytes(2, "big") + tail)
    client._handle_pubackcomp("PUBACK")
    assert [reason.value for reason in heard] == [value]
    assert mid not in client._out_messages
    assert (heard[0] is fast_client._SUCCESSES.get(tail)) == shared  # taken without paho's decoding


def test_a_puback_for_an_unknown_message_is_ignored() -> None:
    client, heard, mid = _queued(MQTTProtocolVersion.MQTTv5)
    client._in_packet["packet"] = bytearray((mid + 1).to_bytes(2, "big") + b"\x00")
    client._handle_pubackcomp("PUBACK")
    assert heard == []
    assert mid in client._out_messages


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_every_message_beyond_the_window_reaches_a_subscriber_in_order(
    tmp_path: Path, protocol: str
) -> None:
    broker = Mosquitto(workdir=tmp_path)
    broker.start()
    received: list[bytes] = []
    subscribed = threading.Event()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2)
    watcher.on_message = lambda _c, _u, msg: received.append(bytes(msg.payload))
    watcher.on_subscribe = lambda *_: subscribed.set()
    watcher.connect("127.0.0.1", broker.port)
    watcher.loop_start()
    url = parse_broker_url(f"{broker.url}?protocol={protocol}")
    bus = Bus(url, "acks", lambda _m: None)
    try:
        watcher.subscribe("t/seen", qos=1)
        wait_for(subscribed.is_set, what="the watcher's subscription")
        bus.start()
        assert bus.wait_connected(PUBLISH_TIMEOUT_S)
        for index in range(MESSAGES):  # half to a topic nobody reads (v5: reason 0x10)
            bus.publish(Message("t/unseen", str(index)))
            bus.publish(Message("t/seen", str(index)))
        wanted = [str(index).encode() for index in range(MESSAGES)]
        wait_for(lambda: received == wanted, timeout=PUBLISH_TIMEOUT_S, what="every message")
        final = Message("t/seen", "last")
        assert bus.stop([final])  # every PUBACK came back: the broker took it all
    finally:
        watcher.loop_stop()
        watcher.disconnect()
        broker.stop()


def _packet(data: bytes, qos: int = 1, command: int = 0x32, pos: int = 0) -> dict[str, Any]:
    """Return a send-queue entry as paho makes it (default: a QoS 1 PUBLISH)."""
    info = object()
    return {
        "command": command,
        "mid": 1,
        "qos": qos,
        "pos": pos,
        "to_process": len(data) - pos,
        "packet": bytearray(data),
        "info": info,
    }


def test_waiting_publications_and_acks_are_joined_in_order() -> None:
    packets = deque([_packet(b"pub-1"), _packet(b"ack", 0, 0x40), _packet(b"pub-2", 2, 0x34)])
    join_waiting(packets)
    assert len(packets) == 1
    assert bytes(packets[0]["packet"]) == b"pub-1ackpub-2"
    assert (packets[0]["pos"], packets[0]["to_process"]) == (0, 13)
    assert packets[0]["command"] == 0x32
    assert packets[0]["qos"] == 1


def test_packets_paho_must_see_written_stay_on_their_own() -> None:
    qos0 = _packet(b"pub-0", 0, 0x30)  # its waiter is told once it is written
    disconnect = _packet(b"bye", 0, 0xE0)  # the socket closes after it
    packets = deque([_packet(b"a"), _packet(b"b"), qos0, _packet(b"c"), disconnect])
    join_waiting(packets)
    assert [bytes(p["packet"]) for p in packets] == [b"ab", b"pub-0", b"c", b"bye"]
    assert packets[1] is qos0
    assert packets[3] is disconnect


def test_a_packet_written_in_part_or_alone_is_left_as_it_is() -> None:
    partial = _packet(b"half-sent", pos=4)
    packets = deque([partial, _packet(b"next")])
    join_waiting(packets)
    assert packets[0] is partial
    assert len(packets) == 2
    alone = _packet(b"only")
    packets = deque([alone])
    join_waiting(packets)
    assert list(packets) == [alone]


def test_a_join_stops_at_the_byte_limit() -> None:
    big = b"x" * (MAX_BATCH_BYTES // 2)
    packets = deque([_packet(big), _packet(big), _packet(b"over")])
    join_waiting(packets)
    assert [p["to_process"] for p in packets] == [MAX_BATCH_BYTES, 4]


def test_a_waiting_disconnect_is_left_to_the_network_thread() -> None:
    # Its write closes the socket and calls paho's callbacks: not from a room's thread.
    client = FastClient(CallbackAPIVersion.VERSION2)
    ours, theirs = socket.socketpair()
    try:
        client._sock = ours
        client._out_packet.extend([_packet(b"pub"), _packet(b"bye", 0, 0xE0)])
        assert client.write_waiting() is True
        assert len(client._out_packet) == 2  # nothing written
        client._out_packet.pop()
        assert client.write_waiting() is False  # the publication alone goes out here
        assert theirs.recv(16) == b"pub"
    finally:
        client._sock = None
        ours.close()
        theirs.close()


def test_a_connection_that_keeps_publishing_sends_no_pingreq(tmp_path: Path) -> None:
    # MQTT's keepalive asks for some packet within the interval; paho counted only a
    # half-written one, so a busy connection pinged every interval anyway (500 rooms at once).
    broker = Mosquitto(workdir=tmp_path)
    broker.start()
    pings: list[str] = []

    def on_log(_c: mqtt.Client, _u: Any, _level: int, text: str) -> None:
        if "Sending PINGREQ" in text:
            pings.append(text)

    client = FastClient(CallbackAPIVersion.VERSION2)
    client.on_log = on_log
    try:
        client.connect("127.0.0.1", broker.port, keepalive=KEEPALIVE_TEST_S)
        client.loop_start()
        wait_for(client.is_connected, timeout=PUBLISH_TIMEOUT_S, what="the connection")
        for index in range(int(BUSY_S / PUBLISH_EVERY_S)):
            client.publish("t", str(index), qos=1)
            time.sleep(PUBLISH_EVERY_S)
        assert pings == []
        # Idle, it still pings: the keepalive itself is kept.
        wait_for(lambda: pings != [], timeout=PUBLISH_TIMEOUT_S, what="a PINGREQ once idle")
    finally:
        client.loop_stop()
        client.disconnect()
        broker.stop()
