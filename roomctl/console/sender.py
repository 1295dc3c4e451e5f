"""Commands from the console: the user as operator, MQTT v5 responses, timeouts."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from roomctl.api.send_time import COMMAND_EXPIRY_S, wire_time
from roomctl.api.topics import RoomTopics
from roomctl.console.places import key_text
from roomctl.console.watcher import Watcher
from roomctl.mqtt.client import EMERGENCY_FALLBACK_S, REPLY_TIMEOUT_S

_LOGGER = logging.getLogger(__name__)


class NoReply(Exception):  # noqa: N818 - it is an outcome, answered with 504
    """No daemon answered in time."""


class BrokerDown(Exception):  # noqa: N818 - it is an outcome, answered with 502
    """The broker cannot be reached."""


class Sender:
    """Send commands through the watcher's client and wait for their MQTT v5 responses."""

    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher
        # Each command waiting for its reply: the site it went to, and its outcome.
        self._waiting: dict[str, tuple[str, asyncio.Future[dict[str, Any]]]] = {}
        watcher.on_reply = self._take_reply

    async def send(
        self, site: str, room: str, body: dict[str, Any], operator: str
    ) -> dict[str, Any]:
        """Send body to a site's room as operator; return the daemon's reply."""
        request_id = f"console-{uuid.uuid4().hex[:12]}"
        sent_at = wire_time(datetime.now(tz=UTC))  # the room refuses it when late (api.send_time)
        payload = json.dumps(
            {**body, "operator": operator, "request_id": request_id, "sent_at": sent_at}
        )
        topics = RoomTopics(room, self._watcher.layout.base(site))
        properties: Properties | None = None
        if self._watcher.v5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            # At the daemon's broker; a site's bridge carries it to clinic/<site>/roomctl/replies/.
            properties.ResponseTopic = f"{self._watcher.replies_base}{request_id}"
            properties.CorrelationData = request_id.encode()
            properties.MessageExpiryInterval = COMMAND_EXPIRY_S  # dropped once given up on
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (site, future)
        try:
            urgent = body.get("action") == "emergency"
            first = topics.emergency if urgent else topics.cmd
            if not self._watcher.publish(first, payload, properties):
                raise BrokerDown(f"the broker at {self._watcher.url} cannot be reached")
            named = key_text(site, room)
            _LOGGER.info("%s sent %s to %s", operator, body.get("action"), named)
            timeout = REPLY_TIMEOUT_S
            if urgent:
                # As the CLI does: an emergency unanswered on its own topic goes to cmd too.
                done, _ = await asyncio.wait({future}, timeout=EMERGENCY_FALLBACK_S)
                if not done:
                    self._watcher.publish(topics.cmd, payload, properties)
                timeout -= EMERGENCY_FALLBACK_S
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout)
            except TimeoutError:
                link = self._watcher.links.get(site)
                if link is not None and link.down:
                    raise NoReply(link.unreachable()) from None
                raise NoReply(f"no reply from room {named} within {REPLY_TIMEOUT_S:g} s") from None
        finally:
            self._waiting.pop(request_id, None)

    def _take_reply(self, site: str, request_id: str | None, payload: bytes) -> None:
        """Settle the command a reply answers: by its response topic, else its request id."""
        try:
            reply = json.loads(payload)
        except ValueError:
            return
        if not isinstance(reply, dict):
            return
        if request_id is None:
            request_id = str(reply.get("request_id"))  # a room's reply topic (MQTT v3.1.1)
        sent_to, future = self._waiting.get(request_id, (None, None))
        if future is not None and sent_to == site and not future.done():
            future.set_result(reply)
