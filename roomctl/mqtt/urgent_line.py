"""One broker connection for emergencies alone, so no flood of other commands is ahead of them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from roomctl.api.messages import Inbound, Message
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.bus import Bus
from roomctl.mqtt.loop import URGENT, NetworkLoop


class UrgentLine:
    """A daemon's second connection to a broker, shared by its rooms there.

    A broker delivers one subscription's messages in order, so under a flood on a room's
    `cmd` topic an emergency sent there arrives only once the thousands of commands ahead
    of it have been read. This connection carries only the rooms' `roomctl/R/emergency`
    topics (at QoS 0, so the broker hands each over at once): nothing is ever ahead of an
    emergency on it, and the network loop reads its socket before any other. What the room
    then sends goes out on the room's own connection.
    """

    def __init__(self, url: BrokerUrl, loop: NetworkLoop | None = None) -> None:
        self._routes: dict[str, Callable[[Inbound], None]] = {}
        self.bus = Bus(
            url,
            client_id=f"roomctl-urgent-{uuid.uuid4().hex[:8]}",
            on_message=self._route,
            loop=loop,
            priority=URGENT,
        )

    def serve(self, topic: str, handler: Callable[[Inbound], None]) -> None:
        """Hand every message on `topic` to `handler` (on the network loop's thread)."""
        self._routes[topic] = handler
        self.bus.subscribe(topic, qos=0)

    def publish(self, msg: Message) -> None:
        """Publish from any thread (the clearing of a retained emergency)."""
        self.bus.publish(msg)

    def start(self) -> None:
        """Start connecting (and reconnecting) in the background."""
        self.bus.start()

    def stop(self) -> None:
        """Disconnect cleanly."""
        self.bus.stop()

    def _route(self, inbound: Inbound) -> None:
        handler = self._routes.get(inbound.topic)
        if handler is not None:
            handler(inbound)
