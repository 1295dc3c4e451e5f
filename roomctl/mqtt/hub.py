"""All of a daemon's traffic with one broker: one shared connection, the urgent line, presences."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from roomctl.api.messages import Inbound
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.bus import SUBSCRIBE_QOS, Bus
from roomctl.mqtt.loop import NetworkLoop
from roomctl.mqtt.presence import Presence
from roomctl.mqtt.urgent_line import UrgentLine

_LOGGER = logging.getLogger(__name__)


class BrokerHub:
    """One broker's connections for every room of a daemon, all serviced by one NetworkLoop.

    The shared connection carries every room's commands, replies, state, events and
    device traffic; messages are handed to the handlers routed for their exact topic.
    The urgent line carries emergencies only; each room's Presence, its availability.
    """

    def __init__(self, url: BrokerUrl, loop: NetworkLoop, rooms: int) -> None:
        self.url = url
        self._loop = loop
        self._routes: dict[str, list[Callable[[Inbound], None]]] = {}
        self._listeners: list[Callable[[bool], None]] = []
        self._presences: list[Presence] = []
        self.bus = Bus(
            url,
            client_id=f"roomctl-{uuid.uuid4().hex[:8]}",
            on_message=self._route,
            on_connection=self._connection,
            loop=loop,
            rooms=rooms,
        )
        self.urgent = UrgentLine(url, loop, gate=self.bus)

    def start(self, wait_s: float) -> None:
        """Connect; wait up to wait_s for each connection (one that is down is retried)."""
        self.bus.start()
        self.bus.wait_connected(wait_s)
        self.urgent.start()
        self.urgent.bus.wait_connected(wait_s)

    def route(
        self, topic: str, handler: Callable[[Inbound], None], qos: int = SUBSCRIBE_QOS
    ) -> None:
        """Subscribe to an exact topic on the shared connection and hand its messages to handler."""
        self._routes.setdefault(topic, []).append(handler)
        self.bus.subscribe(topic, qos)

    def on_connection(self, listener: Callable[[bool], None]) -> None:
        """Tell listener (on the loop's thread) whenever the shared connection comes up or drops."""
        self._listeners.append(listener)

    def presence(self, room_id: str) -> Presence:
        """Return a new Presence for room_id on this broker (start it once the room is served)."""
        presence = Presence(self.url, room_id, self._loop, self.bus)
        self._presences.append(presence)
        return presence

    def stop(self) -> None:
        """Say every room offline, then disconnect every connection cleanly.

        The rooms' `offline` goes out on the shared connection first, behind their last
        replies (a broker keeps one connection's order), so no reply comes after it; a
        presence says it again itself only when the shared connection could not.
        """
        for presence in self._presences:
            presence.retire()
        said = self.bus.stop(final=[presence.offline for presence in self._presences])
        for presence in self._presences:
            presence.stop(said)
        self.urgent.stop()

    def _route(self, inbound: Inbound) -> None:
        for handler in self._routes.get(inbound.topic, ()):
            try:
                handler(inbound)
            except Exception:
                _LOGGER.exception("handling a message on %s failed", inbound.topic)

    def _connection(self, connected: bool) -> None:
        for presence in self._presences:
            presence.follow(connected)
        for listener in self._listeners:
            try:
                listener(connected)
            except Exception:
                _LOGGER.exception("on_connection(%s) failed", connected)
