"""The room runtime: the one owner of a room's state, handling its inputs in order."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from roomctl.api.commands import (
    Command,
    CommandError,
    EmergencyCommand,
    ExtendCommand,
    NextCommand,
    PauseCommand,
    ReleaseCommand,
    ResumeCommand,
    StartCommand,
    StopCommand,
)
from roomctl.api.events import EventType, event_payload, read_event
from roomctl.api.messages import Inbound, Message
from roomctl.api.replies import reply_payload
from roomctl.api.state import LightLevelFields, RoomState, Status
from roomctl.api.topics import RoomTopics
from roomctl.config.library import ProfileLibrary
from roomctl.config.problems import ConfigError
from roomctl.core.easing import Easing
from roomctl.core.levels import LightFade, LightLevel, SoundFade, Voice
from roomctl.core.timeline import SessionClock, SessionPlan, scene_lights, scene_sound
from roomctl.devices.base import DeviceEcho, DeviceHealth
from roomctl.journal import SessionRow, StoredEvent
from roomctl.logs import log_event
from roomctl.models import RoomPreset, Scene, SoundSetting
from roomctl.runtime.acks import ACK_WAIT_S, Acknowledgements, PendingReply
from roomctl.runtime.health import HealthRecordLimit
from roomctl.runtime.inputs import (
    BrokerConnected,
    CommandArrived,
    Heartbeat,
    Recover,
    RoomInput,
    SceneDue,
    Shutdown,
    SpeakerHealth,
    Wake,
)
from roomctl.runtime.lights import LightOutput
from roomctl.runtime.reconcile import Verdict, level_fields
from roomctl.runtime.recorder import JOURNAL_STALL_S, Recorder
from roomctl.runtime.session import Session, new_session_id
from roomctl.runtime.snapshot import restore_session, session_snapshot
from roomctl.runtime.sound import SoundOutput
from roomctl.runtime.state_view import room_state

_LOGGER = logging.getLogger(__name__)

# The contract's stop: the room fades to standby over 10 s.
STOP_FADE_S = 10.0
# The contract's release: back to the paused session's levels over 3 s.
RELEASE_FADE_S = 3.0
# A calendar scene changes an empty room as gently as a stop does.
SCENE_FADE_S = 10.0
# Refusals and their events go at QoS 0: sent at once, never queued behind the in-flight
# window, and never filling the queue that holds the room's QoS 1 messages.
REFUSAL_QOS = 0
NOT_YET_RECORDED = (
    "not yet recorded: the state disk is slow; the room keeps the record in memory and "
    "writes it when the disk answers"
)
# Refused commands recorded one by one per minute (runtime.health's window); beyond that
# one `commands_unrecorded` event counts the rest. A supervisor's mistakes fit; a flood's
# junk does not belong in a clinical record row by row.
REFUSAL_RECORD_CAP = 20
REFUSALS = "commands"  # the refusals' key in their budget
STOP_IN_EMERGENCY = (
    "cannot stop during an emergency: release it first (the lights stay at the emergency "
    "scene until a supervisor releases them)"
)
# While in emergency, a further emergency sends the lights the scene again at most this
# often: once a second answers a press that a light missed, but a looping client cannot
# flood the lights' networks with it.
EMERGENCY_REPEAT_S = 1.0
OVERTAKEN = (
    "not carried out: an emergency sent after this command went ahead of it, and the "
    "command was meant for the room as it was before; send it again if it still applies"
)

ACTIVE: tuple[Status, ...] = ("running", "paused", "emergency")
# A room's status as a refusal says it to staff.
_PLAINLY: dict[Status, str] = {
    "idle": "has no session running",
    "running": "has a session running",
    "paused": "has a paused session",
    "emergency": "is in emergency",
    "ended": "has no session running (its last session ended)",
}


class Outbox(Protocol):
    """Where the room's publications go: the bus, or a recorder in unit tests."""

    def publish(self, msg: Message) -> None:
        """Publish one message."""

    def reply(self, inbound: Inbound, msg: Message) -> None:
        """Publish a reply, also to the command's MQTT v5 response topic if it has one."""


