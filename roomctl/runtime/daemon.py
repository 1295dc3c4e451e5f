"""Serve rooms: wire each room's bus, devices, speakers and runtime, and run until stopped."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from roomctl.config.library import ProfileLibrary, load_room
from roomctl.journal import Journal
from roomctl.models import RoomPreset
from roomctl.mqtt import (
    BROKER_ENV,
    DEFAULT_BROKER,
    BrokerHub,
    BrokerUrl,
    NetworkLoop,
    is_embedded,
    parse_broker_url,
)
from roomctl.mqtt.embedded_broker import STANDARD_PORT, EmbeddedBroker
from roomctl.runtime.pool import RoomPool
from roomctl.runtime.service import RoomService

_LOGGER = logging.getLogger(__name__)

# A daemon's rooms, asked to stop together, finish their current input and write what
# they recorded within this long (a slow disk's fsync included).
STOP_TIMEOUT_S = 5.0
# How long start-up waits for each of a broker's connections (shared, urgent), and then for
# the rooms' subscriptions: a local broker answers within milliseconds; one that is down
# is retried in the background, and the rooms go online when it answers.
CONNECT_WAIT_S = 2.0
# The journal's last commit gets this long once the rooms have stopped: with their 5 s,
# inside systemd's 10-s TimeoutStopSec, so a stalled disk never makes the stop a kill.
JOURNAL_CLOSE_TIMEOUT_S = 3.0


def default_state_dir() -> Path:
    """Return $XDG_STATE_HOME/roomctl, or ~/.local/state/roomctl."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "roomctl"


def default_profiles_dir(room_file: Path) -> Path:
    """Return the sessions/ folder beside the room file's folder."""
    return room_file.resolve().parent.parent / "sessions"


@dataclass(frozen=True)
class DaemonOptions:
    """What `roomctl run` was asked to serve."""

    room_files: Sequence[Path]
    broker: str | None = None
    profiles_dir: Path | None = None
    state_dir: Path | None = None
    speed: float = 1.0
    audio: bool = True


class Daemon:
    """Every room of one `roomctl run`: one network loop, one hub per broker, one room pool."""

    def __init__(self, options: DaemonOptions) -> None:
        self.options = options
        self.rooms: list[RoomService] = []
        self._loop = NetworkLoop()
        self._pool = RoomPool()
        self._embedded: tuple[EmbeddedBroker, BrokerUrl] | None = None
        self._hubs: dict[BrokerUrl, BrokerHub] = {}
        self.journal: Journal | None = None
        self._stop = threading.Event()
        # Set when the stop left the journal's writer stuck on a stalled disk: the
        # process must then leave without the interpreter's clean-up, which would wait.
        self.stuck_on_disk = False

    def start(self) -> None:
        """Load every room (all errors before anything starts), then start them."""
        presets = [(path, load_room(path)) for path in self.options.room_files]
        ids = [room.id for _, room in presets]
        if len(set(ids)) != len(ids):
            raise ValueError(f"two room files have the same id: {', '.join(sorted(ids))}")
        if self.options.state_dir is not None:
            self.journal = Journal(self.options.state_dir)
        self._loop.start()
        self._pool.start()
        urls = [self._broker_for(room) for _, room in presets]
        for url in urls:
            self._hub(url, rooms=urls.count(url))
        # One library per folder, shared by its rooms: a profile is parsed once for all.
        libraries: dict[Path, ProfileLibrary] = {}
        for (path, room), url in zip(presets, urls, strict=True):
            profiles = self.options.profiles_dir or default_profiles_dir(path)
            library = libraries.setdefault(profiles, ProfileLibrary(profiles))
            service = RoomService(
                room,
                library,
                self._hubs[url],
                self._pool,
                speed=self.options.speed,
                audio=self.options.audio,
                sounds_dir=profiles.parent / "sounds",
                journal=self.journal,
            )
            self.rooms.append(service)
            service.start()
            _LOGGER.info("room %s served", room.id)
        for hub in self._hubs.values():  # commands sent once start-up is over are not lost
            subscribed = threading.Event()
            hub.bus.when_subscribed(subscribed.set)
            subscribed.wait(CONNECT_WAIT_S)

    def _broker_for(self, room: RoomPreset) -> BrokerUrl:
        text = self.options.broker or room.broker or os.environ.get(BROKER_ENV) or DEFAULT_BROKER
        if not is_embedded(text):
            return parse_broker_url(text)
        if self._embedded is None:
            # Where CLI commands and simulated lights look by default, when it is free.
            broker = EmbeddedBroker(preferred_port=STANDARD_PORT)
            self._embedded = (broker, broker.start())
        return self._embedded[1]

    def _hub(self, url: BrokerUrl, rooms: int) -> None:
        """Start the broker's hub for its `rooms` rooms (one hub per broker)."""
        if url not in self._hubs:
            self._hubs[url] = BrokerHub(url, self._loop, rooms)
            # Connected before the rooms say they are online, so their emergency topics
            # are served from then on; a broker that is down is not waited for long.
            self._hubs[url].start(CONNECT_WAIT_S)

    def request_stop(self) -> None:
        """Ask serve() to return (safe from a signal handler)."""
        self._stop.set()

    def handle_signals(self) -> None:
        """Have SIGTERM and SIGINT ask for a clean stop (call before `start`).

        A stop asked for while the rooms start (a service stopped at once) is then
        carried out as soon as they have: it never kills the process half-way.
        """
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())

    def serve(self) -> None:
        """Run until SIGTERM or SIGINT (see `handle_signals`), then stop cleanly."""
        self.handle_signals()
        self._stop.wait()
        self.stop()

    def stop(self) -> None:
        """Stop every room, then say them offline and disconnect; stop the broker and journal."""
        # All rooms are asked first, so their last records go to the journal together.
        for service in self.rooms:
            service.begin_stop()
        self._pool.help_stop(len(self.rooms))
        deadline = time.monotonic() + STOP_TIMEOUT_S
        late = [
            service.room.id
            for service in self.rooms
            if not service.finish_stop(max(0.0, deadline - time.monotonic()))
        ]
        if late:
            _LOGGER.error(
                "rooms %s did not stop within %g s: what they record from now on is not "
                "written to the journal",
                ", ".join(late),
                STOP_TIMEOUT_S,
            )
        for hub in self._hubs.values():
            hub.stop()
        self._pool.close()
        self._loop.stop()
        if self._embedded is not None:
            self._embedded[0].stop()
        if self.journal is not None and not self.journal.close(timeout=JOURNAL_CLOSE_TIMEOUT_S):
            self.stuck_on_disk = True
