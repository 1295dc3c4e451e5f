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

from roomctl.api.messages import Inbound, Message
from roomctl.api.topics import RoomTopics
from roomctl.audio.engine import AudioEngine
from roomctl.config.library import ProfileLibrary, load_room
from roomctl.core.levels import db_to_gain
from roomctl.devices.base import LightAdapter
from roomctl.devices.registry import adapter_for
from roomctl.journal import Journal, JournalError, SessionRow
from roomctl.models import RoomPreset
from roomctl.mqtt.broker_url import BrokerUrl, is_embedded, parse_broker_url
from roomctl.mqtt.bus import Bus
from roomctl.mqtt.client import BROKER_ENV, DEFAULT_BROKER
from roomctl.mqtt.embedded_broker import STANDARD_PORT, EmbeddedBroker
from roomctl.mqtt.urgent_line import UrgentLine
from roomctl.runtime.inputs import BrokerConnected, Recover, SpeakerHealth
from roomctl.runtime.intake import CommandIntake
from roomctl.runtime.lights import LightOutput
from roomctl.runtime.recorder import Recorder
from roomctl.runtime.room import RoomRuntime
from roomctl.runtime.sound import SoundOutput, SoundSink
from roomctl.runtime.worker import RoomWorker

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
ONLINE = "online"
# What a speaker that will not open means, and what to do about it (the room goes on).
SPEAKER_UNAVAILABLE = (
    "room %s: speaker %s unavailable, the room runs without sound until it appears: %s. "
    "Check the sound server with `pactl info` (Debian package pulseaudio-utils; the output "
    "needs pulseaudio or pipewire-pulse, and libasound2-plugins) or the ALSA outputs with "
    "`aplay -L` (alsa-utils); or start with --no-sound to serve the room without speakers."
)
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
        urgent: UrgentLine | None = None,
    ) -> None:
        self.room = room
        self.url = url
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
        self._intake = CommandIntake()
        self._urgent = urgent
        self._unfinished = self._find_unfinished(journal)

    def _find_unfinished(self, journal: Journal | None) -> SessionRow | None:
        """Return the session the journal says the room was running, if it can tell."""
        if journal is None:
            return None
        try:
            return journal.unfinished(self.room.id)
        except JournalError as error:
            _LOGGER.error(
                "room %s: cannot look for an unfinished session (%s): none is recovered",
                self.room.id,
                error,
            )
            return None

    def start(self) -> None:
        """Start the room: its worker, speakers and connection, then say it is online."""
        self.worker.start()
        # The speakers first: a recovered session's sound goes to engines that can take it.
        for name, engine in self._speakers.items():
            try:
                engine.start()
            except Exception as error:  # the lights go on without sound
                _LOGGER.warning(SPEAKER_UNAVAILABLE, self.room.id, name, error)
                self.worker.put(SpeakerHealth(name, online=False, reason=str(error)))
        if self._unfinished is not None:
            self.worker.put(Recover(self._unfinished))
        # At QoS 0 the broker hands commands over as they come instead of 20 at a time
        # (its in-flight window), so an emergency never waits in the broker's queue behind
        # a flood, and a flood cannot fill that queue until the broker drops from it. A
        # QoS 1 delivery buys nothing here: the daemon's clean session would lose an
        # unacknowledged command at a reconnect all the same.
        self.bus.subscribe(self._cmd_topic, qos=0)
        if self._urgent is not None:
            self._urgent.serve(self.runtime.topics.emergency, self._on_emergency)
        for topic in self._listeners:
            self.bus.subscribe(topic)
        # Handed to the bus before it connects, `online` goes out after the subscriptions
        # (see Bus._replay): a command sent on seeing it is never lost.
        self.bus.publish(self._online)
        self.bus.start()

    def begin_stop(self) -> None:
        """Ask the room's worker to stop (it writes what it recorded and answers all)."""
        self.worker.request_stop()

    def finish_stop(self, timeout: float) -> bool:
        """Wait up to `timeout` for the worker, stop the speakers; return whether it stopped."""
        stopped = self.worker.join(timeout)
        self._sound.close()
        for engine in self._speakers.values():
            engine.stop()
        return stopped

    def go_offline(self) -> None:
        """Say the room is offline and disconnect (after the worker's last replies)."""
        self.bus.stop(final=[self._offline])

    def _on_message(self, inbound: Inbound) -> None:
        if inbound.topic == self._cmd_topic:
            self._take_command(inbound, self.bus.publish)
            return
        for adapter in self._listeners.get(inbound.topic, ()):
            news = adapter.parse(inbound.topic, inbound.payload)
            if news is not None:
                self.worker.put(news)

    def _on_emergency(self, inbound: Inbound) -> None:
        """Take a message on the room's emergency topic (on the urgent line's thread)."""
        assert self._urgent is not None
        self._take_command(inbound, self._urgent.publish, emergency_only=True)

    def _take_command(
        self, inbound: Inbound, publish: Callable[[Message], None], emergency_only: bool = False
    ) -> None:
        arrived = self._intake.take(inbound, emergency_only)
        if arrived is not None:
            self.worker.put(arrived)
        if inbound.retain:  # refused by the room; cleared so no restart sees it again
            publish(Message(inbound.topic, "", retain=True))

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
        self._urgent: dict[BrokerUrl, UrgentLine] = {}
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
        self._scheduler.start()
        # One library per folder, shared by its rooms: a profile is parsed once for all.
        libraries: dict[Path, ProfileLibrary] = {}
        for path, room in presets:
            profiles = self.options.profiles_dir or default_profiles_dir(path)
            library = libraries.setdefault(profiles, ProfileLibrary(profiles))
            url = self._broker_for(room)
            service = RoomService(
                room,
                library,
                url,
                self._scheduler,
                self.options,
                sounds_dir=profiles.parent / "sounds",
                journal=self.journal,
                urgent=self._urgent_line(url),
            )
            self.rooms.append(service)
            service.start()
            _LOGGER.info("room %s served", room.id)

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
            line = self._urgent[url] = UrgentLine(url)
            line.start()
            # Connected before the rooms say they are online, so their emergency topics
            # are served from then on; a broker that is down is not waited for long.
            line.bus.wait_connected(URGENT_CONNECT_WAIT_S)
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
        """Stop every room's worker, then publish offline; stop scheduler, lines and broker."""
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
        for service in self.rooms:
            service.go_offline()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for line in self._urgent.values():
            line.stop()
        if self._embedded is not None:
            self._embedded[0].stop()
        if self.journal is not None and not self.journal.close(timeout=JOURNAL_CLOSE_TIMEOUT_S):
            self.stuck_on_disk = True
