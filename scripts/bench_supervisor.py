"""The bench's supervisor: a paho client that sends commands and times replies and events."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.mqtt.broker_url import parse_broker_url

# Commands and replies travel at QoS 1, as the roomctl CLI sends them.
QOS = 1
# A daemon answers in milliseconds; a reply later than this counts as none.
REPLY_TIMEOUT_S = 10.0
# A local broker accepts a connection in milliseconds.
CONNECT_TIMEOUT_S = 10.0
# (ping topic, pong topic, whether the echo client disables Nagle's algorithm)
ECHOES = (
    ("bench/echo/ping", "bench/echo/pong", True),
    ("bench/echo/ping-default", "bench/echo/pong-default", False),
)


def set_nodelay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """Send each MQTT packet at once instead of waiting for the last one's ACK (Nagle)."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@dataclass(frozen=True)
class Arrival:
    """One message the supervisor received, with both clocks read on arrival."""

    topic: str
    payload: dict[str, Any]
    mono: float
    wall: float


@dataclass(frozen=True)
class Reply:
    """A command's send time (both clocks) and its reply's arrival."""

    sent_mono: float
    sent_wall: float
    arrival: Arrival

    @property
    def latency_s(self) -> float:
        """Return the command's round trip in seconds."""
        return self.arrival.mono - self.sent_mono

    @property
    def ok(self) -> bool:
        """Return whether the daemon accepted the command."""
        return bool(self.arrival.payload.get("ok"))


@dataclass
class _Inbox:
    """Arrivals the supervisor keeps, guarded by one condition."""

    condition: threading.Condition = field(default_factory=threading.Condition)
    replies: dict[str, Arrival] = field(default_factory=dict)
    pongs: dict[str, float] = field(default_factory=dict)
    events: list[Arrival] = field(default_factory=list)
    availability: dict[str, Arrival] = field(default_factory=dict)
    states: dict[str, float] = field(default_factory=dict)  # room -> last arrival (mono)
    anonymous: dict[str, int] = field(default_factory=dict)  # room -> replies without an id


