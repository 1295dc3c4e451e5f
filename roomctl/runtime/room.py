"""The room service: feed the room's core its inputs and carry out the effects it decides.

The core (roomctl.core.room) decides; this carries out. A command's light effects go to
the lights at once, its events to the bus and the journal, and its reply waits for the
journal to hold its records (durable before acknowledged; see runtime.acks).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from roomctl.api.commands import StartCommand
from roomctl.api.events import event_fields, event_payload
from roomctl.api.messages import Inbound, Message
from roomctl.api.state import RoomState, Status
from roomctl.api.topics import RoomTopics
from roomctl.config.library import ProfileLibrary
from roomctl.config.problems import ConfigError
from roomctl.core import (
    Accept,
    CommandIn,
    CoreInput,
    Decision,
    DeviceSeen,
    Effect,
    Emit,
    FreezeLights,
    HoldSound,
    JumpLights,
    KeepSnapshot,
    LightCameBack,
    LightReported,
    LightRestored,
    LightSetByHand,
    Log,
    PlayLights,
    PlaySound,
    PreloadSound,
    PublishState,
    ReapplyLights,
    ReapplySound,
    Refuse,
    RoomCore,
    Session,
    SilenceSound,
    Wake,
)
from roomctl.core import Recover as RecoverSession
from roomctl.core.levels import LightLevel
from roomctl.devices.base import DeviceEcho, DeviceHealth
from roomctl.journal import SessionRow, StoredEvent
from roomctl.logs import log_event
from roomctl.models import RoomPreset
from roomctl.mqtt.held_writes import write_held
from roomctl.runtime.acks import Outbox, Replies
from roomctl.runtime.inputs import (
    CommandArrived,
    JournalWritten,
    Recover,
    RoomInput,
    Shutdown,
    SpeakerHealth,
)
from roomctl.runtime.lights import LightOutput
from roomctl.runtime.reconcile import Verdict
from roomctl.runtime.recorder import JOURNAL_STALL_S, Recorder
from roomctl.runtime.sound import SoundOutput

_LOGGER = logging.getLogger(__name__)
# A Wake this close before the session's change counts as the change's: the wall time the
# core asked for and the session time it stands for are converted in floating point, and a
# wake that fell a few microseconds short would skip the core and need a second wake-up
# right after (the core plans from where it last brought the session, so nothing is
# lost). 1 ms is far above that rounding and far below the time between any two changes
# or light steps.
WAKE_ROUNDING_S = 0.001


def new_session_id() -> str:
    """Return a fresh opaque session id (no patient data)."""
    return uuid.uuid4().hex[:12]


class RoomRuntime:
    """Carry out one room's decisions: lights, sound, publications, records, replies."""

    def __init__(
        self,
        room: RoomPreset,
        library: ProfileLibrary,
        lights: LightOutput,
        sound: SoundOutput,
        outbox: Outbox,
        speed: float = 1.0,
        recorder: Recorder | None = None,
    ) -> None:
        self.room = room
        self.topics = RoomTopics(room.id)
        self.core = RoomCore(room, speed)
        self._library = library
        self._lights = lights
        self._sound = sound
        self._outbox = outbox
        self._recorder = recorder or Recorder(None)
        self._replies = Replies(self.topics.reply, outbox, self._recorder)
        self._stall_shown = False
        self._inbound: Inbound | None = None  # the command being carried out
        self._wake: float | None = None  # the session's next change, as the core said

    @property
    def status(self) -> Status:
        """Return the room's status."""
        return self.core.status

    @property
    def session(self) -> Session | None:
        """Return the room's current (or last) session."""
        return self.core.session

    @property
    def health(self) -> dict[str, bool | None]:
        """Return each device's health: online, offline, or None before any news."""
        return dict(self.core.memory.health)

    # -- inputs ------------------------------------------------------------------------

    def handle(self, item: RoomInput, now: float) -> None:
        """Handle one input at wall time `now`."""
        if isinstance(item, CommandArrived):
            self._inbound = item.inbound
            self._decide(self._command_in(item), now)
            self._inbound = None
        elif isinstance(item, Recover):
            row = item.row
            ended = None if row.ended_at is None else (row.ended_at, row.end_reason or "")
            self._decide(RecoverSession(row.session_id, row.snapshot, row.alive_at, ended), now)
        elif isinstance(item, DeviceHealth):
            self._decide(DeviceSeen(item.device, item.online, rejoined=item.rejoined), now)
        elif isinstance(item, SpeakerHealth):
            self._decide(DeviceSeen(item.device, item.online, item.reason), now)
        elif isinstance(item, DeviceEcho):
            seen = LightReported(item.device, self._lights.has_availability(item.device))
            self._decide(seen, now)
            self._judge_report(item.device, item.level, now)
        elif isinstance(item, Wake):
            # Only the session's own change needs the core; a light's step or a reply's
            # deadline does not (it cost every room a full decision several times a second).
            if self._wake is not None and now >= self._wake - WAKE_ROUNDING_S:
                self._decide(item, now)
            elif self._light_steps_only(now):
                self._lights.flush(now)  # the rest of a turn would find nothing to do
                return
        elif not isinstance(item, JournalWritten):  # it needs no more than the turn's end
            self._decide(item, now)
        if isinstance(item, Shutdown):
            self._recorder.close()  # what was recorded is on disk (or spilled)
            self._replies.answer(now, final=True)  # every command carried out gets its one reply
            return
        self._lights.flush(now)
        self._device_upkeep(now)
        self._carry_out(self.core.settle(now), now)
        # Hand what changed to the journal, without waiting; show it if writing fails.
        if self._recorder.flush(wait=False, now=now):
            self.publish_state(now)
        self._replies.answer(now)
        if self._recorder.stalled(now) != self._stall_shown:
            self._stall_shown = not self._stall_shown
            self.publish_state(now)

    def _light_steps_only(self, now: float) -> bool:
        """Tell whether nothing but lights' steps is due: no reply, journal, device or record.

        Most wake-ups of a fading room are a light's next step; a whole turn for each (the
        devices' upkeep, the turn's settling, the journal, the replies) was most of a fading
        room's work.
        """
        reply_due = self._replies.next_due()
        if reply_due is not None and reply_due <= now:
            return False
        if self._recorder.stalled(now) != self._stall_shown:
            return False
        return not self._lights.upkeep_due(now) and not self.core.gaps_open()

    def _command_in(self, arrived: CommandArrived) -> CommandIn:
        """Return the core's command input; a start's profile is looked up here."""
        command = arrived.parsed
        if not isinstance(command, StartCommand):
            return CommandIn(command, arrived.seq)
        try:
            profile = self._library.load(command.profile, self.room)
        except ConfigError as error:
            return CommandIn(command, arrived.seq, profile_refusal=error.summary)
        return CommandIn(command, arrived.seq, profile, session_id=new_session_id())

    def on_journal_written(self, callback: Callable[[], None]) -> None:
        """Have `callback` called when a journal write ends and the room waits on it.

        Most writes (a cue's event and snapshot) end with nothing waiting: a turn for each
        was a sixth of a busy daemon's turns, for nothing (see _waits_on_journal).
        """

        def written() -> None:
            if self._waits_on_journal():
                callback()

        self._recorder.on_written = written

    def _waits_on_journal(self) -> bool:
        """Tell whether the end of a journal write needs a turn (asked on the journal's thread).

        It does when records wait to go with the next write, a reply waits for the disk,
        the write failed or was slow enough that the state may show it (a problem shown
        is cleared in that turn), or the journal had failed before.
        """
        recorder = self._recorder
        return (
            recorder.queued
            or recorder.write_failed_or_slow(JOURNAL_STALL_S / 2)
            or recorder.error is not None
            or self._stall_shown
            or self._replies.next_due() is not None
        )

    def next_wake(self, now: float) -> float | None:
        """Return the wall time the room must next be woken, or None."""
        candidates = [self._lights.next_due(), self._replies.next_due(), self._wake]
        since = self._recorder.waiting_since
        if since is not None and not self._stall_shown:
            candidates.append(since + JOURNAL_STALL_S)
        times = [t for t in candidates if t is not None]
        return min(times) if times else None

    def _decide(self, item: CoreInput, now: float) -> None:
        self._carry_out(self.core.decide(item, now, self._lights.levels_at(now)), now)

    def _judge_report(self, device: str, level: LightLevel, now: float, fresh: bool = True) -> None:
        """Have the lights judge a report (see runtime.reconcile); tell the core what it meant."""
        if device not in self.core.memory.health:
            return
        in_session = self.core.in_session
        verdict, kept = self._lights.reconcile(
            device, level, now, in_session=in_session, fresh=fresh
        )
        if verdict is Verdict.MANUAL and kept is not None:
            self._decide(LightSetByHand(device, level, kept), now)
        elif verdict is Verdict.POWER_CYCLE:
            self._decide(LightRestored(device, level), now)

    def _device_upkeep(self, now: float) -> None:
        """Mark lights that stopped answering offline; judge reports left for later."""
        for name in self._lights.silent(now):
            self._decide(DeviceSeen(name, False, "no state report after a command"), now)
        for name, report in self._lights.unjudged(now):
            self._judge_report(name, report, now, fresh=False)

    # -- effects -------------------------------------------------------------------------

    def _carry_out(self, decision: Decision, now: float) -> None:
        """Carry out a decision's effects in order; note the session's next wake."""
        for effect in decision.effects:
            self._effect(effect, now)
        self._wake = decision.wake

    def _effect(self, effect: Effect, now: float) -> None:  # noqa: PLR0912 (a dispatch)
        match effect:
            case PlayLights():
                self._lights.play(effect.fades, now)
            case FreezeLights():
                self._lights.freeze(now)
                write_held()  # now, not after the event, the state and the record
            case JumpLights():
                self._lights.jump(effect.levels, now)
                write_held()
            case ReapplyLights(device=None):
                self._lights.reapply_all(now)
            case ReapplyLights(device=str(device)):
                self._lights.reapply(device, now)
            case LightCameBack():
                self._lights.came_back(effect.device, now)
            case PlaySound():
                self._sound.play(effect.fade, now)
            case HoldSound():
                self._sound.hold(now)
            case SilenceSound():
                self._sound.silence(now)
            case PreloadSound():
                self._sound.preload(effect.mix)
            case ReapplySound():
                self._sound.reapply(effect.device, now)
            case Emit():
                self._emit(effect, now)
            case PublishState():
                self.publish_state(now)
            case KeepSnapshot():
                self._recorder.session(
                    SessionRow(
                        effect.session_id,
                        self.room.id,
                        effect.profile,
                        effect.started_at,
                        effect.ended_at,
                        effect.end_reason,
                        effect.alive_at,
                        effect.snapshot,
                        self.room.site,
                    )
                )
            case Refuse() if self._inbound is not None:
                request_id, reason, qos = effect.request_id, effect.reason, effect.qos
                self._replies.refuse(self._inbound, request_id, reason, self.status, qos)
            case Accept() if self._inbound is not None:
                self._replies.hold(self._inbound, effect.request_id, effect.status, now)
            case Log():
                _LOGGER.log(effect.level, effect.message, *effect.args)

    def _emit(self, emit: Emit, now: float) -> None:
        """Publish an event (written at once, but in a command's turn); then record and log it."""
        event, session_id = emit.event, emit.session_id
        fields = event_fields(event)
        payload = event_payload(event, self.room.id, session_id, now, fields)
        self._outbox.publish(Message(self.topics.events, payload, emit.qos))
        # Staff see a cue when it is due, not after the rest of the turn (the state, a
        # phase's fades, the snapshot): that rest was 1 ms at the median and up to 6 ms.
        # A command's events leave with its turn, in one write (a flood's would be two).
        if self._inbound is None:
            write_held()
        if emit.record:
            self._recorder.event(StoredEvent(self.room.id, session_id, now, event.type, fields))
        log_event(self.room.id, session_id, event.type, fields)

    # -- output --------------------------------------------------------------------------

    def state(self, now: float) -> RoomState:
        """Return the room's state as the state topic shows it."""
        journal_error = None
        if self._recorder.error is not None or self._recorder.stalled(now):
            journal_error = self._recorder.problem(now)
        manual = {
            name: level
            for name in self.core.memory.health
            if (level := self._lights.manual(name)) is not None
        }
        return self.core.view(now, manual, journal_error)

    def publish_state(self, now: float) -> None:
        """Publish the retained state."""
        self._outbox.publish(Message(self.topics.state, self.state(now).payload(now), retain=True))
