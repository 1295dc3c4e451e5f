"""A running session as a value: its profile, clock, plan and who paused it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from roomctl.core.levels import LightLevel, SoundMix
from roomctl.core.timeline import SessionClock, SessionPlan, Timeline
from roomctl.core.timeline.shared import TIMELINES
from roomctl.models import RoomPreset, SessionProfile


@dataclass(frozen=True, slots=True)
class FiredCue:
    """A cue that fired and waits for staff to acknowledge it."""

    cue_id: str
    phase: str
    notify: str
    at: float  # when it was due, in session time
    fired_wall: float  # when it fired, in wall time


@dataclass(frozen=True)
class Session:
    """Everything that decides where a session stands; replaced whole on every change."""

    session_id: str
    profile_id: str
    profile: SessionProfile
    clock: SessionClock
    plan: SessionPlan
    initial_lights: dict[str, LightLevel]
    initial_sound: SoundMix
    started_wall: float
    operator: str | None = None
    paused_by: str | None = None
    emergency: bool = False
    pending: tuple[FiredCue, ...] = ()  # fired cues not yet acknowledged, oldest first
    timeline_cache: dict[str, Timeline] = field(default_factory=dict, compare=False, repr=False)

    def timeline(self, room: RoomPreset) -> Timeline:
        """Return the timeline for this session's plan (shared with sessions alike)."""
        cached = self.timeline_cache.get("timeline")
        if cached is None:
            cached = TIMELINES.timeline(
                self.profile, room, self.plan, self.initial_lights, self.initial_sound
            )
            self.timeline_cache["timeline"] = cached
        return cached

    def with_pending(self, pending: tuple[FiredCue, ...]) -> Session:
        """Return a copy with these cues pending (the plan is the same: so is its timeline)."""
        return replace(self, pending=pending)

    def with_changes(self, **changes: object) -> Session:
        """Return a copy with some fields changed (and a fresh timeline cache)."""
        return replace(self, timeline_cache={}, **changes)  # type: ignore[arg-type]
