"""The console's MQTT client: every room's latest state, pushed to live subscribers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from roomctl.api.topics import REPLIES_PREFIX
from roomctl.console.links import SiteLink
from roomctl.console.places import (
    Layout,
    LinkMessage,
    ReplyMessage,
    RoomKey,
    RoomMessage,
)
from roomctl.console.rooms import RoomView
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.connection import (
    KEEPALIVE_S,
    UNSUPPORTED_PROTOCOL_VERSION,
    paho_client,
    tls_context,
)

_LOGGER = logging.getLogger(__name__)
# How long paho waits between tries to reach a broker that went away: short enough that a
# restarted broker shows the rooms again within seconds, long enough not to spin.
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 5
# Live subscribers each get a queue this long; a browser that falls this far behind
# (a dead connection not yet noticed) loses its oldest changes rather than memory.
QUEUE_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Change:
    """One change pushed to live subscribers, as the SSE `data:` JSON (room None: a link's)."""

    site: str
    room: str | None
    data: dict[str, Any]


# A reply's site, its request id (None: on a room's reply topic) and payload.
Reply = Callable[[str, str | None, bytes], None]


class Watcher:
    """One paho client for every room; all its state lives on the asyncio loop's thread.

    It speaks MQTT v5 (replies on its own response topic) and falls back to v3.1.1 for a
    broker that refuses v5 or a URL that pins it (`broker: embedded`, `roomctl demo
    --console`): there replies come on each room's reply topic, told apart by request id.
    """

    def __init__(self, url: BrokerUrl, layout: Layout | None = None) -> None:
        self.url = url
        self.layout = layout or Layout()
        self.client_id = f"roomctl-console-{uuid.uuid4().hex[:8]}"
        # Where the daemon answers, at its own broker (a site's bridge carries it here).
        self.replies_base = f"{REPLIES_PREFIX}{self.client_id}/"
        self.rooms: dict[RoomKey, RoomView] = {}
        self.links = {site: SiteLink(site) for site in self.layout.sites}
        self.connected = False
        self.v5 = url.protocol != "3.1.1"
        self.on_reply: Reply = lambda _site, _request, _payload: None
        self._queues: set[asyncio.Queue[Change]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client = self._new_client()

    def _new_client(self) -> mqtt.Client:
        client = paho_client(self.url, self.client_id, self.v5, tls_context(self.url))
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        return client

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connect in paho's network thread; messages are handled on loop."""
        self._loop = loop
        self._client.connect_async(self.url.host, self.url.port, keepalive=KEEPALIVE_S)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, topic: str, payload: str, properties: Properties | None) -> bool:
        """Publish at QoS 1; return False when the broker is not connected."""
        if not self.connected:
            return False
        info = self._client.publish(topic, payload, qos=1, properties=properties)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def stale(self, site: str) -> bool:
        """Tell whether a site's link is down, so what it last said of its rooms is old."""
        link = self.links.get(site)
        return link is not None and link.down

    def summary(self, room: RoomView) -> dict[str, Any]:
        """Return a room as the API shows it, stale while its site's link is down."""
        return room.summary(self.stale(room.site))

    def subscribe(self) -> asyncio.Queue[Change]:
        """Return a queue that gets every change from now on."""
        queue: asyncio.Queue[Change] = asyncio.Queue(QUEUE_LENGTH)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        """Stop sending changes to a queue."""
        self._queues.discard(queue)

    # -- paho's network thread: hand everything over to the loop ----------------------------

    def _handle_connect(
        self, client: mqtt.Client, _u: object, _f: object, code: ReasonCode, _p: object
    ) -> None:
        if client is not self._client:
            return
        if code.is_failure:
            if self.url.protocol is None and code.value == UNSUPPORTED_PROTOCOL_VERSION:
                self._call(self._fall_back_to_v311)
                return
            _LOGGER.warning("the broker at %s refused the console: %s", self.url, code)
            return
        topics = self.layout.subscriptions(self.client_id, self.v5)
        client.subscribe([(topic, 1) for topic in topics])
        self._call(self._set_connected, True)
        _LOGGER.info("connected to the broker at %s as %s", self.url, self.client_id)

    def _handle_disconnect(self, client: mqtt.Client, *_args: object) -> None:
        if client is self._client:
            self._call(self._set_connected, False)

    def _handle_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        self._call(self._take, msg.topic, bytes(msg.payload), bool(msg.retain))

    def _call(self, function: Callable[..., None], *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(function, *args)

    # -- the loop's thread ----------------------------------------------------------------

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected

    def _fall_back_to_v311(self) -> None:
        """Drop the v5 client and connect again in v3.1.1."""
        _LOGGER.info("%s does not speak MQTT v5; falling back to v3.1.1", self.url)
        old = self._client
        old.on_disconnect = None
        old.disconnect()
        old.loop_stop()
        self.v5 = False
        self._client = self._new_client()
        if self._loop is not None:
            self.start(self._loop)

    def _take(self, topic: str, payload: bytes, retained: bool) -> None:
        found = self.layout.parse(topic, self.client_id)
        if isinstance(found, ReplyMessage):
            self.on_reply(found.site, found.request_id, payload)
        elif isinstance(found, LinkMessage):
            link = self.links[found.site]
            link.take(payload, retained, time.time())
            self._push(found.site, None, {"kind": "link", **link.summary()})
        elif isinstance(found, RoomMessage):
            self._take_room(found, payload, retained)

    def _take_room(self, where: RoomMessage, payload: bytes, retained: bool) -> None:
        site, room_id, kind = where.site, where.room, where.kind
        room = self.rooms.setdefault((site, room_id), RoomView(room_id, site))
        if kind == "availability":
            room.take_availability(payload.decode(errors="replace"), retained, time.time())
            self._push(site, room_id, {"kind": "availability", **self.summary(room)})
            return
        try:
            data = json.loads(payload)
        except ValueError:
            _LOGGER.warning("ignoring a %s message of room %s that is not JSON", kind, room_id)
            return
        if not isinstance(data, dict):
            return
        if kind == "state":
            room.take_state(data)
            self._push(site, room_id, {"kind": "state", "state": data, **_pauses(room)})
        elif kind == "events":
            room.take_event(data)
            self._push(site, room_id, {"kind": "event", "event": data, **_pauses(room)})
        else:
            room.catalog = data
            self._push(site, room_id, {"kind": "catalog", "profiles": room.profiles()})

    def _push(self, site: str, room_id: str | None, data: dict[str, Any]) -> None:
        change = Change(site, room_id, {**data, "site": site, "room": room_id})
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(change)


def _pauses(room: RoomView) -> dict[str, Any]:
    return {"pauses": [[p.at_s, p.paused_s] for p in room.pauses]}
