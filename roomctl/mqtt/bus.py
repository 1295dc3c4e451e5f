"""The MQTT connection: paho-mqtt 2 with reconnect, will, resubscription and retained replay."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from roomctl.api.excerpt import excerpt
from roomctl.api.messages import Inbound, Message
from roomctl.api.topics import response_topic_refusal
from roomctl.backoff import Backoff
from roomctl.mqtt.broker_url import BrokerUrl

_LOGGER = logging.getLogger(__name__)

# First reconnect wait (its upper bound; equal jitter halves the lower one): a broker restart
# takes about a second, so half a second gets a room back quickly without hammering it.
RECONNECT_FIRST_S = 0.5
# Longest reconnect wait: a broker that stays away is tried at least every 30 s, so rooms come
# back within half a minute of it returning, and a fleet of clients spreads out.
RECONNECT_MAX_S = 30.0
# MQTT keepalive: the broker publishes our will within 1.5 x this after the machine vanishes
# without closing its socket; 15 s keeps that under the 30 s state heartbeat staff rely on.
KEEPALIVE_S = 15
# TCP connect and TLS handshake limit per attempt: a LAN broker answers in milliseconds, a
# remote one within a few seconds; longer only delays the next attempt.
CONNECT_TIMEOUT_S = 5.0
# How long stop() waits for the broker to acknowledge the final messages (e.g. `offline`):
# a healthy broker answers in milliseconds; a dead one must not hold up shutdown for long.
STOP_FLUSH_TIMEOUT_S = 3.0

# QoS of every subscription: commands must arrive at least once.
SUBSCRIBE_QOS = 1
# QoS>0 messages paho holds while the broker is away (replayed on reconnect); beyond this the
# newest are refused. Retained state is replayed from the bus's own map either way.
MAX_QUEUED_MESSAGES = 1000
# MQTT v5 CONNACK reason for "Unsupported protocol version" (also what paho reports when a
# v3.1.1-only broker answers a v5 CONNECT with its return code 1).
_UNSUPPORTED_PROTOCOL_VERSION = 0x84


def no_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """Send small packets at once: a pause must not wait 40 ms for a delayed ACK."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Bus:
    """Keep one MQTT connection alive: reconnect with backoff, resubscribe, replay retained state.

    MQTT v5 is tried first; a broker that answers "unsupported protocol version" gets MQTT
    v3.1.1 from then on, for the life of this Bus. A URL's `protocol` option pins either one
    (needed for brokers that neither answer nor refuse a v5 CONNECT, such as amqtt with a will).
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
    ) -> None:
        self._url = url
        self._client_id = client_id
        self._on_message = on_message
        self._will = will
        self._on_connection = on_connection
        self._backoff = backoff or Backoff(RECONNECT_FIRST_S, RECONNECT_MAX_S)
        self._keepalive_s = keepalive_s
        self._v5 = url.protocol != "3.1.1"
        self._tls = ssl.create_default_context(cafile=url.ca_file) if url.tls else None
        self._lock = threading.Lock()  # guards the fields below and orders every send
        self._filters: dict[str, int] = {}  # topic filter -> its QoS
        self._retained: dict[str, Message] = {}
        self._started = False
        self._stopping = False
        self._accepted = False  # the broker accepted this connection (CONNACK): may subscribe
        self._replay_mid: int | None = None  # the resubscription whose SUBACK makes us ready
        self._connected = threading.Event()  # accepted, replayed and resubscribed
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
            self._connect(self._client)

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
                self._subscribe(self._client, {topic_filter: qos})

    def publish(self, msg: Message) -> None:
        """Publish from any thread; retained messages are replayed after every reconnect.

        A retained message with an empty payload clears the topic on the broker and here.
        QoS>0 messages published while disconnected are held and sent on reconnect.
        """
        self._send(msg)

    def reply(self, inbound: Inbound, msg: Message) -> None:
        """Publish msg, and its payload also to the inbound's v5 response topic if allowed.

        Only topics under roomctl/replies/ are answered on (see response_topic_refusal):
        any other would let a client make the daemon publish to a device's topic.
        """
        self._send(msg)
        topic = inbound.response_topic
        if topic is None:
            return
        why = response_topic_refusal(topic)
        if why is not None:
            _LOGGER.warning("not replying on response topic %s: %s", excerpt(topic), why)
            return
        self._send(Message(topic, msg.payload, msg.qos), inbound.correlation_data)

    def stop(self, final: Sequence[Message] = ()) -> None:
        """Publish final messages, wait for the broker to take them, and disconnect cleanly.

        The clean DISCONNECT tells the broker not to publish the last will.
        """
        infos = [self._send(msg) for msg in final]
        with self._lock:
            self._stopping = True
            client = self._client
        sent = [info for info in infos if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS]
        deadline = time.monotonic() + STOP_FLUSH_TIMEOUT_S
        for info in sent:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
        if len(sent) < len(infos) or not all(info.is_published() for info in sent):
            _LOGGER.warning("the broker did not take all final messages before the disconnect")
        client.disconnect()
        client.loop_stop()
        self._connected.clear()

    def _new_client(self) -> mqtt.Client:
        """Return a paho client configured for this bus, not yet connected."""
        protocol = MQTTProtocolVersion.MQTTv5 if self._v5 else MQTTProtocolVersion.MQTTv311
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=protocol,
            clean_session=None if self._v5 else True,
        )
        client.connect_timeout = CONNECT_TIMEOUT_S
        client.max_queued_messages_set(MAX_QUEUED_MESSAGES)
        if self._url.username is not None:
            client.username_pw_set(self._url.username, self._url.password)
        if self._tls is not None:
            client.tls_set_context(self._tls)
        if self._will is not None:
            w = self._will
            client.will_set(w.topic, w.payload, w.qos, w.retain)
        client.on_connect = self._handle_connect
        client.on_connect_fail = self._handle_connect_fail
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_subscribe = self._handle_subscribe
        client.on_socket_open = no_delay
        return client

    def _subscribe(self, client: mqtt.Client, filters: Mapping[str, int]) -> int | None:
        """Subscribe to filters; with MQTT v5, retain as published. Return the message id.

        Then a message published with the retain flag arrives with it even while the
        subscription is live, so a retained command is told from a live one at once (MQTT
        3.1.1 brokers clear the flag on live delivery; the stored copy still shows it).
        """
        if self._v5:
            _rc, mid = client.subscribe(
                [(f, SubscribeOptions(qos=q, retainAsPublished=True)) for f, q in filters.items()]
            )
        else:
            _rc, mid = client.subscribe(list(filters.items()))
        return mid

    def _connect(self, client: mqtt.Client) -> None:
        """Start the client's network thread, which connects and reconnects on its own."""
        if self._v5:
            client.connect_async(
                self._url.host, self._url.port, self._keepalive_s, clean_start=True
            )
        else:
            client.connect_async(self._url.host, self._url.port, self._keepalive_s)
        client.loop_start()

    def _send(self, msg: Message, correlation_data: bytes | None = None) -> mqtt.MQTTMessageInfo:
        """Hand one message to paho in order with reconnect replays; remember retained ones."""
        properties = None
        if correlation_data is not None and self._v5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.CorrelationData = correlation_data
        with self._lock:
            if msg.retain and msg.payload:
                self._retained[msg.topic] = msg
            elif msg.retain:
                self._retained.pop(msg.topic, None)
            info = self._client.publish(msg.topic, msg.payload, msg.qos, msg.retain, properties)
        if info.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:
            _LOGGER.warning("offline queue full; dropped a message to %s", msg.topic)
        return info

    def _replay(self, client: mqtt.Client) -> int | None:
        """Resubscribe, then resend what the broker never acknowledged and every retained one.

        Subscribing first matters: a broker handles one connection's packets in order, so
        by the time anyone sees the retained `online` again, the command subscription is
        active and a command sent on seeing it is not lost. Return the subscription's id.
        """
        self._accepted = True
        mid = None
        if self._filters:
            mid = self._subscribe(client, self._filters)
        for old in client.drop_out_messages():  # in publish order
            if not (old.retain and old.topic in self._retained):  # the map has a newer one
                client.publish(old.topic, old.payload, old.qos, old.retain, old.properties)
        for msg in self._retained.values():
            client.publish(msg.topic, msg.payload, msg.qos, retain=True)
        return mid

    def _handle_connect(
        self,
        client: mqtt.Client,
        _userdata: Any,
        _flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        """Handle CONNACK: replay state when accepted, fall back to v3.1.1 or record why not."""
        if client is not self._client:
            return
        self._answered = True
        if reason_code.is_failure:
            if self._url.protocol is None and reason_code.value == _UNSUPPORTED_PROTOCOL_VERSION:
                self._fall_back_to_v311(client)
                return
            self._last_error = f"broker refused the connection: {reason_code}"
            _LOGGER.error("%s %s", self._url, self._last_error)
            return
        with self._lock:
            self._replay_mid = self._replay(client)
        if self._replay_mid is None:
            self._ready()

    def _handle_subscribe(
        self,
        client: mqtt.Client,
        _userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        """Handle SUBACK: report refused filters; the resubscription's makes the bus ready."""
        if client is not self._client:
            return
        refused = [code for code in reason_codes if code.is_failure]
        if refused:
            _LOGGER.error("%s refused a subscription: %s", self._url, refused[0])
        if mid == self._replay_mid:
            self._replay_mid = None
            self._ready()

    def _ready(self) -> None:
        """Mark the bus connected and tell the owner."""
        self._connected.set()
        self._backoff.reset()
        self._last_error = None
        _LOGGER.info("connected to %s (MQTT %s)", self._url, "v5" if self._v5 else "v3.1.1")
        self._notify(True)

    def _fall_back_to_v311(self, client: mqtt.Client) -> None:
        """Drop the v5 client and start a v3.1.1 one, from a helper thread (paho's is ours)."""
        _LOGGER.info("%s does not speak MQTT v5; falling back to v3.1.1", self._url)
        self._v5 = False
        client.on_disconnect = None  # the connection ends on purpose; no reconnect, no notice
        client.disconnect()
        threading.Thread(
            target=self._replace_client,
            args=(client,),
            name=f"roomctl-bus-fallback-{self._client_id}",
            daemon=True,
        ).start()

    def _replace_client(self, old: mqtt.Client) -> None:
        """Stop the old client and connect a new one, carrying over what the old one held."""
        old.loop_stop()
        with self._lock:
            if self._stopping:
                return
            self._client = self._new_client()
            for held in old.drop_out_messages():
                self._client.publish(held.topic, held.payload, held.qos, held.retain)
            self._connect(self._client)

    def _handle_connect_fail(self, client: mqtt.Client, _userdata: Any) -> None:
        """Handle a failed TCP/TLS connection attempt: wait with backoff, then retry."""
        if client is not self._client:
            return
        delay = self._next_delay(client)
        self._last_error = "cannot connect to the broker (unreachable, or TLS failed)"
        _LOGGER.warning("%s: %s; retrying in %.1f s", self._url, self._last_error, delay)

    def _handle_disconnect(
        self,
        client: mqtt.Client,
        _userdata: Any,
        _flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        """Handle a lost or closed connection: tell the owner, and set the next retry's wait."""
        if client is not self._client:
            return
        was_connected = self._connected.is_set()
        self._connected.clear()
        self._accepted = False
        self._replay_mid = None
        answered, self._answered = self._answered, False
        if self._stopping:
            _LOGGER.info("disconnected from %s", self._url)
        elif was_connected:
            delay = self._next_delay(client)
            _LOGGER.warning(
                "connection to %s lost (%s); retrying in %.1f s", self._url, reason_code, delay
            )
        elif not answered:
            self._last_error = "the broker closed the connection without answering"
            delay = self._next_delay(client)
            _LOGGER.warning("%s %s; retrying in %.1f s", self._url, self._last_error, delay)
        else:  # refused: _handle_connect has said why
            self._next_delay(client)
        if was_connected:
            self._notify(False)

    def _next_delay(self, client: mqtt.Client) -> float:
        """Make paho's next reconnect wait the backoff's next jittered delay, and return it."""
        delay = self._backoff.next_delay()
        # paho annotates the delays as int, but its wait is plain float arithmetic.
        client.reconnect_delay_set(delay, delay)  # type: ignore[arg-type]
        return delay

    def _handle_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        """Hand one received message to the owner; never let its errors stop paho's thread."""
        try:
            props = msg.properties
            response_topic = getattr(props, "ResponseTopic", None)
            correlation_data = getattr(props, "CorrelationData", None)
            inbound = Inbound(
                topic=msg.topic,
                payload=bytes(msg.payload),
                retain=bool(msg.retain),
                response_topic=str(response_topic) if response_topic is not None else None,
                correlation_data=bytes(correlation_data) if correlation_data is not None else None,
            )
            self._on_message(inbound)
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
