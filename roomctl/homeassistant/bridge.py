"""Announce rooms to Home Assistant and take its profile choice and start press.

One bridge per broker, on a connection of its own, with one thread of its own: the
network loop only queues what arrives, and a room's worker and its emergency line never
wait for anything here. A room's other buttons need no bridge: they publish the room's
commands straight to `roomctl/R/cmd` and `roomctl/R/emergency`.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from roomctl.api.command_types import StartCommand
from roomctl.api.messages import Inbound, Message
from roomctl.api.topics import RoomTopics
from roomctl.homeassistant.discovery import ONLINE, config_topic, discovery_payload, status_topic
from roomctl.homeassistant.entities import OPERATOR
from roomctl.models import RoomPreset
from roomctl.mqtt import BrokerUrl, Bus, NetworkLoop

_LOGGER = logging.getLogger(__name__)

# How long stop() waits for the bridge's thread: it only ever publishes or hands over a
# command, which take microseconds; a broker that is away never holds it up.
STOP_WAIT_S = 2.0
# The longest profile choice taken: a profile name is at most 64 characters.
MAX_CHOICE_BYTES = 64


@dataclass(frozen=True)
class BridgedRoom:
    """A room announced to Home Assistant, and how a command is handed to it."""

    room: RoomPreset
    prefix: str
    submit: Callable[[str], None]


class HomeAssistantBridge:
    """Every Home Assistant room of one broker: announce, re-announce, choose, start."""

    def __init__(self, url: BrokerUrl, rooms: Sequence[BridgedRoom], loop: NetworkLoop) -> None:
        self._rooms = {served.room.id: served for served in rooms}
        self._queue: queue.SimpleQueue[Inbound | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="roomctl-ha", daemon=True)
        self._bus = Bus(url, f"roomctl-ha-{uuid.uuid4().hex[:8]}", self._queue.put, loop=loop)
        self._routes: dict[str, tuple[str, str]] = {}  # topic -> (what, room id or prefix)
        for room_id, served in self._rooms.items():
            topics = RoomTopics(room_id)
            self._routes[topics.catalog] = ("catalog", room_id)
            self._routes[topics.ha_profile] = ("choice", room_id)
            self._routes[topics.ha_start] = ("start", room_id)
            self._routes[status_topic(served.prefix)] = ("status", served.prefix)
        self._profiles: dict[str, list[str]] = {}  # room id -> its catalog's profile names
        self._choice: dict[str, str] = {}  # room id -> the profile chosen in Home Assistant

    def start(self) -> None:
        """Subscribe and start; each room is announced once its catalog is known."""
        for topic in self._routes:
            self._bus.subscribe(topic)
        self._thread.start()
        self._bus.start()

    def stop(self) -> None:
        """Stop taking presses and disconnect; the retained configs stay for Home Assistant."""
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(STOP_WAIT_S)
        self._bus.stop()

    def _run(self) -> None:
        while (inbound := self._queue.get()) is not None:
            try:
                self._take(inbound)
            except Exception:  # one odd message must not end the bridge
                _LOGGER.exception("Home Assistant bridge: cannot handle a message")

    def _take(self, inbound: Inbound) -> None:
        route = self._routes.get(inbound.topic)
        if route is None:
            return
        what, key = route
        if what == "status":
            if inbound.payload.strip() == ONLINE.encode():
                _LOGGER.info("Home Assistant (%s) came online: announcing its rooms again", key)
                for room_id, served in self._rooms.items():
                    if served.prefix == key:
                        self._announce(room_id)
        elif what == "catalog":
            self._catalog(key, inbound.payload)
        elif what == "choice":
            self._choose(key, inbound.payload)
        else:
            self._start(key, inbound)

    def _catalog(self, room_id: str, payload: bytes) -> None:
        """Announce the room when its catalog's profiles change (the select's options)."""
        try:
            names = [str(p["name"]) for p in json.loads(payload)["profiles"]]
        except (ValueError, KeyError, TypeError):
            _LOGGER.warning("room %s: cannot read its catalog for Home Assistant", room_id)
            return
        if self._profiles.get(room_id) != names:
            self._profiles[room_id] = names
            self._announce(room_id)

    def _announce(self, room_id: str) -> None:
        """Publish the room's retained discovery config (once its catalog is known)."""
        served = self._rooms[room_id]
        profiles = self._profiles.get(room_id)
        if profiles is None:
            return
        topic = config_topic(room_id, served.prefix, served.room.site)
        self._bus.publish(Message(topic, discovery_payload(served.room, profiles), retain=True))
        _LOGGER.info("room %s: announced to Home Assistant on %s", room_id, topic)

    def _choose(self, room_id: str, payload: bytes) -> None:
        """Remember the profile chosen in Home Assistant: it starts nothing by itself."""
        text = payload[:MAX_CHOICE_BYTES].decode("utf-8", "replace").strip()
        if text:
            self._choice[room_id] = text
        else:
            self._choice.pop(room_id, None)

    def _start(self, room_id: str, inbound: Inbound) -> None:
        """Start the chosen profile, as Home Assistant; never from a retained press."""
        if inbound.retain or not inbound.payload:
            # A press left retained would start a session at every restart: never taken.
            return
        profile = self._choice.get(room_id)
        if profile is None:
            _LOGGER.warning("room %s: Home Assistant pressed start with no profile chosen", room_id)
            return
        # Parsed and checked by the room as any start: an unknown profile gets its refusal.
        command = StartCommand(profile=profile, operator=OPERATOR)
        self._rooms[room_id].submit(command.to_payload())


def bridges(
    rooms: Sequence[tuple[RoomPreset, BrokerUrl, Callable[[str], None]]], loop: NetworkLoop
) -> list[HomeAssistantBridge]:
    """Return one started bridge per broker that serves a room asking for discovery."""
    by_url: dict[BrokerUrl, list[BridgedRoom]] = {}
    for room, url, submit in rooms:
        options = room.home_assistant
        if options is not None and options.discovery:
            by_url.setdefault(url, []).append(BridgedRoom(room, options.prefix, submit))
    started = []
    for url, served in by_url.items():
        bridge = HomeAssistantBridge(url, served, loop)
        bridge.start()
        started.append(bridge)
    return started
