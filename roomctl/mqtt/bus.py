"""One MQTT connection kept alive on a NetworkLoop: reconnect, resubscribe, replay retained."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from roomctl.api.messages import Inbound, Message
from roomctl.backoff import Backoff
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.connection import (
    KEEPALIVE_S,
    MAX_QUEUED_MESSAGES,
    UNSUPPORTED_PROTOCOL_VERSION,
    paho_client,
    tls_context,
)
from roomctl.mqtt.loop import NORMAL, NetworkLoop
from roomctl.mqtt.wire import correlation, inbound_of, reply_copy, subscribe

_LOGGER = logging.getLogger(__name__)

# First reconnect wait (its upper bound; equal jitter halves the lower one): a broker restart
# takes about a second, so half a second gets a room back quickly without hammering it.
RECONNECT_FIRST_S = 0.5
# Longest reconnect wait: a broker that stays away is tried at least every 30 s, so rooms come
# back within half a minute of it returning, and a fleet of clients spreads out.
RECONNECT_MAX_S = 30.0
# How long stop() waits for the broker to acknowledge the final messages (e.g. `offline`):
# a healthy broker answers in milliseconds; a dead one must not hold up shutdown for long.
STOP_FLUSH_TIMEOUT_S = 3.0
# QoS of every subscription: commands must arrive at least once.
SUBSCRIBE_QOS = 1


class Bus:
    """Keep one MQTT connection alive: reconnect with backoff, resubscribe, replay retained state.

    MQTT v5 is tried first; a broker that answers "unsupported protocol version" gets MQTT
    v3.1.1 from then on, for the life of this Bus. A URL's `protocol` option pins either one
    (needed for brokers that neither answer nor refuse a v5 CONNECT, such as amqtt with a will).
    Its socket is serviced by `loop` (one of its own when none is given). A bus with a
    `gate` tries to connect only while the gate is connected.
    """

    def __init__(
        self,
        url: BrokerUrl,
        client_id: str,
        on_message: Callable[[Inbound], None],
        will: Message | None = None,
        on_connection: Callable[[bool], None] | None = None,
        *,
        backoff: Backoff | None = None,
        keepalive_s: int = KEEPALIVE_S,
        loop: NetworkLoop | None = None,
        priority: int = NORMAL,
        gate: Bus | None = None,
    ) -> None:
        self._url = url
        self._client_id = client_id
        self._on_message = on_message
        self._will = will
        self._on_connection = on_connection
        self._backoff = backoff or Backoff(RECONNECT_FIRST_S, RECONNECT_MAX_S)
        self._keepalive_s = keepalive_s
        self._own_loop = loop is None
        self._loop = loop or NetworkLoop(name=f"roomctl-bus-{client_id}")
        self._priority = priority
        self._gate = gate
        self._v5 = url.protocol != "3.1.1"
        self._tls = tls_context(url)
        self._lock = threading.Lock()  # guards the fields below and orders every send
        self._filters: dict[str, int] = {}  # topic filter -> its QoS
        self._retained: dict[str, Message] = {}
        self._held: deque[Message] = deque()  # QoS>0 messages published while not accepted
        self._waiting: list[Bus] = []  # buses gated on this one, waiting for it to connect
        self._synced: list[Callable[[], None]] = []  # to call once subscriptions are active
        self._pending: set[int] = set()  # subscriptions not yet acknowledged
        self._started = False
        self._stopping = False
        self._attempting = False  # an attempt is queued or parked (at most one at a time)
        self._accepted = False  # the broker accepted this connection (CONNACK): may send
        self._replay_mid: int | None = None  # the resubscription whose SUBACK makes us ready
        self._connected = threading.Event()  # accepted, replayed and resubscribed
        self._closed = threading.Event()  # the stopped connection is closed
        self._last_error: str | None = None
        self._answered = False  # whether the current connection attempt got a CONNACK
        self._client = self._new_client()

    @property
    def connected(self) -> bool:
        """Return whether the connection is up, retained state replayed and subscriptions active."""
        return self._connected.is_set()

    @property
    def mqtt_v5(self) -> bool:
        """Return whether the bus speaks MQTT v5 (False after falling back to v3.1.1)."""
        return self._v5

    @property
    def last_error(self) -> str | None:
        """Return why the last connection attempt failed, or None once connected."""
        return self._last_error

    def start(self) -> None:
        """Start connecting in the background; retry until the broker is reachable."""
        with self._lock:
            if self._started:
                raise RuntimeError("Bus.start() called twice")
            self._started = True
        if self._own_loop:
            self._loop.start()
        self._try_soon()

    def wait_connected(self, timeout: float) -> bool:
        """Wait up to timeout seconds until connected (see `connected`); return whether it is."""
        return self._connected.wait(timeout)

    def subscribe(self, topic_filter: str, qos: int = SUBSCRIBE_QOS) -> None:
        """Subscribe now if connected, and again after every reconnect."""
        with self._lock:
            if topic_filter in self._filters:
                return
            self._filters[topic_filter] = qos
            if self._accepted:
                mid = subscribe(self._client, {topic_filter: qos}, self._v5)
                if mid is not None:
                    self._pending.add(mid)

    def when_subscribed(self, callback: Callable[[], None]) -> None:
        """Call back (on the loop's thread) once every subscription asked for so far is active."""
        with self._lock:
            if not (self._connected.is_set() and not self._pending):
                self._synced.append(callback)
                return
        self._loop.call_soon(callback)

    def publish(self, msg: Message) -> None:
        """Publish from any thread; retained messages are replayed after every reconnect.

        A retained message with an empty payload clears the topic on the broker and here.
        QoS>0 messages published while disconnected are held and sent on reconnect.
        """
        self._send(msg)

    def reply(self, inbound: Inbound, msg: Message) -> None:
        """Publish msg, and its payload also to the inbound's v5 response topic if allowed."""
        self._send(msg)
        copy = reply_copy(inbound, msg)
        if copy is not None:
            self._send(copy, inbound.correlation_data)

    def stop(self, final: Sequence[Message] = ()) -> bool:
        """Publish final messages, wait for the broker to take them, and disconnect cleanly.

        The clean DISCONNECT tells the broker not to publish the last will. Return whether
        the broker took every final message.
        """
        infos = [self._send(msg) for msg in final]
        with self._lock:
            self._stopping = True
            client = self._client
        sent = [i for i in infos if i is not None and i.rc == MQTTErrorCode.MQTT_ERR_SUCCESS]
        deadline = time.monotonic() + STOP_FLUSH_TIMEOUT_S
        for info in sent:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
        took = len(sent) == len(infos) and all(info.is_published() for info in sent)
        if not took:
            _LOGGER.warning("the broker did not take all final messages before the disconnect")
        if client.disconnect() == MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._closed.wait(max(0.0, deadline - time.monotonic()))
        self._connected.clear()
        if self._own_loop:
            self._loop.stop()
        return took

    def _new_client(self) -> mqtt.Client:
        """Return a paho client configured for this bus, not yet connected."""
        client = paho_client(self._url, self._client_id, self._v5, self._tls, self._will)
        client.on_socket_register_write = self._loop.register_write
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_subscribe = self._handle_subscribe
        if self._v5:
            client.connect_async(
                self._url.host, self._url.port, self._keepalive_s, clean_start=True
            )
        else:
            client.connect_async(self._url.host, self._url.port, self._keepalive_s)
        return client

    def _try_soon(self, delay: float = 0.0) -> None:
        """Queue one connection attempt after delay, unless one is queued already."""
        with self._lock:
            if self._attempting or self._stopping:
                return
            self._attempting = True
        if delay > 0.0:
            self._loop.call_later(delay, lambda: self._loop.connect_soon(self._attempt))
        else:
            self._loop.connect_soon(self._attempt)

    def _admit(self, waiter: Bus) -> bool:
        """Return whether waiter may connect now; if not, it is let go once this bus is ready."""
        with self._lock:
            if self._connected.is_set():
                return True
            self._waiting.append(waiter)
            return False

    def _attempt(self) -> None:
        """Connect (on the loop's connecting thread); hand the socket to the loop or retry."""
        if self._gate is not None and not self._gate._admit(self):
            return  # still attempting: the gate queues this attempt again once ready
        with self._lock:
            self._attempting = False
            client = self._client
            if self._stopping or client.socket() is not None:
                return
        try:
            client.reconnect()
        except (OSError, ValueError) as error:  # refused, unreachable, timed out, TLS failed
            _LOGGER.debug("connecting to %s failed: %s", self._url, error)
            self._loop.call_soon(lambda: self._connect_failed(client))
            return
        self._loop.watch(client, self._priority)

    def _connect_failed(self, client: mqtt.Client) -> None:
        if client is not self._client or self._stopping:
            return
        delay = self._backoff.next_delay()
        self._last_error = "cannot connect to the broker (unreachable, or TLS failed)"
        _LOGGER.warning("%s: %s; retrying in %.1f s", self._url, self._last_error, delay)
        self._try_soon(delay)

    def _send(self, msg: Message, correlation_data: bytes | None = None) -> Any:
        """Hand one message to paho in order with reconnect replays; remember retained ones."""
        with self._lock:
            if msg.retain and msg.payload:
                self._retained[msg.topic] = msg
            elif msg.retain:
                self._retained.pop(msg.topic, None)
            if not self._accepted:
                if msg.qos > 0 and not (msg.retain and msg.payload):  # retained: the map has it
                    if len(self._held) < MAX_QUEUED_MESSAGES:
                        self._held.append(msg)
                    else:
                        _LOGGER.warning("offline queue full; dropped a message to %s", msg.topic)
                return None
            properties = correlation(correlation_data) if self._v5 else None
            info = self._client.publish(msg.topic, msg.payload, msg.qos, msg.retain, properties)
        if info.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:
            _LOGGER.warning("offline queue full; dropped a message to %s", msg.topic)
        return info

    def _replay(self, client: mqtt.Client) -> int | None:
        """Resubscribe, then resend what the broker never acknowledged, held and retained.

        Subscribing first matters: a broker handles one connection's packets in order, so
        by the time anyone sees the retained `online` again, the command subscription is
        active and a command sent on seeing it is not lost. Return the subscription's id.
        """
        self._accepted = True
        mid = subscribe(client, self._filters, self._v5) if self._filters else None
        for old in client.drop_out_messages():  # in publish order
            if not (old.retain and old.topic in self._retained):  # the map has a newer one
                client.publish(old.topic, old.payload, old.qos, old.retain, old.properties)
        for msg in self._held:
            client.publish(msg.topic, msg.payload, msg.qos, msg.retain)
        self._held.clear()
        for msg in self._retained.values():
            client.publish(msg.topic, msg.payload, msg.qos, retain=True)
        return mid

    def _handle_connect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason_code: ReasonCode, _p: Any
    ) -> None:
        """Handle CONNACK: replay state when accepted, fall back to v3.1.1 or record why not."""
        if client is not self._client:
            return
        self._answered = True
        if reason_code.is_failure:
            if self._url.protocol is None and reason_code.value == UNSUPPORTED_PROTOCOL_VERSION:
                self._fall_back_to_v311(client)
                return
            self._last_error = f"broker refused the connection: {reason_code}"
            _LOGGER.error("%s %s", self._url, self._last_error)
            return
        with self._lock:
            if self._stopping:
                client.disconnect()
                return
            self._replay_mid = self._replay(client)
        if self._replay_mid is None:
            self._ready()

    def _handle_subscribe(
        self, client: mqtt.Client, _u: Any, mid: int, reason_codes: list[ReasonCode], _p: Any
    ) -> None:
        """Handle SUBACK: report refused filters; the resubscription's makes the bus ready."""
        if client is not self._client:
            return
        refused = [code for code in reason_codes if code.is_failure]
        if refused:
            _LOGGER.error("%s refused a subscription: %s", self._url, refused[0])
        with self._lock:
            self._pending.discard(mid)
            replayed = mid == self._replay_mid
            if replayed:
                self._replay_mid = None
            synced = self._take_synced()
        if replayed:
            self._ready()
        for callback in synced:
            callback()

    def _take_synced(self) -> list[Callable[[], None]]:
        """Return (and forget) the when_subscribed callbacks due now (call with the lock)."""
        if not self._connected.is_set() or self._pending:
            return []
        synced, self._synced = self._synced, []
        return synced

    def _ready(self) -> None:
        """Mark the bus connected, tell the owner, and let the buses gated on it connect."""
        with self._lock:
            self._connected.set()
            waiting, self._waiting = self._waiting, []
            synced = self._take_synced()
        self._backoff.reset()
        self._last_error = None
        _LOGGER.info("connected to %s (MQTT %s)", self._url, "v5" if self._v5 else "v3.1.1")
        self._notify(True)
        for bus in waiting:
            bus._loop.connect_soon(bus._attempt)
        for callback in synced:
            callback()

    def _fall_back_to_v311(self, client: mqtt.Client) -> None:
        """Drop the v5 client and connect a v3.1.1 one, carrying over what the old one held."""
        _LOGGER.info("%s does not speak MQTT v5; falling back to v3.1.1", self._url)
        client.on_disconnect = None  # the connection ends on purpose; no reconnect, no notice
        client.disconnect()
        with self._lock:
            self._v5 = False
            old = client.drop_out_messages()
            held = [Message(m.topic, m.payload.decode(), m.qos, m.retain) for m in old]
            self._held.extendleft(reversed(held))
            self._client = self._new_client()
        self._try_soon()

    def _handle_disconnect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason_code: ReasonCode, _p: Any
    ) -> None:
        """Handle a lost or closed connection: tell the owner, and retry after a backoff."""
        if client is not self._client:
            return
        was_connected = self._connected.is_set()
        with self._lock:
            self._connected.clear()
            self._accepted = False
            self._replay_mid = None
            self._pending.clear()
        answered, self._answered = self._answered, False
        if self._stopping:
            _LOGGER.info("disconnected from %s", self._url)
            self._closed.set()
        else:
            self._retry_after_loss(was_connected, answered, reason_code)
        if was_connected:
            self._notify(False)

    def _retry_after_loss(self, was_connected: bool, answered: bool, reason: ReasonCode) -> None:
        """Say why the connection ended, and try again after the backoff's next wait."""
        delay = self._backoff.next_delay()
        if was_connected:
            _LOGGER.warning(
                "connection to %s lost (%s); retrying in %.1f s", self._url, reason, delay
            )
        elif not answered:
            self._last_error = "the broker closed the connection without answering"
            _LOGGER.warning("%s %s; retrying in %.1f s", self._url, self._last_error, delay)
        self._try_soon(delay)  # refused: _handle_connect has said why

    def _handle_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        """Hand one received message to the owner; never let its errors stop the loop."""
        try:
            self._on_message(inbound_of(msg))
        except Exception:
            _LOGGER.exception("handling a received message failed")

    def _notify(self, connected: bool) -> None:
        """Tell the owner the connection went up or down; never let its errors escape."""
        if self._on_connection is None:
            return
        try:
            self._on_connection(connected)
        except Exception:
            _LOGGER.exception("on_connection(%s) failed", connected)
