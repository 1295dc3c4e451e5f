"""A short-lived MQTT client for the CLI: send a command and wait for its reply, read state."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.api.topics import ALL_STATES, RoomTopics
from roomctl.broker_url import BrokerUrl, parse_broker_url
from roomctl.bus import no_delay

DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
BROKER_ENV = "ROOMCTL_BROKER"
# A daemon answers within milliseconds; 5 s allows a loaded broker and a slow network
# while still telling a supervisor quickly that nobody is answering.
REPLY_TIMEOUT_S = 5.0
# Connecting to a broker on the clinic network takes well under a second.
CONNECT_TIMEOUT_S = 5.0
# Retained states all arrive in one burst after subscribing; this long without a new one
# means the burst is over.
RETAINED_QUIET_S = 0.3


def _json_object(payload: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _state_of(payload: bytes) -> dict[str, Any] | None:
    data = _json_object(payload)
    return data if data is not None and isinstance(data.get("room"), str) else None


class NoReplyError(Exception):
    """No broker, or no daemon answered in time."""


def broker_url(option: str | None) -> BrokerUrl:
    """Return the broker for CLI commands: --broker, else $ROOMCTL_BROKER, else localhost."""
    return parse_broker_url(option or os.environ.get(BROKER_ENV) or DEFAULT_BROKER)


class Client:
    """One connection to the broker, for one CLI command."""

    def __init__(self, url: BrokerUrl) -> None:
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"roomctl-cli-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
        )
        if url.username is not None:
            self._client.username_pw_set(url.username, url.password)
        if url.tls:
            self._client.tls_set(ca_certs=url.ca_file)
        self._url = url
        self._connected = threading.Event()
        self._client.on_connect = self._handle_connect
        self._handlers: list[Callable[[str, bytes], None]] = []
        self._client.on_message = self._handle_message
        self._client.on_socket_open = no_delay

    def __enter__(self) -> Client:
        try:
            self._client.connect(self._url.host, self._url.port)
        except OSError as error:
            raise NoReplyError(f"cannot reach the broker at {self._url}: {error}") from None
        self._client.loop_start()
        if not self._connected.wait(CONNECT_TIMEOUT_S):
            self._client.loop_stop()
            raise NoReplyError(f"the broker at {self._url} did not accept the connection")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def on_message(self, handler: Callable[[str, bytes], None]) -> None:
        """Call handler(topic, payload) for every message that arrives."""
        self._handlers.append(handler)

    def subscribe(self, topic: str) -> None:
        """Subscribe to a topic filter and wait until the broker confirms."""
        done = threading.Event()
        self._client.on_subscribe = lambda *_args: done.set()
        self._client.subscribe(topic, qos=1)
        done.wait(CONNECT_TIMEOUT_S)

    def command(self, room_id: str, body: dict[str, object]) -> dict[str, Any]:
        """Send a command to a room and return its reply."""
        topics = RoomTopics(room_id)
        request_id = uuid.uuid4().hex[:12]
        reply: dict[str, Any] = {}
        arrived = threading.Event()

        def take(topic: str, payload: bytes) -> None:
            data = _json_object(payload) if topic == topics.reply else None
            if data is not None and data.get("request_id") == request_id:
                reply.update(data)
                arrived.set()

        self.on_message(take)
        self.subscribe(topics.reply)
        self._client.publish(topics.cmd, json.dumps({**body, "request_id": request_id}), qos=1)
        if not arrived.wait(REPLY_TIMEOUT_S):
            raise NoReplyError(
                f"no reply from room {room_id} within {REPLY_TIMEOUT_S:g} s: "
                f"is `roomctl run` serving it on {self._url}?"
            )
        return reply

    def states(self, room_id: str | None = None) -> dict[str, dict[str, Any]]:
        """Return the retained state of every room (or of one), by room id."""
        states: dict[str, dict[str, Any]] = {}
        last = [time.monotonic()]

        def take(_topic: str, payload: bytes) -> None:
            data = _state_of(payload)
            if data is not None:
                states[data["room"]] = data
                last[0] = time.monotonic()

        self.on_message(take)
        self.subscribe(RoomTopics(room_id).state if room_id else ALL_STATES)
        while time.monotonic() - last[0] < RETAINED_QUIET_S:
            time.sleep(RETAINED_QUIET_S / 3)
        return states

    def watch_states(self, room_id: str | None, handler: Callable[[dict[str, Any]], None]) -> None:
        """Call handler with every state published from now on (retained ones first)."""

        def take(_topic: str, payload: bytes) -> None:
            data = _state_of(payload)
            if data is not None:
                handler(data)

        self.on_message(take)
        self.subscribe(RoomTopics(room_id).state if room_id else ALL_STATES)

    def _handle_connect(self, *_args: object) -> None:
        self._connected.set()

    def _handle_message(self, _client: object, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        for handler in list(self._handlers):
            handler(msg.topic, bytes(msg.payload))
