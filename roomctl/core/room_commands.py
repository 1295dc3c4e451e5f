"""Decide the room's commands: carry each one out, or say plainly why not."""

from __future__ import annotations

import math

from roomctl.api.commands import (
    AckCommand,
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
from roomctl.api.events import (
    CommandRejected,
    EmergencyStarted,
    Extended,
    Paused,
    Released,
    Resumed,
    SessionStarted,
    Skipped,
    Stopped,
)
from roomctl.api.state import Status
from roomctl.core.levels import SoundFade, Voice
from roomctl.core.room_course import RELEASE_FADE_S, advance, end_session, fades_to
from roomctl.core.room_cues import acknowledge
from roomctl.core.room_effects import (
    Accept,
    FreezeLights,
    JumpLights,
    PlayLights,
    PreloadSound,
    PublishState,
    Refuse,
)
from roomctl.core.room_inputs import CommandIn
from roomctl.core.room_session import Session
from roomctl.core.room_step import ACTIVE, REFUSALS, Step
from roomctl.core.timeline import SessionClock, SessionPlan, scene_lights
from roomctl.models import SoundSetting

# Refusals and their events go at QoS 0: sent at once, never queued behind the in-flight
# window, and never filling the queue that holds the room's QoS 1 messages.
REFUSAL_QOS = 0
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
# A room's status as a refusal says it to staff.
_PLAINLY: dict[Status, str] = {
    "idle": "has no session running",
    "running": "has a session running",
    "paused": "has a paused session",
    "emergency": "is in emergency",
    "ended": "has no session running (its last session ended)",
}


def decide_command(step: Step, arrived: CommandIn) -> None:
    """Carry out a command at once, or refuse it; the edge answers an accepted one later.

    Nothing here waits for the disk: the effects (lights, sound, state) come first, a
    refusal is answered at once, and `Accept` is answered once the records are on disk.
    """
    command = arrived.command
    memory = step.memory
    try:
        if isinstance(command, CommandError):
            raise command
        if arrived.seq < memory.emergency_seq and command.action != "emergency":
            raise CommandError(OVERTAKEN, command.request_id)
        if not command.operator and step.room.needs_operator(command.action):
            raise CommandError(f"room {step.room.id} requires an operator", command.request_id)
        _carry_out(step, command, arrived)
    except CommandError as error:
        # At QoS 0: a flood of junk must not fill the connection's queue of QoS 1
        # messages (the replies and device commands that matter wait in it).
        step.record_gaps()
        record = memory.refusal_record.admit(REFUSALS, step.now)
        step.emit(CommandRejected(reason=error.reason), record, REFUSAL_QOS)
        step.do(Refuse(error.request_id, error.reason, REFUSAL_QOS))
        return
    if command.action == "emergency":
        memory.emergency_seq = max(memory.emergency_seq, arrived.seq)
    step.do(PublishState(), Accept(command.request_id, memory.status))


def _carry_out(step: Step, command: Command, arrived: CommandIn) -> None:
    """Carry out one well-formed command, or raise CommandError saying why not."""
    match command:
        case StartCommand():
            _start(step, command, arrived)
        case PauseCommand():
            _pause(step, command)
        case ResumeCommand():
            _resume(step, command)
        case StopCommand():
            _stop(step, command)
        case NextCommand():
            _next(step, command)
        case ExtendCommand():
            _extend(step, command)
        case EmergencyCommand():
            _emergency(step, command)
        case ReleaseCommand():
            _release(step, command)
        case AckCommand():
            acknowledge(step, command)


def _start(step: Step, command: StartCommand, arrived: CommandIn) -> None:
    memory, room, now = step.memory, step.room, step.now
    if memory.status in ACTIVE:
        raise CommandError(
            f"room {room.id} {_PLAINLY[memory.status]}: stop it first", command.request_id
        )
    profile = arrived.profile
    if profile is None:
        reason = arrived.profile_refusal or f"profile {command.profile} was not loaded"
        raise CommandError(reason, command.request_id)
    plan = SessionPlan.from_profile(profile)
    offset = command.at or 0.0
    if offset >= plan.end:
        raise CommandError(
            f"'at' is beyond the session's end ({plan.end:.0f} s)", command.request_id
        )
    standby = scene_lights(room, room.standby.lights, {})
    initial = {name: step.lights.get(name) or level for name, level in standby.items()}
    memory.session = Session(
        session_id=arrived.session_id,
        profile_id=command.profile,
        profile=profile,
        clock=SessionClock.start(now, offset=offset, speed=step.speed),
        plan=plan,
        initial_lights=initial,
        initial_sound=step.sound_now(),
        started_wall=now,
        operator=command.operator,
    )
    voices = tuple(
        Voice(p.sound.source, 0.0, p.sound.loop)
        for p in profile.phases
        if isinstance(p.sound, SoundSetting)
    )
    step.do(PreloadSound(voices))
    memory.status = "running"
    memory.ended = None
    memory.announced_phase = None
    memory.cues_until = math.nextafter(offset, -math.inf)  # a cue at the start fires
    step.emit(SessionStarted(profile=command.profile, at_s=offset, by=command.operator))
    advance(step)


def _pause(step: Step, command: PauseCommand) -> None:
    session = _require(step, command, "running")
    step.do(FreezeLights())
    step.hold_sound()
    step.memory.session = session.with_changes(
        clock=session.clock.pause(step.now), paused_by=command.operator
    )
    step.memory.status = "paused"
    step.emit(Paused(by=command.operator, elapsed_s=step.elapsed()))


def _resume(step: Step, command: ResumeCommand) -> None:
    session = _require(step, command, "paused")
    paused_since = session.clock.pauses[-1][0]
    step.memory.session = session.with_changes(clock=session.clock.resume(step.now), paused_by=None)
    step.memory.status = "running"
    step.emit(Resumed(by=command.operator, paused_s=round(step.now - paused_since, 3)))
    advance(step)


def _stop(step: Step, command: StopCommand) -> None:
    if step.memory.status == "emergency":
        # A stop would fade the emergency scene away: it may be one sent before the
        # emergency and read after it (from another connection). Release first.
        raise CommandError(STOP_IN_EMERGENCY, command.request_id)
    _require(step, command, *ACTIVE)
    step.emit(Stopped(by=command.operator, elapsed_s=step.elapsed()))
    end_session(step, reason="stopped")


def _next(step: Step, command: NextCommand) -> None:
    session = _require(step, command, *ACTIVE)
    tau = session.clock.session_time(step.now)
    step.memory.session = session.with_changes(plan=session.plan.skip(tau))
    step.emit(Skipped(by=command.operator, elapsed_s=round(tau, 1)))
    if step.memory.status == "running":
        advance(step)


def _extend(step: Step, command: ExtendCommand) -> None:
    session = _require(step, command, *ACTIVE)
    tau = session.clock.session_time(step.now)
    index = session.plan.phase_index_at(tau)
    if index is None:
        raise CommandError("the session has no phase left to extend", command.request_id)
    try:
        plan = session.plan.extend(index, command.by)
    except ValueError as error:  # past the session's cap on extensions
        raise CommandError(str(error), command.request_id) from None
    step.memory.session = session.with_changes(plan=plan)
    step.emit(Extended(by=command.operator, added_s=command.by))
    if step.memory.status == "running":
        advance(step)


def _emergency(step: Step, command: EmergencyCommand) -> None:
    memory, now = step.memory, step.now
    scene = scene_lights(step.room, step.room.emergency.lights, {})
    if memory.status == "emergency":
        if now - memory.emergency_sent_at >= EMERGENCY_REPEAT_S:
            memory.emergency_sent_at = now
            step.do(JumpLights(scene))
        return
    session = memory.session if memory.status in ACTIVE else None
    if session is not None and not session.clock.paused:
        session = session.with_changes(clock=session.clock.pause(now), paused_by=command.operator)
    if session is not None:
        memory.session = session.with_changes(emergency=True)
    else:
        memory.before_emergency = {name: lv for name, lv in step.lights.items() if lv}
    step.do(JumpLights(scene))
    memory.emergency_sent_at = now
    step.silence()
    memory.status = "emergency"
    step.emit(EmergencyStarted(by=command.operator))


def _release(step: Step, command: ReleaseCommand) -> None:
    memory, room, now = step.memory, step.room, step.now
    if memory.status != "emergency":
        raise CommandError(
            f"cannot release: room {room.id} is not in emergency", command.request_id
        )
    session = memory.session
    if session is not None and session.emergency:
        memory.session = session.with_changes(emergency=False)
        tau = session.clock.session_time(now)
        timeline = session.timeline(room)
        targets = timeline.lights_at(tau)
        mix = timeline.sound_at(tau)
        memory.status = "paused"
    else:
        targets = memory.before_emergency or scene_lights(room, room.standby.lights, {})
        mix = step.sound_now()
        memory.status = "ended" if session is not None else "idle"
    duration = RELEASE_FADE_S / step.speed
    step.do(PlayLights(fades_to(step.lights, targets, now, duration, "linear")))
    step.play_sound(SoundFade(now, now + duration, step.sound_now(), mix))
    step.emit(Released(by=command.operator))


def _require(step: Step, command: Command, *statuses: Status) -> Session:
    status = step.memory.status
    if status not in statuses or step.memory.session is None:
        raise CommandError(
            f"cannot {command.action}: room {step.room.id} {_PLAINLY[status]}"
            + (": start one first" if status in ("idle", "ended") else ""),
            command.request_id,
        )
    return step.memory.session
