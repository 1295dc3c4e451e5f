"""Decide the session's course: cues, phases, its end, a recovery, a calendar scene."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from roomctl.api.events import PhaseStarted, Recovered, SceneApplied, SessionEnded
from roomctl.core.easing import Easing
from roomctl.core.levels import LightFade, LightLevel, SoundFade
from roomctl.core.room_cues import fire_cues
from roomctl.core.room_effects import JumpLights, Log, PlayLights, PublishState
from roomctl.core.room_snapshot import restore_session
from roomctl.core.room_step import ACTIVE, Step
from roomctl.core.timeline import scene_lights, scene_sound
from roomctl.models import Scene

# The contract's stop: the room fades to standby over 10 s.
STOP_FADE_S = 10.0
# The contract's release: back to the paused session's levels over 3 s.
RELEASE_FADE_S = 3.0
# A calendar scene changes an empty room as gently as a stop does.
SCENE_FADE_S = 10.0


def advance(step: Step) -> None:
    """Bring lights, sound, cues and phase events up to session time now."""
    memory, session = step.memory, step.memory.session
    if memory.status != "running" or session is None:
        return
    tau = session.clock.session_time(step.now)
    timeline = session.timeline(step.room)
    fire_cues(step, timeline, tau)
    if timeline.ended(tau):
        end_session(step, reason="completed")
        return
    phase = timeline.phase_at(tau)
    if phase is not None and phase.index != memory.announced_phase:
        memory.announced_phase = phase.index
        step.emit(PhaseStarted(phase=phase.name, phase_index=phase.index))
        step.do(PublishState())
    fades = timeline.light_fades_at(tau)
    step.do(PlayLights({name: step.fade_to_wall(fade, tau) for name, fade in fades.items()}))
    sound = timeline.sound_fade_at(tau)
    wall_start, wall_end = step.to_wall(sound.start, tau), step.to_wall(sound.end, tau)
    step.play_sound(replace(sound, start=wall_start, end=wall_end))


def end_session(step: Step, reason: str) -> None:
    """End the session: to standby unless it completed into a profile that holds its end."""
    memory, session, now = step.memory, step.memory.session, step.now
    assert session is not None
    if reason != "completed" or session.profile.end == "standby":
        go_to_scene(step, step.room.standby, STOP_FADE_S / step.speed)
    memory.status = "ended"
    # A session that ran out (perhaps while the daemon was down) ended when its plan did,
    # not when that was noticed: its clock stops there and its elapsed_s is final.
    ended_at = now
    if reason == "completed" and not session.clock.paused:
        ended_at = session.clock.wall_at(session.plan.end) or now
    memory.ended = (ended_at, reason)
    clock = session.clock if session.clock.paused else session.clock.pause(ended_at)
    memory.session = session.with_changes(clock=clock, emergency=False, paused_by=None)
    ending = "completed" if reason == "completed" else "stopped"
    step.emit(SessionEnded(reason=ending, elapsed_s=step.elapsed()))
    step.do(PublishState())


def recover(
    step: Step,
    session_id: str,
    snapshot: dict[str, Any],
    alive_at: float,
    ended: tuple[float, str] | None = None,
) -> None:
    """Bring back a session the journal says was unfinished when the daemon died.

    A session that had ended (`ended`: when and why) comes back only for its pending
    cues: the room shows it ended, with them, and records nothing.
    """
    memory, room, now = step.memory, step.room, step.now
    try:
        session, status, cues_until, announced = restore_session(snapshot)
    except (ValueError, KeyError, TypeError) as error:
        message = "room %s: cannot recover session %s: %s"
        step.do(Log(logging.ERROR, message, (room.id, session_id, error)))
        return
    if ended is not None:
        memory.session, memory.status, memory.ended = session, "ended", ended
        memory.cues_until, memory.announced_phase = cues_until, announced
        step.do(PublishState())
        return
    memory.session, memory.status = session, status
    memory.cues_until, memory.announced_phase, memory.ended = cues_until, announced, None
    away = round(now - alive_at, 1)
    step.emit(Recovered(away_s=away, status=status, elapsed_s=step.elapsed()))
    message = "room %s: recovered session %s (%s) after %.1f s away"
    step.do(Log(logging.WARNING, message, (room.id, session.session_id, status, away)))
    if status == "running":
        advance(step)
    elif status == "paused":
        tau = session.clock.session_time(now)
        timeline = session.timeline(room)
        levels = timeline.lights_at(tau)
        step.do(PlayLights({n: LightFade(now, now, lv, lv) for n, lv in levels.items()}))
        mix = timeline.sound_at(tau)
        step.play_sound(SoundFade(now, now, mix, mix))
    elif status == "emergency":
        step.do(JumpLights(scene_lights(room, room.emergency.lights, {})))
        step.silence()
    step.do(PublishState())


def apply_scene(step: Step, name: str) -> None:
    """Apply a calendar scene to an empty room; a room in a session skips it."""
    scene = step.room.scene(name)
    if scene is None or step.memory.status in ACTIVE:
        message = "room %s: scheduled scene %s skipped (%s)"
        step.do(Log(logging.INFO, message, (step.room.id, name, step.memory.status)))
        return
    go_to_scene(step, scene, SCENE_FADE_S / step.speed)
    step.emit(SceneApplied(scene=name))


def go_to_scene(step: Step, scene: Scene, duration: float) -> None:
    """Fade lights and sound from where they are to a scene over `duration` wall seconds."""
    now, current = step.now, step.lights
    known = {k: v for k, v in current.items() if v}
    targets = scene_lights(step.room, scene.lights, known)
    step.do(PlayLights(fades_to(current, targets, now, duration, "s-curve")))
    mix_now = step.sound_now()
    mix = scene_sound(scene.sound, mix_now, step.room.limits.max_volume)
    step.play_sound(SoundFade(now, now + duration, mix_now, mix))


def fades_to(
    current: Mapping[str, LightLevel | None],
    targets: Mapping[str, LightLevel],
    now: float,
    duration: float,
    easing: Easing,
) -> dict[str, LightFade]:
    """Return each light's fade from where it is (else its target) to its target."""
    fades: dict[str, LightFade] = {}
    for name, target in targets.items():
        source = current.get(name) or target
        fades[name] = LightFade(now, now + duration, source, target, easing)
    return fades
