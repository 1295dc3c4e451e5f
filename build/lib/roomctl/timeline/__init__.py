"""The pure timeline: the desired room state at any session time, and when it next changes."""

from __future__ import annotations

from roomctl.timeline.clock import SessionClock
from roomctl.timeline.cues import CueFiring, CueSheet
from roomctl.timeline.plan import SessionPlan
from roomctl.timeline.scene import (
    DEFAULT_ON_BRIGHTNESS,
    apply_limits,
    cap_mix,
    scene_lights,
    scene_sound,
)
from roomctl.timeline.timeline import PhaseInfo, Timeline
from roomctl.timeline.transition import LightTransition, SoundTransition, light_transitions

__all__ = [
    "DEFAULT_ON_BRIGHTNESS",
    "CueFiring",
    "CueSheet",
    "LightTransition",
    "PhaseInfo",
    "SessionClock",
    "SessionPlan",
    "SoundTransition",
    "Timeline",
    "apply_limits",
    "cap_mix",
    "light_transitions",
    "scene_lights",
    "scene_sound",
]
