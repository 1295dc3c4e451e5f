"""The timeline: a profile played on a plan, as the desired room state at any session time."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass

from roomctl.core.levels import OFF, LightFade, LightLevel, SoundFade, SoundMix
from roomctl.core.timeline.cues import CueFiring, CueSheet
from roomctl.core.timeline.plan import SessionPlan
from roomctl.core.timeline.scene import apply_limits, cap_mix, scene_lights, scene_sound
from roomctl.core.timeline.transition import LightTransition, SoundTransition, light_transitions
from roomctl.models import RoomPreset, SessionProfile


@dataclass(frozen=True, slots=True)
class PhaseInfo:
    """Where a session time falls: the phase, its bounds, and the time in and left in it."""

    index: int
    name: str
    start: float
    end: float
    elapsed_in_phase: float
    remaining_in_phase: float


@dataclass(frozen=True, slots=True)
class _PhasePath:
    """Where the lights and the sound enter one phase, and their paths through it."""

    entry_lights: Mapping[str, LightLevel]
    entry_sound: SoundMix
    lights: Mapping[str, LightTransition]
    sound: SoundTransition


class Timeline:
    """Compute the desired lights, sound, phase and cues of a session at any session time.

    Pure: every time is a session time passed in. Phase i fades each light and the sound
    from where it is at the phase's start (on the previous phase's path at that instant,
    so a skip mid-fade never jumps) to the phase's target, over the phase's fade (at most
    its written duration) along its easing, then holds to the phase's end. A target is
    the phase's scene applied over the previous phase's target (a light or sound a phase
    does not name keeps heading where it was). The room's limits hold everywhere. After
    the session's end everything holds at its final level; what follows (standby) is the
    caller's to start.
    """

    def __init__(
        self,
        profile: SessionProfile,
        room: RoomPreset,
        plan: SessionPlan,
        initial_lights: Mapping[str, LightLevel],
        initial_sound: SoundMix,
    ) -> None:
        if plan.phase_count != len(profile.phases):
            raise ValueError(
                f"plan has {plan.phase_count} phases, profile has {len(profile.phases)}"
            )
        self.profile = profile
        self.room = room
        self.plan = plan
        self._initial_lights = dict(initial_lights)
        self._initial_sound = initial_sound
        self._paths = self._build_paths()
        end = plan.end
        self._final_lights = {
            name: transition.level(end) for name, transition in self._last_path().lights.items()
        }
        self._final_sound = self._last_path().sound.level(end)
        self.cues = CueSheet.place(profile, plan)
        self._changes = self._change_instants()

    def _build_paths(self) -> tuple[_PhasePath, ...]:
        limits = self.room.limits
        lights = {
            name: apply_limits(self._initial_lights.get(name, OFF), limits)
            for name in self.room.lights()
        }
        sound = cap_mix(self._initial_sound, limits.max_volume)
        light_targets, sound_target = dict(lights), sound
        paths: list[_PhasePath] = []
        for index, phase in enumerate(self.profile.phases):
            light_targets = {
                name: apply_limits(level, limits)
                for name, level in scene_lights(self.room, phase.lights, light_targets).items()
            }
            sound_target = scene_sound(phase.sound, sound_target, limits.max_volume)
            start, end = self.plan.start_of(index), self.plan.end_of(index)
            fade = min(phase.fade, phase.duration)
            path = _PhasePath(
                entry_lights=lights,
                entry_sound=sound,
                lights=light_transitions(
                    lights, light_targets, start, fade, phase.easing, limits.min_brightness
                ),
                sound=SoundTransition.between(sound, sound_target, start, fade, phase.easing),
            )
            paths.append(path)
            if end > start:
                lights = {name: t.level(end) for name, t in path.lights.items()}
                sound = path.sound.level(end)
        return tuple(paths)

    def _last_path(self) -> _PhasePath:
        """Return the path of the last phase that has any length (the first if none has)."""
        for index in reversed(range(self.plan.phase_count)):
            if self.plan.end_of(index) > self.plan.start_of(index):
                return self._paths[index]
        return self._paths[0]

    def _change_instants(self) -> tuple[float, ...]:
        instants = set(self.plan.bounds)
        instants.update(cue.at for cue in self.cues.cues)
        for index, path in enumerate(self._paths):
            start, end = self.plan.start_of(index), self.plan.end_of(index)
            fading = [t.fade.end for t in path.lights.values() if t.fades]
            if path.sound.fades:
                fading.append(path.sound.fade.end)
            instants.update(t for t in fading if start < t < end)
        return tuple(sorted(instants))

    def with_plan(self, plan: SessionPlan) -> Timeline:
        """Return the timeline of the same session on another plan (after extend or skip)."""
        return Timeline(self.profile, self.room, plan, self._initial_lights, self._initial_sound)

    @property
    def end(self) -> float:
        """Return the session time at which the session ends."""
        return self.plan.end

    @property
    def phase_count(self) -> int:
        """Return the number of phases."""
        return self.plan.phase_count

    def lights_entering(self, index: int) -> dict[str, LightLevel]:
        """Return each light's level as phase `index` starts, before its fade begins."""
        return dict(self._path(index).entry_lights)

    def sound_entering(self, index: int) -> SoundMix:
        """Return the sound as phase `index` starts, before its fade begins."""
        return self._path(index).entry_sound

    def _path(self, index: int) -> _PhasePath:
        if not 0 <= index < len(self._paths):
            raise IndexError(f"no phase {index}: the profile has {len(self._paths)}")
        return self._paths[index]

    def ended(self, t: float) -> bool:
        """Return whether the session has ended at session time t."""
        return t >= self.plan.end

    def remaining(self, t: float) -> float:
        """Return the session seconds left at session time t."""
        return max(0.0, self.plan.end - max(t, 0.0))

    def phase_at(self, t: float) -> PhaseInfo | None:
        """Return the phase current at session time t, None after the end."""
        index = self.plan.phase_index_at(t)
        if index is None:
            return None
        start, end = self.plan.start_of(index), self.plan.end_of(index)
        return PhaseInfo(
            index=index,
            name=self.profile.phases[index].name,
            start=start,
            end=end,
            elapsed_in_phase=max(0.0, t - start),
            remaining_in_phase=end - max(t, start),
        )

    def light_fades_at(self, t: float) -> dict[str, LightFade]:
        """Return each light's segment at session time t: a fade, or a hold (source == target).

        A fade cut short by a skip keeps its own end; the phase boundary (see next_change)
        comes first. After the session's end each light holds, from the end, at its final
        level.
        """
        index = self.plan.phase_index_at(t)
        if index is None:
            end = self.plan.end
            return {name: LightFade(end, end, lvl, lvl) for name, lvl in self._final_lights.items()}
        until = self.plan.end_of(index)
        return {name: tr.segment(t, until) for name, tr in self._paths[index].lights.items()}

    def lights_at(self, t: float) -> dict[str, LightLevel]:
        """Return each light's level at session time t."""
        index = self.plan.phase_index_at(t)
        if index is None:
            return dict(self._final_lights)
        return {name: tr.level(t) for name, tr in self._paths[index].lights.items()}

    def sound_fade_at(self, t: float) -> SoundFade:
        """Return the sound's segment at session time t: a crossfade, or a hold."""
        index = self.plan.phase_index_at(t)
        if index is None:
            end = self.plan.end
            return SoundFade(end, end, self._final_sound, self._final_sound)
        return self._paths[index].sound.segment(t, self.plan.end_of(index))

    def sound_at(self, t: float) -> SoundMix:
        """Return the sound mix at session time t."""
        index = self.plan.phase_index_at(t)
        if index is None:
            return self._final_sound
        return self._paths[index].sound.level(t)

    def next_change(self, t: float) -> float | None:
        """Return the first instant after t at which anything changes, None after the end.

        That is a phase boundary (where fades start), a cue, or the end of a fade.
        """
        position = bisect.bisect_right(self._changes, t)
        return self._changes[position] if position < len(self._changes) else None

    def cues_between(self, t0: float, t1: float) -> list[CueFiring]:
        """Return the cues due with t0 < at <= t1, in time order."""
        return self.cues.between(t0, t1)