class RoomRuntime:
    """Hold one room's state; turn commands, timers and device news into effects."""

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
        self.status: Status = "idle"
        self.session: Session | None = None
        self.health: dict[str, bool | None] = dict.fromkeys(room.devices)
        self._library = library
        self._lights = lights
        self._sound = sound
        self._outbox = outbox
        self._speed = speed
        self._announced_phase: int | None = None
        self._cues_until = 0.0
        self._before_emergency: dict[str, LightLevel] = {}
        self._recorder = recorder or Recorder(None)
        self._health_record = HealthRecordLimit()
        # Refused commands share one budget: a flood of junk cannot fill the record.
        self._refusal_record = HealthRecordLimit(cap=REFUSAL_RECORD_CAP)
        self._ended: tuple[float, str] | None = None
        self._dirty = False
        self._acks = Acknowledgements()
        self._emergency_seq = -1  # arrival number of the last emergency carried out
        self._emergency_sent_at = -math.inf  # when the lights were last sent the scene
        self._stall_shown = False

    # -- inputs ------------------------------------------------------------------------

    def handle(self, item: RoomInput, now: float) -> None:
        """Handle one input at wall time `now`."""
        if isinstance(item, Shutdown):
            self._record_gaps(now, close_all=True)  # what the open windows left out, counted
            self._recorder.close()  # what was recorded is on disk (or spilled)
            self._answer(now, final=True)  # every command carried out gets its one reply
            return
        if isinstance(item, CommandArrived):
            self._on_command(item, now)
        elif isinstance(item, Wake):
            self._advance(now)
        elif isinstance(item, Heartbeat):
            if self.status in ACTIVE:
                self._dirty = True  # the journal notes the daemon was alive
                self.publish_state(now)
        elif isinstance(item, SceneDue):
            self._on_scene(item.scene, now)
        elif isinstance(item, DeviceHealth):
            self._on_health(item.device, item.online, now, rejoined=item.rejoined)
        elif isinstance(item, SpeakerHealth):
            self._on_health(item.device, item.online, now, item.reason)
        elif isinstance(item, BrokerConnected):
            self._lights.reapply_all(now)
            self.publish_state(now)
        elif isinstance(item, Recover):
            self._recover(item.row, now)
        elif isinstance(item, DeviceEcho):
            self._on_echo(item.device, item.level, now)
        self._lights.flush(now)
        self._device_upkeep(now)
        # Only a stopping room waits for the disk; a JournalWritten needs nothing more than
        # this: it hands over what came meanwhile and answers what is now on disk.
        self._checkpoint(now)
        self._answer(now)
        if self._recorder.stalled(now) != self._stall_shown:
            self._stall_shown = not self._stall_shown
            self.publish_state(now)

    def on_journal_written(self, callback: Callable[[], None]) -> None:
        """Have `callback` called when a journal write ends (see Recorder.on_written)."""
        self._recorder.on_written = callback

    def next_wake(self, now: float) -> float | None:
        """Return the wall time the room must next be woken, or None."""
        candidates = [self._lights.next_due(), self._acks.next_due()]
        since = self._recorder.in_flight_since
        if since is not None and not self._stall_shown:
            candidates.append(since + JOURNAL_STALL_S)
        if self.status == "running" and self.session is not None:
            tau = self.session.clock.session_time(now)
            change = self.session.timeline(self.room).next_change(tau)
            if change is not None:
                candidates.append(self._to_wall(change, tau, now))
        times = [t for t in candidates if t is not None]
        return min(times) if times else None

    # -- commands ----------------------------------------------------------------------

    def _on_command(self, arrived: CommandArrived, now: float) -> None:
        """Carry out a command at once; answer it when its records are on disk.

        Nothing here waits for the disk: the effects (lights, sound, state) go out first,
        a refusal is answered at once, and an accepted command's reply follows its records
        (see `_answer`).
        """
        command = arrived.parsed
        try:
            if isinstance(command, CommandError):
                raise command
            if arrived.seq < self._emergency_seq and command.action != "emergency":
                raise CommandError(OVERTAKEN, command.request_id)
            if not command.operator and self.room.needs_operator(command.action):
                raise CommandError(f"room {self.room.id} requires an operator", command.request_id)
            self._carry_out(command, now)
        except CommandError as error:
            # At QoS 0: a flood of junk must not fill the connection's queue of QoS 1
            # messages (the replies and device commands that matter wait in it).
            self._record_gaps(now)
            record = self._refusal_record.admit(REFUSALS, now)
            self._event("command_rejected", now, record, REFUSAL_QOS, reason=error.reason)
            self._reply(
                arrived.inbound, error.request_id, ok=False, error=error.reason, qos=REFUSAL_QOS
            )
            return
        if command.action == "emergency":
            self._emergency_seq = max(self._emergency_seq, arrived.seq)
        self.publish_state(now)
        self._acks.add(
            PendingReply(
                arrived.inbound,
                command.request_id,
                self.status,
                self._recorder.mark(),
                now + ACK_WAIT_S,
            )
        )

    def _carry_out(self, command: Command, now: float) -> None:
        """Carry out one well-formed command, or raise CommandError saying why not."""
        match command:
            case StartCommand():
                self._start(command, now)
            case PauseCommand():
                self._pause(command, now)
            case ResumeCommand():
                self._resume(command, now)
            case StopCommand():
                self._stop(command, now)
            case NextCommand():
                self._next(command, now)
            case ExtendCommand():
                self._extend(command, now)
            case EmergencyCommand():
                self._emergency(command, now)
            case ReleaseCommand():
                self._release(command, now)

    def _start(self, command: StartCommand, now: float) -> None:
        if self.status in ACTIVE:
            raise CommandError(
                f"room {self.room.id} {_PLAINLY[self.status]}: stop it first",
                command.request_id,
            )
        try:
            profile = self._library.load(command.profile, self.room)
        except ConfigError as error:
            raise CommandError(error.summary, command.request_id) from None
        plan = SessionPlan.from_profile(profile)
        offset = command.at or 0.0
        if offset >= plan.end:
            raise CommandError(
                f"'at' is beyond the session's end ({plan.end:.0f} s)", command.request_id
            )
        current = self._lights.current(now)
        standby = scene_lights(self.room, self.room.standby.lights, {})
        initial = {name: current.get(name) or level for name, level in standby.items()}
        self.session = Session(
            session_id=new_session_id(),
            profile_id=command.profile,
            profile=profile,
            clock=SessionClock.start(now, offset=offset, speed=self._speed),
            plan=plan,
            initial_lights=initial,
            initial_sound=self._sound.current(now),
            started_wall=now,
            operator=command.operator,
        )
        self._sound.preload(
            tuple(
                Voice(p.sound.source, 0.0, p.sound.loop)
                for p in profile.phases
                if isinstance(p.sound, SoundSetting)
            )
        )
        self.status = "running"
        self._ended = None
        self._announced_phase = None
        self._cues_until = math.nextafter(offset, -math.inf)  # a cue at the start fires
        self._event(
            "session_started", now, profile=command.profile, at_s=offset, by=command.operator
        )
        self._advance(now)

    def _pause(self, command: PauseCommand, now: float) -> None:
        session = self._require(command, "running")
        self._lights.freeze(now)
        self._sound.hold(now)
        self.session = session.with_changes(
            clock=session.clock.pause(now), paused_by=command.operator
        )
        self.status = "paused"
        self._event("paused", now, by=command.operator, elapsed_s=self._elapsed(now))

    def _resume(self, command: ResumeCommand, now: float) -> None:
        session = self._require(command, "paused")
        paused_since = session.clock.pauses[-1][0]
        self.session = session.with_changes(clock=session.clock.resume(now), paused_by=None)
        self.status = "running"
        self._event("resumed", now, by=command.operator, paused_s=round(now - paused_since, 3))
        self._advance(now)

    def _stop(self, command: StopCommand, now: float) -> None:
        if self.status == "emergency":
            # A stop would fade the emergency scene away: it may be one sent before the
            # emergency and read after it (from another connection). Release first.
            raise CommandError(STOP_IN_EMERGENCY, command.request_id)
        self._require(command, *ACTIVE)
        self._event("stopped", now, by=command.operator, elapsed_s=self._elapsed(now))
        self._end_session(now, reason="stopped")

    def _next(self, command: NextCommand, now: float) -> None:
        session = self._require(command, *ACTIVE)
        tau = session.clock.session_time(now)
        plan = session.plan.skip(tau)
        self.session = session.with_changes(plan=plan)
        self._event("skipped", now, by=command.operator, elapsed_s=round(tau, 1))
        if self.status == "running":
            self._advance(now)

    def _extend(self, command: ExtendCommand, now: float) -> None:
        session = self._require(command, *ACTIVE)
        tau = session.clock.session_time(now)
        index = session.plan.phase_index_at(tau)
        if index is None:
            raise CommandError("the session has no phase left to extend", command.request_id)
        try:
            plan = session.plan.extend(index, command.by)
        except ValueError as error:  # past the session's cap on extensions
            raise CommandError(str(error), command.request_id) from None
        self.session = session.with_changes(plan=plan)
        self._event("extended", now, by=command.operator, added_s=command.by)
        if self.status == "running":
            self._advance(now)

    def _emergency(self, command: EmergencyCommand, now: float) -> None:
        if self.status == "emergency":
            if now - self._emergency_sent_at >= EMERGENCY_REPEAT_S:
                self._emergency_sent_at = now
                self._lights.jump(self._scene_levels(self.room.emergency), now)
            return
        session = self.session if self.status in ACTIVE else None
        if session is not None and not session.clock.paused:
            session = session.with_changes(
                clock=session.clock.pause(now), paused_by=command.operator
            )
        if session is not None:
            self.session = session.with_changes(emergency=True)
        else:
            self._before_emergency = {
                name: level for name, level in self._lights.current(now).items() if level
            }
        self._lights.jump(self._scene_levels(self.room.emergency), now)
        self._emergency_sent_at = now
        self._sound.silence(now)
        self.status = "emergency"
        self._event("emergency", now, by=command.operator)

    def _release(self, command: ReleaseCommand, now: float) -> None:
        if self.status != "emergency":
            raise CommandError(
                f"cannot release: room {self.room.id} is not in emergency",
                command.request_id,
            )
        session = self.session
        current = self._lights.current(now)
        if session is not None and session.emergency:
            self.session = session.with_changes(emergency=False)
            tau = session.clock.session_time(now)
            timeline = session.timeline(self.room)
            targets = timeline.lights_at(tau)
            mix = timeline.sound_at(tau)
            self.status = "paused"
        else:
            targets = self._before_emergency or scene_lights(
                self.room, self.room.standby.lights, {}
            )
            mix = self._sound.current(now)
            self.status = "ended" if self.session is not None else "idle"
        duration = RELEASE_FADE_S / self._speed
        self._lights.play(self._fades_to(current, targets, now, duration, "linear"), now)
        self._sound.play(SoundFade(now, now + duration, self._sound.current(now), mix), now)
        self._event("released", now, by=command.operator)

    def _require(self, command: Command, *statuses: Status) -> Session:
        if self.status not in statuses or self.session is None:
            raise CommandError(
                f"cannot {command.action}: room {self.room.id} {_PLAINLY[self.status]}"
                + (": start one first" if self.status in ("idle", "ended") else ""),
                command.request_id,
            )
        return self.session

    # -- the session's course ----------------------------------------------------------

    def _advance(self, now: float) -> None:
        """Bring lights, sound, cues and phase events up to session time now."""
        session = self.session
        if self.status != "running" or session is None:
            return
        tau = session.clock.session_time(now)
        timeline = session.timeline(self.room)
        for cue in timeline.cues_between(self._cues_until, tau):
            late = round(tau - cue.at, 1)  # after a recovery a cue fires late: the record says so
            self._event("cue", now, phase=cue.phase_name, notify=cue.text, at_s=cue.at, late_s=late)
        self._cues_until = max(self._cues_until, tau)
        if timeline.ended(tau):
            self._end_session(now, reason="completed")
            return
        phase = timeline.phase_at(tau)
        if phase is not None and phase.index != self._announced_phase:
            self._announced_phase = phase.index
            self._event("phase_started", now, phase=phase.name, phase_index=phase.index)
            self.publish_state(now)
        lights = {
            name: self._fade_to_wall(fade, tau, now)
            for name, fade in timeline.light_fades_at(tau).items()
        }
        self._lights.play(lights, now)
        sound = timeline.sound_fade_at(tau)
        self._sound.play(
            replace(
                sound,
                start=self._to_wall(sound.start, tau, now),
                end=self._to_wall(sound.end, tau, now),
            ),
            now,
        )

    def _end_session(self, now: float, reason: str) -> None:
        session = self.session
        assert session is not None
        if reason != "completed" or session.profile.end == "standby":
            self._go_to_scene(self.room.standby, now, STOP_FADE_S / self._speed)
        self.status = "ended"
        # A session that ran out (perhaps while the daemon was down) ended when its plan
        # did, not when that was noticed: its clock stops there and its elapsed_s is final.
        ended_at = now
        if reason == "completed" and not session.clock.paused:
            ended_at = session.clock.wall_at(session.plan.end) or now
        self._ended = (ended_at, reason)
        clock = session.clock if session.clock.paused else session.clock.pause(ended_at)
        self.session = session.with_changes(clock=clock, emergency=False, paused_by=None)
        self._event("session_ended", now, reason=reason, elapsed_s=self._elapsed(now))
        self.publish_state(now)

    def _recover(self, row: SessionRow, now: float) -> None:
        """Bring back a session the journal says was unfinished when the daemon died."""
        try:
            session, status, cues_until, announced = restore_session(row.snapshot)
        except (ValueError, KeyError, TypeError) as error:
            _LOGGER.error(
                "room %s: cannot recover session %s: %s", self.room.id, row.session_id, error
            )
            return
        self.session, self.status = session, status
        self._cues_until, self._announced_phase, self._ended = cues_until, announced, None
        away = round(now - row.alive_at, 1)
        self._event("recovered", now, away_s=away, status=status, elapsed_s=self._elapsed(now))
        _LOGGER.warning(
            "room %s: recovered session %s (%s) after %.1f s away",
            self.room.id,
            session.session_id,
            status,
            away,
        )
        if status == "running":
            self._advance(now)
        elif status == "paused":
            tau = session.clock.session_time(now)
            timeline = session.timeline(self.room)
            self._lights.play(
                {n: LightFade(now, now, lv, lv) for n, lv in timeline.lights_at(tau).items()}, now
            )
            mix = timeline.sound_at(tau)
            self._sound.play(SoundFade(now, now, mix, mix), now)
        elif status == "emergency":
            self._lights.jump(self._scene_levels(self.room.emergency), now)
            self._sound.silence(now)
        self.publish_state(now)

    def _on_scene(self, name: str, now: float) -> None:
        scene = self.room.scene(name)
        if scene is None or self.status in ACTIVE:
            _LOGGER.info(
                "room %s: scheduled scene %s skipped (%s)", self.room.id, name, self.status
            )
            return
        self._go_to_scene(scene, now, SCENE_FADE_S / self._speed)
        self._event("scene_applied", now, scene=name)

    def _go_to_scene(self, scene: Scene, now: float, duration: float) -> None:
        current = self._lights.current(now)
        targets = scene_lights(self.room, scene.lights, {k: v for k, v in current.items() if v})
        self._lights.play(self._fades_to(current, targets, now, duration, "s-curve"), now)
        mix_now = self._sound.current(now)
        mix = scene_sound(scene.sound, mix_now, self.room.limits.max_volume)
        self._sound.play(SoundFade(now, now + duration, mix_now, mix), now)

    def _scene_levels(self, scene: Scene) -> dict[str, LightLevel]:
        return scene_lights(self.room, scene.lights, {})

    @staticmethod
    def _fades_to(
        current: dict[str, LightLevel | None],
        targets: dict[str, LightLevel],
        now: float,
        duration: float,
        easing: Easing,
    ) -> dict[str, LightFade]:
        fades: dict[str, LightFade] = {}
        for name, target in targets.items():
            source = current.get(name) or target
            fades[name] = LightFade(now, now + duration, source, target, easing)
        return fades

    def _to_wall(self, tau_at: float, tau_now: float, now: float) -> float:
        return now + (tau_at - tau_now) / self._speed

    def _fade_to_wall(self, fade: LightFade, tau: float, now: float) -> LightFade:
        return replace(
            fade, start=self._to_wall(fade.start, tau, now), end=self._to_wall(fade.end, tau, now)
        )

    def _on_health(
        self, device: str, online: bool, now: float, reason: str = "", rejoined: bool = False
    ) -> None:
        if device not in self.health:
            return
        if online and (rejoined or self.health[device] is False):
            self._lights.came_back(device, now)  # its next reports show how it booted
        if self.health[device] == online:
            return
        first_contact = self.health[device] is None
        self.health[device] = online
        if not (online and first_contact):  # a device seen for the first time is no news
            kind: EventType = "device_online" if online else "device_offline"
            self._device_event(kind, now, device, **({"reason": reason} if reason else {}))
        if online:
            self._lights.reapply(device, now)
            self._sound.reapply(device, now)
        self.publish_state(now)

    def _on_echo(self, device: str, level: LightLevel, now: float) -> None:
        """Reconcile a light with the level it reports (see runtime.reconcile)."""
        if device not in self.health:
            return
        # A report is a sign of life where nothing else says so: no availability signal,
        # or none heard yet (zigbee2mqtt's availability is off unless configured).
        if self.health[device] is None or not self._lights.has_availability(device):
            self._on_health(device, True, now)
        self._judge_report(device, level, now)

    def _judge_report(self, device: str, level: LightLevel, now: float, fresh: bool = True) -> None:
        """Act on what a light's report means: an echo, a power cycle or a change by hand."""
        in_session = self.status in ACTIVE
        verdict, kept = self._lights.reconcile(
            device, level, now, in_session=in_session, fresh=fresh
        )
        if verdict is Verdict.MANUAL and kept is not None:
            self._device_event(
                "manual_change", now, device, reported=level_fields(level), kept=level_fields(kept)
            )
            self.publish_state(now)
        elif verdict is Verdict.POWER_CYCLE:
            self._device_event("device_restored", now, device, reported=level_fields(level))

    def _device_event(self, kind: EventType, now: float, device: str, **fields: object) -> None:
        """Publish a device's event; record it within the per-device budget (runtime.health)."""
        self._record_gaps(now)
        record = self._health_record.admit(device, now)
        self._event(kind, now, record, 1, device=device, **fields)

    def _device_upkeep(self, now: float) -> None:
        """Mark lights that stopped answering offline; record what each device left out."""
        for name in self._lights.silent(now):
            self._on_health(name, False, now, "no state report after a command")
        for name, report in self._lights.unjudged(now):
            self._judge_report(name, report, now, fresh=False)
        self._record_gaps(now)

    def _record_gaps(self, now: float, close_all: bool = False) -> None:
        """Record how many device events and refusals a closed window left unrecorded."""
        until = math.inf if close_all else now
        for gap in self._refusal_record.closed(until):
            self._event(
                "commands_unrecorded",
                now,
                count=gap.count,
                window_s=round(gap.until - gap.since, 1),
            )
        for gap in self._health_record.closed(until):
            self._event(
                "device_events_unrecorded",
                now,
                device=gap.device,
                count=gap.count,
                window_s=round(gap.until - gap.since, 1),
            )

    # -- output --------------------------------------------------------------------------

    def _elapsed(self, now: float) -> float | None:
        if self.session is None:
            return None
        return round(self.session.clock.session_time(now), 1)

    def state(self, now: float) -> RoomState:
        """Return the room's state as the state topic shows it."""
        journal_error = None
        if self._recorder.error is not None or self._recorder.stalled(now):
            journal_error = self._recorder.problem(now)
        return room_state(
            self.room,
            self.status,
            self.session,
            self._cues_until,
            self._speed,
            now,
            dict(self.health),
            self._device_details(),
            journal_error,
        )

    def _device_details(self) -> dict[str, LightLevelFields]:
        """Return what the state shows of each device beyond `online`: a level set by hand."""
        details: dict[str, LightLevelFields] = {}
        for name in self.health:
            manual = self._lights.manual(name)
            if manual is not None:
                details[name] = LightLevelFields.model_validate(level_fields(manual))
        return details

    def publish_state(self, now: float) -> None:
        """Publish the retained state."""
        self._outbox.publish(Message(self.topics.state, self.state(now).payload(now), retain=True))

    def _event(
        self, kind: EventType, now: float, record: bool = True, qos: int = 1, **fields: object
    ) -> None:
        session_id = self.session.session_id if self.session is not None else None
        if record:
            self._recorder.event(StoredEvent(self.room.id, session_id, now, kind, dict(fields)))
        log_event(self.room.id, session_id, kind, fields)
        self._dirty = True
        self._outbox.publish(
            Message(
                self.topics.events,
                event_payload(read_event(kind, fields), self.room.id, session_id, now),
                qos,
            )
        )

    def _checkpoint(self, now: float) -> None:
        """Hand what changed to the journal, without waiting; show it if writing fails."""
        session = self.session
        ended = self._ended is not None
        if self._dirty and session is not None and (self.status in ACTIVE or ended):
            ended_at, reason = self._ended or (None, None)
            self._recorder.session(
                SessionRow(
                    session_id=session.session_id,
                    room=self.room.id,
                    profile=session.profile_id,
                    started_at=session.started_wall,
                    ended_at=ended_at,
                    end_reason=reason,
                    alive_at=now,
                    snapshot=session_snapshot(
                        session, self.status, self._cues_until, self._announced_phase
                    ),
                )
            )
        self._dirty = False
        if self._recorder.flush(wait=False, now=now):
            self.publish_state(now)

    def _reply(
        self,
        inbound: Inbound,
        request_id: str | None,
        ok: bool,
        error: str | None,
        status: Status | None = None,
        recorded: bool | None = None,
        qos: int = 1,
    ) -> None:
        payload = reply_payload(request_id, ok, status or self.status, error, recorded)
        self._outbox.reply(inbound, Message(self.topics.reply, payload, qos))

    def _answer(self, now: float, final: bool = False) -> None:
        """Send the replies whose records are on disk, and those that cannot wait longer.

        `final` (the room stops) sends every reply still held.
        """
        failing = self._recorder.error is not None and self._recorder.in_flight_since is None
        hopeless = failing or final
        for pending, recorded in self._acks.ready(self._recorder.durable, now, hopeless):
            warning = None if recorded else self._recorder.problem(now) or NOT_YET_RECORDED
            said = recorded if self._recorder.keeps_records else None
            self._reply(pending.inbound, pending.request_id, True, warning, pending.status, said)
