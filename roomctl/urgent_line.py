"""One broker connection for what must not wait: emergencies in, freezes and jumps out."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from roomctl.broker_url import BrokerUrl
from roomctl.bus import Bus
from roomctl.messages import Inbound, Message


class UrgentLine:
    """A daemon's second connection to a broker, shared by its rooms there.

    A room's own connection carries everything else: under a flood its outgoing queue
    holds thousands of replies, and its incoming stream thousands of junk commands, each
    of which must be read before the next. Nothing queues on this one: it carries only
    the rooms' `roomctl/R/emergency` topics in (at QoS 0, so the broker hands each over at
    once) and the commands that freeze or jump the lights out.
    """

    def __init__(self, url: BrokerUrl) -> None:
        self._routes: dict[str, Callable[[Inbound], None]] = {}
        self.bus = Bus(
            url, client_id=f"roomctl-urgent-{uuid.uuid4().hex[:8]}", on_message=self._route
        )

    def serve(self, topic: str, handler: Callable[[Inbound], None]) -> None:
        """Hand every message on `topic` to `handler` (on the connection's thread)."""
        self._routes[topic] = handler
        self.bus.subscribe(topic, qos=0)

    def publish(self, msg: Message) -> None:
        """Publish from any thread, with nothing queued ahead of it on this connection."""
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