class Supervisor:
    """Send commands to rooms and keep every reply, event, availability and echo with its time."""

    def __init__(self, broker_url: str, name: str = "bench") -> None:
        url = parse_broker_url(broker_url)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"roomctl-{name}", protocol=mqtt.MQTTv311
        )
        self._inbox = _Inbox()
        self._ids = itertools.count()
        self._ready = threading.Event()
        # The supervisor is the bench's instrument, not what is measured: it sends at once.
        self._client.on_socket_open = set_nodelay
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_: self._ready.set()
        self._client.on_message = self._on_message
        self._client.connect(url.host, url.port)
        self._client.loop_start()
        if not self._ready.wait(CONNECT_TIMEOUT_S):
            raise RuntimeError(f"the bench supervisor could not reach {broker_url}")

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()

    # -- commands ------------------------------------------------------------------

    def send(
        self, room: str, action: str, topic: str = "cmd", **fields: object
    ) -> tuple[str, float, float]:
        """Publish a command (to roomctl/R/<topic>); return its request id and send time."""
        request_id = f"b{next(self._ids)}"
        body = json.dumps({"action": action, "request_id": request_id, **fields})
        sent_wall, sent_mono = time.time(), time.monotonic()
        self._client.publish(f"roomctl/{room}/{topic}", body, QOS)
        return request_id, sent_mono, sent_wall

    def reply(
        self, request_id: str, sent_mono: float, sent_wall: float, timeout: float = REPLY_TIMEOUT_S
    ) -> Reply:
        """Wait for the reply to a sent command."""
        with self._inbox.condition:
            if not self._inbox.condition.wait_for(
                lambda: request_id in self._inbox.replies, timeout
            ):
                raise TimeoutError(f"no reply to command {request_id}")
            arrival = self._inbox.replies.pop(request_id)
        return Reply(sent_mono, sent_wall, arrival)

    def command(self, room: str, action: str, **fields: object) -> Reply:
        """Send a command and wait for its reply; raise if it is refused."""
        reply = self.reply(*self.send(room, action, **fields))
        if not reply.ok:
            raise RuntimeError(f"{room}: {action} refused: {reply.arrival.payload}")
        return reply

    def anonymous_replies(self, room: str) -> int:
        """Return how many replies without a request id a room has sent so far."""
        with self._inbox.condition:
            return self._inbox.anonymous.get(room, 0)

    # -- echo baseline -------------------------------------------------------------

    def ping(self, nodelay: bool = True) -> float:
        """Return one round trip through the echo process, in seconds.

        With `nodelay` the echo client has TCP_NODELAY set (the floor); without, it has
        paho's defaults, as roomctl's bus does.
        """
        token = f"p{next(self._ids)}"
        ping = next(p for p, _, fast in ECHOES if fast == nodelay)
        sent = time.monotonic()
        self._client.publish(ping, token, QOS)
        with self._inbox.condition:
            if not self._inbox.condition.wait_for(
                lambda: token in self._inbox.pongs, REPLY_TIMEOUT_S
            ):
                raise TimeoutError("the echo process did not answer")
            return self._inbox.pongs.pop(token) - sent

    # -- events and availability ---------------------------------------------------

    def events(self) -> list[Arrival]:
        """Return every event received so far."""
        with self._inbox.condition:
            return list(self._inbox.events)

    def wait_ready(self, room: str, after_mono: float, timeout: float) -> None:
        """Wait until a room takes commands: `online`, then a state, since `after_mono`.

        `online` alone is not enough: the daemon's bus publishes it before its command
        subscription is in place (see the bench report), and a command sent in between is
        lost. The state that follows comes after the subscription's SUBACK.
        """
        self.wait_online(room, after_mono, timeout)

        def stated() -> bool:
            return self._inbox.states.get(room, 0.0) > after_mono

        with self._inbox.condition:
            if not self._inbox.condition.wait_for(stated, timeout):
                raise TimeoutError(f"{room} published no state within {timeout:.0f} s")

    def wait_online(self, room: str, after_mono: float, timeout: float) -> float:
        """Wait for `online` on a room's availability after `after_mono`; return its arrival."""

        def online() -> bool:
            arrival = self._inbox.availability.get(room)
            return (
                arrival is not None
                and arrival.mono > after_mono
                and arrival.payload.get("text") == "online"
            )

        with self._inbox.condition:
            if not self._inbox.condition.wait_for(online, timeout):
                raise TimeoutError(f"{room} did not come online within {timeout:.0f} s")
            return self._inbox.availability[room].mono

    # -- paho callbacks ------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, _r: Any, _p: Any) -> None:
        client.subscribe(
            [
                ("roomctl/+/reply", QOS),
                ("roomctl/+/events", QOS),
                ("roomctl/+/availability", QOS),
                ("roomctl/+/state", QOS),
                *((pong, QOS) for _, pong, _ in ECHOES),
            ]
        )

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        mono, wall = time.monotonic(), time.time()
        topic = message.topic
        text = bytes(message.payload).decode("utf-8", "replace")
        with self._inbox.condition:
            if topic.startswith("bench/echo/"):
                self._inbox.pongs[text] = mono
            elif topic.endswith("/state"):
                self._inbox.states[topic.split("/")[1]] = mono
            elif topic.endswith("/availability"):
                room = topic.split("/")[1]
                self._inbox.availability[room] = Arrival(topic, {"text": text}, mono, wall)
            else:
                payload = json.loads(text)
                arrival = Arrival(topic, payload, mono, wall)
                if topic.endswith("/reply") and payload.get("request_id") is None:
                    room = topic.split("/")[1]
                    self._inbox.anonymous[room] = self._inbox.anonymous.get(room, 0) + 1
                elif topic.endswith("/reply"):
                    self._inbox.replies[str(payload.get("request_id"))] = arrival
                else:
                    self._inbox.events.append(arrival)
            self._inbox.condition.notify_all()
