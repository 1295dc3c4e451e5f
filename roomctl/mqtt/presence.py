"""A room's availability on a will-only connection of its own, serviced by the shared loop."""

from __future__ import annotations

import uuid

from roomctl.api.messages import Inbound, Message
from roomctl.api.topics import RoomTopics
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.bus import Bus
from roomctl.mqtt.loop import NetworkLoop

ONLINE = "online"
OFFLINE = "offline"


def _ignore(_inbound: Inbound) -> None:
    """Take nothing: a presence connection subscribes to nothing."""


class Presence:
    """Keep `roomctl/R/availability` retained `online` while the room is served, else `offline`.

    An MQTT will covers one topic, and the contract gives each room its own availability
    topic, so each room has a small connection whose will is the room's `offline`: if the
    daemon dies (kill -9, a crash, the machine gone) the broker publishes it, at once when
    the socket closes or within 1.5 x the keepalive when the machine vanishes. It carries
    nothing else. It says `online` only while the `shared` connection, which carries the
    room's commands, is up with the room's subscriptions active, and `offline` when that
    connection drops while this one stays.
    """

    def __init__(self, url: BrokerUrl, room_id: str, loop: NetworkLoop, shared: Bus) -> None:
        topic = RoomTopics(room_id).availability
        self._online = Message(topic, ONLINE, retain=True)
        self._offline = Message(topic, OFFLINE, retain=True)
        self._shared = shared
        self._serving = False
        self._bus = Bus(
            url,
            client_id=f"roomctl-{room_id}-{uuid.uuid4().hex[:8]}",
            on_message=_ignore,
            will=self._offline,
            loop=loop,
            gate=shared,
        )

    @property
    def bus(self) -> Bus:
        """Return the presence connection (for tests and start-up waits)."""
        return self._bus

    def start(self) -> None:
        """Connect, and say `online` once the room's subscriptions on the shared one are active."""
        self._serving = True
        self._bus.start()
        self._shared.when_subscribed(self._show_online)

    def follow(self, shared_up: bool) -> None:
        """Follow the shared connection: `offline` while it is down, `online` once back."""
        if not self._serving:
            return
        if shared_up:
            self._shared.when_subscribed(self._show_online)
        else:
            self._bus.publish(self._offline)

    @property
    def offline(self) -> Message:
        """Return the room's retained `offline`."""
        return self._offline

    def retire(self) -> None:
        """Stop following the shared connection (the room is stopping)."""
        self._serving = False

    def stop(self, said: bool = False) -> None:
        """Disconnect cleanly, saying `offline` first unless the shared connection `said` it.

        A clean disconnect tells the broker not to publish the will.
        """
        self._serving = False
        self._bus.stop(final=[] if said else [self._offline])

    def _show_online(self) -> None:
        if self._serving and self._shared.connected:
            self._bus.publish(self._online)
