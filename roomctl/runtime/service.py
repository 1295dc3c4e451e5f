"""One room's parts wired together: its connection, lights, speakers, runtime and worker."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from roomctl.api.messages import Inbound, Message
from roomctl.api.state import Status
from roomctl.api.topics import RoomTopics
from roomctl.audio.engine import AudioEngine
from roomctl.config.library import ProfileLibrary
from roomctl.core.levels import db_to_gain
from roomctl.devices.base import LightAdapter
from roomctl.devices.registry import adapter_for
from roomctl.journal import Journal, JournalError, SessionRow
from roomctl.models import RoomPreset
from roomctl.mqtt import BrokerUrl, Bus, NetworkLoop, UrgentLine
from roomctl.runtime.inputs import BrokerConnected, Recover, SpeakerHealth
from roomctl.runtime.intake import CommandIntake, QueryArrived
from roomctl.runtime.lights import LightOutput
from roomctl.runtime.pool import RoomPool
from roomctl.runtime.recorder import Recorder
from roomctl.runtime.records import RecordAsk, RecordDesk
from roomctl.runtime.room import RoomRuntime
from roomctl.runtime.sound import SoundOutput, SoundSink
from roomctl.runtime.worker import RoomWorker

_LOGGER = logging.getLogger(__name__)

# What a speaker that will not open means, and what to do about it (the room goes on).
SPEAKER_UNAVAILABLE = (
    "room %s: speaker %s unavailable, the room runs without sound until it appears: %s. "
    "Check the sound server with `pactl info` (Debian package pulseaudio-utils; the output "
    "needs pulseaudio or pipewire-pulse, and libasound2-plugins) or the ALSA outputs with "
    "`aplay -L` (alsa-utils); or start with --no-sound to serve the room without speakers."
)
ONLINE = "online"
OFFLINE = "offline"


class RoomService:
    """One room's parts wired together: its connection, lights, speakers, runtime and worker.

    The room's connection is its own (its will is the room's `offline`), serviced with
    every other connection of the daemon by one NetworkLoop; see roomctl.mqtt.
    """

    def __init__(
        self,
        room: RoomPreset,
        library: ProfileLibrary,
        url: BrokerUrl,
        loop: NetworkLoop,
        urgent: UrgentLine,
        pool: RoomPool,
        *,
        speed: float,
        audio: bool,
        sounds_dir: Path,
        journal: Journal | None = None,
        records: RecordDesk | None = None,
        records_bus: Bus | None = None,
    ) -> None:
        self.room = room
        self._records = records or RecordDesk(None)
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
            loop=loop,
        )
        self._urgent = urgent
        # The record queries' replies go on a connection of their own (see Daemon).
        self._records_bus = records_bus or self.bus
        self._adapters: dict[str, LightAdapter] = {
            name: adapter_for(name, spec) for name, spec in room.lights().items()
        }
        # Device topics are exact (the models refuse wildcards): one lookup per message.
        self._listeners: dict[str, list[LightAdapter]] = {}
        for adapter in self._adapters.values():
            for topic in adapter.subscriptions():
                self._listeners.setdefault(topic, []).append(adapter)
        self._speakers: dict[str, AudioEngine] = {}
        if audio:
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
            speed=speed,
            recorder=Recorder(journal),
        )
        self.worker = RoomWorker(self.runtime, pool)
        self._cmd_topic = self.runtime.topics.cmd
        self._intake = CommandIntake()
        self._unfinished = self._find_unfinished(journal)

    def _find_unfinished(self, journal: Journal | None) -> SessionRow | None:
        """Return the session the journal says the room was running, if it can tell.

        Else its last session, if that ended with cues still waiting for staff to
        acknowledge: the room shows them again.
        """
        if journal is None:
            return None
        try:
            unfinished = journal.unfinished(self.room.id)
            last = journal.latest(self.room.id) if unfinished is None else None
            if last is not None and last.ended_at is not None and last.snapshot.get("pending_cues"):
                return last
            return unfinished
        except JournalError as error:
            _LOGGER.error(
                "room %s: cannot look for an unfinished session (%s): none is recovered",
                self.room.id,
                error,
            )
            return None

    def start(self) -> None:
        """Start the room: its worker, speakers and routes, then say it is online."""
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
        self._urgent.serve(self.runtime.topics.emergency, self._on_emergency)
        for topic in self._listeners:
            self.bus.subscribe(topic)
        # Handed to the bus before it connects, `online` goes out after the subscriptions
        # (see Bus._accept): a command sent on seeing it is never lost.
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

    def submit(self, payload: str) -> None:
        """Take a command as if it came on the room's cmd topic (for the Home Assistant bridge)."""
        self._take_command(Inbound(self._cmd_topic, payload.encode()), self.bus.publish)

    def _on_emergency(self, inbound: Inbound) -> None:
        """Take a message on the room's emergency topic (read from the urgent line)."""
        self._take_command(inbound, self._urgent.publish, emergency_only=True)

    def _take_command(
        self, inbound: Inbound, publish: Callable[[Message], None], emergency_only: bool = False
    ) -> None:
        arrived = self._intake.take(inbound, emergency_only)
        if isinstance(arrived, QueryArrived):
            send = self._replier(arrived.inbound)
            self._records.ask(RecordAsk(arrived.query, self.room.id, self._status, send))
        elif arrived is not None:
            self.worker.put(arrived)
        if inbound.retain:  # refused by the room; cleared so no restart sees it again
            publish(Message(inbound.topic, "", retain=True))

    def _status(self) -> Status:
        """Return the room's status now (read from another thread: one attribute)."""
        return self.runtime.status

    def _replier(self, inbound: Inbound) -> Callable[[str], None]:
        """Return how a record query's reply is sent: as every reply (a query comes on cmd)."""
        topic = self.runtime.topics.reply

        def send(payload: str) -> None:
            self._records_bus.reply(inbound, Message(topic, payload))

        return send

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
