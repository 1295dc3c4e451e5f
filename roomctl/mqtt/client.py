"""A short-lived MQTT client for the CLI: send a command and wait for its reply, read state."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from roomctl.api.send_time import COMMAND_EXPIRY_S, REPLY_TIMEOUT_S, wire_time
from roomctl.api.topics import PREFIX, RoomTopics
from roomctl.errors import RoomctlError
from roomctl.mqtt.broker_url import BROKER_ENV, DEFAULT_BROKER, BrokerUrl, parse_broker_url
from roomctl.mqtt.connection import CONNECT_TIMEOUT_S, no_delay

__all__ = ["COMMAND_EXPIRY_S", "REPLY_TIMEOUT_S"]  # the wait and expiry (api.send_time)
# An emergency unanswered this long on its own topic is sent to cmd as well: longer than
# a room holds a reply for its record (1 s), far short of giving up.
EMERGENCY_FALLBACK_S = 1.5
# Retained states all arrive in one burst after subscribing; this long without a new one
# means the burst is over.
RETAINED_QUIET_S = 0.3
# How often a wait looks again whether the broker refused what was sent.
POLL_S = 0.02
# CONNACK's "unsupported protocol version" (v5 0x84; paho maps v3.1.1's code 1 to it).
_UNSUPPORTED_PROTOCOL_VERSION = 0x84
# CONNACK reasons that mean the account, not the network: bad user name or password
# (0x86; v3.1.1 code 4) and not authorised (0x87; v3.1.1 code 5, Mosquitto's answer to both).
_ACCOUNT_REFUSALS = (0x86, 0x87)


def _json_object(payload: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class ClientError(RoomctlError):
    """A CLI command could not get an answer (see the subclasses for whose fault)."""


class NoReplyError(ClientError):
    """The broker took the command, but no daemon answered in time."""


class BrokerError(ClientError):
    """The broker cannot be reached, or refused the connection or an action for this account."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message the broker delivered; `retained` when it was stored before we subscribed."""

    topic: str
    payload: bytes
    retained: bool


def broker_url(option: str | None) -> BrokerUrl:
    """Return the broker for CLI commands: --broker, else $ROOMCTL_BROKER, else localhost."""
    return parse_broker_url(option or os.environ.get(BROKER_ENV) or DEFAULT_BROKER)


