"""One MQTT connection's traffic: publish from any thread; resubscribe and replay on reconnect."""

from __future__ import annotations

import logging
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
from roomctl.mqtt.connection import KEEPALIVE_S, MAX_QUEUED_MESSAGES
from roomctl.mqtt.held_writes import hold
from roomctl.mqtt.link import Link, notify
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


class Bus(Link):
    """Keep one MQTT connection alive: reconnect with backoff, resubscribe, replay retained state.

    See Link for the connection's life. Its socket is serviced by `loop` (one of its own
    when none is given). "Connected" means accepted, replayed and resubscribed.
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
    ) -> None:
        self._on_message = on_message
        self._on_connection = on_connection
        self._filters: dict[str, int] = {}  # topic filter -> its QoS
        self._retained: dict[str, Message] = {}
        self._held: deque[Message] = deque()  # QoS>0 messages published while not accepted
        self._replay_mid: int | None = None  # the resubscription whose SUBACK makes us ready
        backoff = backoff or Backoff(RECONNECT_FIRST_S, RECONNECT_MAX_S)
        super().__init__(url, client_id, will, backoff, keepalive_s, loop, priority)

    def subscribe(self, topic_filter: str, qos: int = SUBSCRIBE_QOS) -> None:
        """Subscribe now if connected, and again after every reconnect."""
        with self._lock:
            if topic_filter in self._filters:
                return
            self._filters[topic_filter] = qos
            if self._accepted:
                subscribe(self._client, {topic_filter: qos}, self._v5)

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
        sent = [i for i in infos if i is not None and i.rc == MQTTErrorCode.MQTT_ERR_SUCCESS]
        deadline = time.monotonic() + STOP_FLUSH_TIMEOUT_S
        for info in sent:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
        took = len(sent) == len(infos) and all(info.is_published() for info in sent)
        if not took:
            _LOGGER.warning("the broker did not take all final messages before the disconnect")
        self._close(max(0.0, deadline - time.monotonic()))
        return took

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
            # paho asks the loop to write only when nothing waits already: behind a waiting
            # PINGREQ or reply, a turn's publication is this thread's to write all the same.
            hold(self._client, self._loop)
        if info.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:
            _LOGGER.warning("offline queue full; dropped a message to %s", msg.topic)
        return info

    # -- the Link's hooks -------------------------------------------------------------

    def _configure(self, client: mqtt.Client) -> None:
        client.on_message = self._handle_message
        client.on_subscribe = self._handle_subscribe

    def _accept(self, client: mqtt.Client) -> bool:
        """Resubscribe, then resend what the broker never acknowledged, held and retained.

        Subscribing first matters: a broker handles one connection's packets in order, so
        by the time anyone sees the retained `online` again, the command subscription is
        active and a command sent on seeing it is not lost. Ready once that is acknowledged.
        """
        mid = subscribe(client, self._filters, self._v5) if self._filters else None
        for old in client.drop_out_messages():  # in publish order
            if not (old.retain and old.topic in self._retained):  # the map has a newer one
                client.publish(old.topic, old.payload, old.qos, old.retain, old.properties)
        for msg in self._held:
            client.publish(msg.topic, msg.payload, msg.qos, msg.retain)
        self._held.clear()
        for msg in self._retained.values():
            client.publish(msg.topic, msg.payload, msg.qos, retain=True)
        self._replay_mid = mid
        return mid is None

    def _lost(self) -> None:
        self._replay_mid = None

    def _carry_over(self, old: mqtt.Client) -> None:
        held = [
            Message(m.topic, m.payload.decode(), m.qos, m.retain) for m in old.drop_out_messages()
        ]
        self._held.extendleft(reversed(held))

    def _on_ready(self, connected: bool) -> None:
        notify(self._on_connection, connected)

    # -- paho's callbacks -----------------------------------------------------------------

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
            replayed = mid == self._replay_mid
            if replayed:
                self._replay_mid = None
        if replayed:
            self._ready()

    def _handle_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        """Hand one received message to the owner; never let its errors stop the loop."""
        try:
            self._on_message(inbound_of(msg))
        except Exception:
            _LOGGER.exception("handling a received message failed")
