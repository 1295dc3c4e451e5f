"""Serve rooms: one network loop and room pool for all, a RoomService each; run until stopped."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from roomctl.config import ProfileLibrary, default_profiles_dir, load_room, sounds_dir
from roomctl.homeassistant.bridge import HomeAssistantBridge, bridges
from roomctl.journal import Journal
from roomctl.models import RoomPreset
from roomctl.mqtt import (
    BROKER_ENV,
    DEFAULT_BROKER,
    BrokerUrl,
    Bus,
    NetworkLoop,
    UrgentLine,
    is_embedded,
    parse_broker_url,
)
from roomctl.mqtt.embedded_broker import STANDARD_PORT, EmbeddedBroker
from roomctl.runtime.catalog_watch import CatalogPublisher, CatalogRoom
from roomctl.runtime.pool import RoomPool
from roomctl.runtime.records import RecordDesk
from roomctl.runtime.service import RoomService
from roomctl.runtime.site import at_site, env_site

_LOGGER = logging.getLogger(__name__)

# A daemon's rooms, asked to stop together, finish their current input and write what
# they recorded within this long (a slow disk's fsync included).
STOP_TIMEOUT_S = 5.0
# How long start-up waits for a broker's urgent line before the rooms go online: a local
# broker answers within milliseconds; one that is down is retried in the background.
URGENT_CONNECT_WAIT_S = 2.0
# The journal's last commit gets this long once the rooms have stopped: with their 5 s,
# inside systemd's 10-s TimeoutStopSec, so a stalled disk never makes the stop a kill.
JOURNAL_CLOSE_TIMEOUT_S = 3.0


def default_state_dir() -> Path:
    """Return $XDG_STATE_HOME/roomctl, or ~/.local/state/roomctl."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "roomctl"


@dataclass(frozen=True)
class DaemonOptions:
    """What `roomctl run` was asked to serve."""

    room_files: Sequence[Path]
    broker: str | None = None
    profiles_dir: Path | None = None
    state_dir: Path | None = None
    speed: float = 1.0
    audio: bool = True
    site: str | None = None  # `--site`: wins over the room files' `site:`


class Daemon:
    """Every room of one `roomctl run`: one network loop, one room pool, an urgent line a broker."""

    def __init__(self, options: DaemonOptions) -> None:
        self.options = options
        self.rooms: list[RoomService] = []
        self._loop = NetworkLoop()
        self._pool = RoomPool()
        self._embedded: tuple[EmbeddedBroker, BrokerUrl] | None = None
        self._urgent: dict[BrokerUrl, UrgentLine] = {}
        self.journal: Journal | None = None
        self._stop = threading.Event()
        self._catalog: CatalogPublisher | None = None
        self._records = RecordDesk(options.state_dir)
        self._record_lines: dict[BrokerUrl, Bus] = {}
        self._home_assistant: list[HomeAssistantBridge] = []
        # Set when the stop left the journal's writer stuck on a stalled disk: the
        # process must then leave without the interpreter's clean-up, which would wait.
        self.stuck_on_disk = False

    def start(self) -> None:
        """Load every room (all errors before anything starts), then start them."""
        # Each room's sounds are checked where it plays them: beside its profiles folder.
        profiles_dir = self.options.profiles_dir
        default_site = env_site()
        presets = [
            (path, at_site(load_room(path, profiles_dir), self.options.site, default_site))
            for path in self.options.room_files
        ]
        ids = [room.id for _, room in presets]
        if len(set(ids)) != len(ids):
            raise ValueError(f"two room files have the same id: {', '.join(sorted(ids))}")
        if self.options.state_dir is not None:
            self.journal = Journal(self.options.state_dir)
        self._loop.start()
        self._pool.start()
        self._records.start()
        # One library per folder, shared by its rooms: a profile is parsed once for all.
        libraries: dict[Path, ProfileLibrary] = {}
        catalogs: list[CatalogRoom] = []
        for path, room in presets:
            profiles = self.options.profiles_dir or default_profiles_dir(path)
            library = libraries.setdefault(profiles, ProfileLibrary(profiles))
            url = self._broker_for(room)
            service = RoomService(
                room,
                library,
                url,
                self._loop,
                self._urgent_line(url),
                self._pool,
                speed=self.options.speed,
                audio=self.options.audio,
                sounds_dir=sounds_dir(profiles),
                journal=self.journal,
                records=self._records,
                records_bus=self._record_line(url),
            )
            self.rooms.append(service)
            service.start()
            catalogs.append(CatalogRoom(room, profiles, service.bus.publish))
            _LOGGER.info("room %s served", room.id)
        self._catalog = CatalogPublisher(catalogs)
        self._catalog.start()
        served = [(s.room, s.url, s.submit) for s in self.rooms]
        self._home_assistant = bridges(served, self._loop)

    def _broker_for(self, room: RoomPreset) -> BrokerUrl:
        text = self.options.broker or room.broker or os.environ.get(BROKER_ENV) or DEFAULT_BROKER
        if not is_embedded(text):
            return parse_broker_url(text)
        if self._embedded is None:
            # Where CLI commands and simulated lights look by default, when it is free.
            broker = EmbeddedBroker(preferred_port=STANDARD_PORT)
            self._embedded = (broker, broker.start())
        return self._embedded[1]

    def _urgent_line(self, url: BrokerUrl) -> UrgentLine:
        """Return the broker's connection for what must not wait (one per broker)."""
        line = self._urgent.get(url)
        if line is None:
            line = self._urgent[url] = UrgentLine(url, self._loop)
            line.start()
            # Connected before the rooms say they are online, so their emergency topics
            # are served from then on; a broker that is down is not waited for long.
            line.bus.wait_connected(URGENT_CONNECT_WAIT_S)
        return line

    def _record_line(self, url: BrokerUrl) -> Bus:
        """Return the broker's connection for the record queries' replies (one per broker).

        A report is up to 256 KiB: sent on the rooms' connections, a burst of them would
        be ahead of the light commands there, an emergency's included.
        """
        line = self._record_lines.get(url)
        if line is None:
            client_id = f"roomctl-records-{uuid.uuid4().hex[:8]}"
            line = self._record_lines[url] = Bus(url, client_id, lambda _: None, loop=self._loop)
            line.start()
        return line

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
        """Stop every room's worker, then publish offline; stop the lines, loop, broker, journal."""
        if self._catalog is not None:
            self._catalog.stop()
        for bridge in self._home_assistant:
            bridge.stop()
        self._records.stop()
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
        for service in self.rooms:
            service.go_offline()
        for line in self._urgent.values():
            line.stop()
        for records in self._record_lines.values():
            records.stop()
        self._pool.close()
        self._loop.stop()
        if self._embedded is not None:
            self._embedded[0].stop()
        if self.journal is not None and not self.journal.close(timeout=JOURNAL_CLOSE_TIMEOUT_S):
            self.stuck_on_disk = True
