"""Serve rooms: wire each room's bus, devices, speakers and runtime, and run until stopped."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from roomctl.api.topics import RoomTopics
from roomctl.audio.engine import AudioEngine
from roomctl.broker_url import BrokerUrl, is_embedded, parse_broker_url
from roomctl.bus import Bus
from roomctl.client import BROKER_ENV, DEFAULT_BROKER
from roomctl.config import ProfileLibrary, load_room
from roomctl.devices.base import LightAdapter
from roomctl.devices.registry import adapter_for
from roomctl.embedded_broker import EmbeddedBroker
from roomctl.journal import Journal
from roomctl.levels import db_to_gain
from roomctl.messages import Inbound, Message
from roomctl.models import RoomPreset
from roomctl.runtime.inputs import BrokerConnected, CommandArrived, Recover, SpeakerHealth
from roomctl.runtime.lights import LightOutput
from roomctl.runtime.recorder import Recorder
from roomctl.runtime.room import RoomRuntime
from roomctl.runtime.sound import SoundOutput, SoundSink
from roomctl.runtime.worker import RoomWorker

_LOGGER = logging.getLogger(__name__)

# A daemon's rooms, asked to stop together, finish their current input and write what
# they recorded within this long (a slow disk's fsync included).
STOP_TIMEOUT_S = 5.0
ONLINE = "online"
OFFLINE = "offline"


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


class RoomService:
    """One room's parts wired together: bus, lights, speakers, runtime and worker."""

    def __init__(
        self,
        room: RoomPreset,
        library: ProfileLibrary,
        url: BrokerUrl,
        scheduler: BackgroundScheduler,
        options: DaemonOptions,
        sounds_dir: Path,
        journal: Journal | None = None,
    ) -> None:
        self.room = room
        availability = RoomTopics(room.id).availability
        self._online = Message(availability, ONLINE, retain=True)
        self._offline = Message(availability, OFFLINE, retain=True)
        self.bus = Bus(
            url,
            client_id=f"roomctl-{room.id}-{uuid.uuid4().hex[:8]}",
            on_message=self._on_message,
            will=self._offline,
            on_connection=self._on_connection,
        )
        self._adapters: dict[str, LightAdapter] = {
            name: adapter_for(name, spec) for name, spec in room.lights().items()
        }
        # Device topics are exact (the models refuse wildcards): one lookup per message.
        self._listeners: dict[str, list[LightAdapter]] = {}
        for adapter in self._adapters.values():
            for topic in adapter.subscriptions():
                self._listeners.setdefault(topic, []).append(adapter)
        self._speakers: dict[str, AudioEngine] = {}
        if options.audio:
            for name, spec in room.speakers().items():
                self._speakers[name] = AudioEngine(
                    output=spec.output,
                    sounds_dir=sounds_dir,
                    max_gain=db_to_gain(room.limits.max_volume),
                    on_health=self._speaker_health(name),
                )
        sinks: dict[str, SoundSink] = dict(self._speakers)
        self._sound = SoundOutput(sinks)
        self.runtime = RoomRuntime(
            room,
            library,
            LightOutput(
                self._adapters,
                {str(k): v for k, v in room.rates.items()},
                self.bus.publish,
                min_brightness=room.limits.min_brightness,
            ),
            self._sound,
            self.bus,
            speed=options.speed,
            recorder=Recorder(journal),
        )
        self.worker = RoomWorker(self.runtime, scheduler)
        self._cmd_topic = self.runtime.topics.cmd
        self._unfinished = journal.unfinished(room.id) if journal is not None else None

    def start(self) -> None:
        """Start the room: its worker, speakers and connection, then say it is online."""
        self.worker.start()
        if self._unfinished is not None:
            self.worker.put(Recover(self._unfinished))
        for name, engine in self._speakers.items():
            try:
                engine.start()
            except Exception as error:  # the lights go on without sound
                _LOGGER.error("room %s: speaker %s unavailable: %s", self.room.id, name, error)
                self.worker.put(SpeakerHealth(name, online=False, reason=str(error)))
        self.bus.subscribe(self._cmd_topic)
        for topic in self._listeners:
            self.bus.subscribe(topic)
        self.bus.start()
        self.bus.publish(self._online)

    def begin_stop(self) -> None:
        """Say the room is offline and ask its worker to stop (it writes what it recorded)."""
        self.bus.stop(final=[self._offline])
        self.worker.request_stop()

    def finish_stop(self, timeout: float) -> bool:
        """Wait up to `timeout` for the worker, stop the speakers; return whether it stopped."""
        stopped = self.worker.join(timeout)
        self._sound.close()
        for engine in self._speakers.values():
            engine.stop()
        return stopped

    def _on_message(self, inbound: Inbound) -> None:
        if inbound.topic == self._cmd_topic:
            self.worker.put(CommandArrived(inbound))
            return
        for adapter in self._listeners.get(inbound.topic, ()):
            news = adapter.parse(inbound.topic, inbound.payload)
            if news is not None:
                self.worker.put(news)

    def _on_connection(self, connected: bool) -> None:
        if connected:
            self.worker.put(BrokerConnected())
            for adapter in self._adapters.values():
                for message in adapter.refresh():
                    self.bus.publish(message)

    def _speaker_health(self, name: str) -> Callable[[bool, str], None]:
        def report(online: bool, reason: str) -> None:
            self.worker.put(SpeakerHealth(name, online=online, reason=reason))

        return report