class Client:
    """One connection to the broker, for one CLI command.

    It speaks MQTT v5 when the broker does (so a refused publish or subscription comes back
    with its reason), else v3.1.1; `protocol=` in the URL pins either.
    """

    def __init__(self, url: BrokerUrl, base: str = PREFIX) -> None:
        self._url = url
        self._base = base  # where the rooms' topics are: roomctl, or a site's at a centre
        self._v5 = url.protocol != "3.1.1"
        self._lock = threading.Lock()
        self._changed = threading.Event()  # set whenever an acknowledgement arrives
        self._connack: ReasonCode | None = None
        self._closed = False
        self._pubacks: dict[int, ReasonCode] = {}
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._handlers: list[Callable[[Delivery], None]] = []
        self._client = self._new_client()

    def _new_client(self) -> mqtt.Client:
        protocol = MQTTProtocolVersion.MQTTv5 if self._v5 else MQTTProtocolVersion.MQTTv311
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"roomctl-cli-{uuid.uuid4().hex[:8]}",
            protocol=protocol,
            reconnect_on_failure=False,
        )
        if self._url.username is not None:
            client.username_pw_set(self._url.username, self._url.password)
        if self._url.tls:
            client.tls_set(ca_certs=self._url.ca_file)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_publish = self._handle_publish
        client.on_subscribe = self._handle_subscribe
        client.on_socket_open = no_delay
        return client

    def __enter__(self) -> Client:
        code = self._connect()
        if code.value == _UNSUPPORTED_PROTOCOL_VERSION and self._v5 and self._url.protocol is None:
            # A v3.1.1-only broker (roomctl's embedded one): try again in its language.
            self._v5 = False
            self._client = self._new_client()
            code = self._connect()
        if code.is_failure:
            hint = ""
            if code.value in _ACCOUNT_REFUSALS:
                hint = ": check the user name and password in the broker URL"
            raise BrokerError(f"the broker at {self._url} refused the connection ({code}){hint}")
        return self

    def _connect(self) -> ReasonCode:
        """Connect and return the broker's CONNACK reason; raise BrokerError without one."""
        self._connack, self._closed = None, False
        self._changed.clear()
        try:
            self._client.connect(self._url.host, self._url.port)
        except OSError as error:
            raise BrokerError(f"cannot reach the broker at {self._url}: {error}") from None
        self._client.loop_start()
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while self._connack is None and not self._closed and time.monotonic() < deadline:
            self._changed.wait(POLL_S)
        code = self._connack
        if code is None or code.is_failure:
            self._client.loop_stop()
        if code is None:
            raise BrokerError(f"the broker at {self._url} did not answer the connection")
        return code

    def __exit__(self, *_exc: object) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def on_message(self, handler: Callable[[str, bytes], None]) -> None:
        """Call handler(topic, payload) for every message that arrives."""
        self._handlers.append(lambda delivery: handler(delivery.topic, delivery.payload))

    def on_delivery(self, handler: Callable[[Delivery], None]) -> None:
        """Call handler with every message that arrives, saying whether it was retained."""
        self._handlers.append(handler)

    def subscribe(self, *topics: str) -> None:
        """Subscribe to topic filters; wait until the broker confirms, raise if it refuses."""
        result, mid = self._client.subscribe([(topic, 1) for topic in topics])
        if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise BrokerError(f"the connection to the broker at {self._url} was lost")
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while (codes := self._take(self._subacks, mid)) is None:
            if time.monotonic() > deadline:
                raise BrokerError(f"the broker at {self._url} did not confirm the subscription")
            self._changed.wait(POLL_S)
            self._changed.clear()
        for topic, code in zip(topics, codes, strict=False):
            if code.is_failure:
                raise BrokerError(
                    f"the broker refused the subscription to {topic} for this account ({code})"
                )

    def publish(self, topic: str, payload: str | bytes) -> None:
        """Publish one message at QoS 1 without waiting for the broker's acknowledgement."""
        if self._client.publish(topic, payload, qos=1).rc != mqtt.MQTT_ERR_SUCCESS:
            raise BrokerError(f"the connection to the broker at {self._url} was lost")

    def clear_retained(self, *topics: str) -> None:
        """Delete retained messages (empty, retained, QoS 1); raise if the broker refuses one."""
        mids = {self._client.publish(topic, b"", qos=1, retain=True).mid: topic for topic in topics}
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while mids:
            for mid in list(mids):
                code = self._take(self._pubacks, mid)
                if code is not None and code.is_failure:
                    raise BrokerError(f"the broker refused to clear {mids[mid]} ({code})")
                if code is not None:
                    del mids[mid]
            if mids and time.monotonic() > deadline:
                raise BrokerError(f"the broker at {self._url} did not confirm clearing")
            self._changed.wait(POLL_S)
            self._changed.clear()

    def command(self, room_id: str, body: dict[str, object]) -> dict[str, Any]:
        """Send a command to a room and return its reply."""
        # It carries its send time and, over MQTT v5, expires a little after the wait for
        # its reply: it is never applied after its sender heard "no reply".
        topics = RoomTopics(room_id, self._base)
        request_id = uuid.uuid4().hex[:12]
        reply: dict[str, Any] = {}

        def take(delivery: Delivery) -> None:
            data = _json_object(delivery.payload) if delivery.topic == topics.reply else None
            if data is not None and data.get("request_id") == request_id:
                reply.update(data)
                self._changed.set()

        self.on_delivery(take)
        self.subscribe(topics.reply)
        sent_at = wire_time(datetime.now(tz=UTC))
        payload = json.dumps({**body, "request_id": request_id, "sent_at": sent_at})
        properties = self._expiry()
        # An emergency goes to its own topic, which the daemon serves ahead of anything
        # queued on cmd (a flood there cannot hold it back).
        topic = topics.emergency if body.get("action") == "emergency" else topics.cmd
        mid = self._client.publish(topic, payload, qos=1, properties=properties).mid
        sent = time.monotonic()
        deadline = sent + REPLY_TIMEOUT_S
        while not reply:
            code = self._take(self._pubacks, mid)
            refused = code is not None and code.is_failure
            late = time.monotonic() > sent + EMERGENCY_FALLBACK_S
            if topic != topics.cmd and (refused or late):
                # No answer on the emergency topic (a daemon whose urgent line is down, an
                # older daemon, an account allowed only cmd): the same emergency, with the
                # same request id, on cmd as well. A second one changes nothing.
                topic = topics.cmd
                mid = self._client.publish(topic, payload, qos=1, properties=properties).mid
                continue
            if refused:
                raise BrokerError(
                    f"the broker refused the command to {topic} for this account ({code}): "
                    "this user may not command rooms"
                )
            if time.monotonic() > deadline:
                where = f"on {self._url}"
                if self._base != PREFIX:  # a site's room, through its bridge
                    where = f"at its site, and is the site's link to {self._url} up"
                raise NoReplyError(
                    f"no reply from room {room_id} within {REPLY_TIMEOUT_S:g} s: "
                    f"is `roomctl run` serving it {where}?"
                )
            self._changed.wait(POLL_S)
            self._changed.clear()
        return reply

    def _expiry(self) -> Properties | None:
        """Return the MQTT v5 properties that make a command expire, or None over v3.1.1."""
        if not self._v5:
            return None
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.MessageExpiryInterval = COMMAND_EXPIRY_S
        return properties

    def retained(self, *topics: str) -> list[Delivery]:
        """Return the retained messages on topic filters (they come in one burst)."""
        burst: list[Delivery] = []
        last = [time.monotonic()]

        def take(delivery: Delivery) -> None:
            with self._lock:
                burst.append(delivery)
            last[0] = time.monotonic()

        self.on_delivery(take)
        self.subscribe(*topics)
        last[0] = time.monotonic()
        while time.monotonic() - last[0] < RETAINED_QUIET_S:
            time.sleep(RETAINED_QUIET_S / 3)
        with self._lock:
            return list(burst)

    def _take(self, acks: dict[int, Any], mid: int) -> Any:
        with self._lock:
            return acks.pop(mid, None)

    # -- paho callbacks (its network thread) ---------------------------------------------

    def _handle_connect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self._connack = reason_code
        self._changed.set()

    def _handle_disconnect(self, *_args: object) -> None:
        self._closed = True
        self._changed.set()

    def _handle_publish(
        self,
        _client: mqtt.Client,
        _userdata: object,
        mid: int,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        with self._lock:
            self._pubacks[mid] = reason_code
        self._changed.set()

    def _handle_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        with self._lock:
            self._subacks[mid] = reason_codes
        self._changed.set()

    def _handle_message(self, _client: object, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        delivery = Delivery(msg.topic, bytes(msg.payload), bool(msg.retain))
        for handler in list(self._handlers):
            handler(delivery)
