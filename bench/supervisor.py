"""The bench's supervisor: roomctl's short-lived client, keeping every arrival with its time."""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from roomctl.mqtt.broker_url import Protocol, parse_broker_url
from roomctl.mqtt.client import Client, Delivery

# A daemon answers in milliseconds; a reply later than this counts as none.
REPLY_TIMEOUT_S = 10.0
# The supervisor speaks MQTT v3.1.1, as the bench's instrument always has: the figures
# stay comparable with earlier runs (the roomctl CLI would pick v5 on Mosquitto).
PROTOCOL: Protocol = "3.1.1"
# (ping topic, pong topic, whether the echo client disables Nagle's algorithm)
ECHOES = (
    ("bench/echo/ping", "bench/echo/pong", True),
    ("bench/echo/ping-default", "bench/echo/pong-default", False),
)
# What the supervisor hears: every room's replies, events, availability and state, and
# the echo process's answers.
TOPICS = (
    "roomctl/+/reply",
    "roomctl/+/events",
    "roomctl/+/availability",
    "roomctl/+/state",
    *(pong for _, pong, _ in ECHOES),
)


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

    def __init__(self, broker_url: str) -> None:
        url = dataclasses.replace(parse_broker_url(broker_url), protocol=PROTOCOL)
        self._inbox = _Inbox()
        self._ids = itertools.count()
        # roomctl's own client sends each packet at once (TCP_NODELAY), as an instrument must.
        self._client = Client(url).__enter__()
        self._client.on_delivery(self._on_delivery)
        self._client.subscribe(*TOPICS)

    def close(self) -> None:
        """Disconnect."""
        self._client.__exit__()

    # -- commands ------------------------------------------------------------------

    def send(
        self, room: str, action: str, topic: str = "cmd", **fields: object
    ) -> tuple[str, float, float]:
        """Publish a command (to roomctl/R/<topic>); return its request id and send time."""
        request_id = f"b{next(self._ids)}"
        body = json.dumps({"action": action, "request_id": request_id, **fields})
        sent_wall, sent_mono = time.time(), time.monotonic()
        self._client.publish(f"roomctl/{room}/{topic}", body)
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
        reply = self.reply(*self.send(room, action, "cmd", **fields))
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
        self._client.publish(ping, token)
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

    # -- arrivals (the client's network thread) ------------------------------------

    def _on_delivery(self, delivery: Delivery) -> None:
        mono, wall = time.monotonic(), time.time()
        topic = delivery.topic
        text = delivery.payload.decode("utf-8", "replace")
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