class Daemon:
    """Every room of one `roomctl run`, and the broker and scheduler they share."""

    def __init__(self, options: DaemonOptions) -> None:
        self.options = options
        self.rooms: list[RoomService] = []
        self._scheduler = BackgroundScheduler()
        self._embedded: tuple[EmbeddedBroker, BrokerUrl] | None = None
        self.journal: Journal | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Load every room (all errors before anything starts), then start them."""
        presets = [(path, load_room(path)) for path in self.options.room_files]
        ids = [room.id for _, room in presets]
        if len(set(ids)) != len(ids):
            raise ValueError(f"two room files have the same id: {', '.join(sorted(ids))}")
        if self.options.state_dir is not None:
            self.journal = Journal(self.options.state_dir)
        self._scheduler.start()
        # One library per folder, shared by its rooms: a profile is parsed once for all.
        libraries: dict[Path, ProfileLibrary] = {}
        for path, room in presets:
            profiles = self.options.profiles_dir or default_profiles_dir(path)
            library = libraries.setdefault(profiles, ProfileLibrary(profiles))
            service = RoomService(
                room,
                library,
                self._broker_for(room),
                self._scheduler,
                self.options,
                sounds_dir=profiles.parent / "sounds",
                journal=self.journal,
            )
            self.rooms.append(service)
            service.start()
            _LOGGER.info("room %s served", room.id)

    def _broker_for(self, room: RoomPreset) -> BrokerUrl:
        text = self.options.broker or room.broker or os.environ.get(BROKER_ENV) or DEFAULT_BROKER
        if not is_embedded(text):
            return parse_broker_url(text)
        if self._embedded is None:
            broker = EmbeddedBroker()
            self._embedded = (broker, broker.start())
        return self._embedded[1]

    def request_stop(self) -> None:
        """Ask serve() to return (safe from a signal handler)."""
        self._stop.set()

    def serve(self) -> None:
        """Run until SIGTERM or SIGINT, then stop cleanly."""
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())
        self._stop.wait()
        self.stop()

    def stop(self) -> None:
        """Publish offline for every room, stop workers, scheduler and embedded broker."""
        # All rooms are asked first, so their last records go to the journal together.
        for service in self.rooms:
            service.begin_stop()
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
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._embedded is not None:
            self._embedded[0].stop()
        if self.journal is not None:
            self.journal.close()
