"""The pure timeline: the desired room state at any session time, and when it next changes."""

from __future__ import annotations

from roomctl.core.timeline.clock import SessionClock
from roomctl.core.timeline.cues import CueFiring, CueSheet
from roomctl.core.timeline.plan import SessionPlan
from roomctl.core.timeline.scene import (
    DEFAULT_ON_BRIGHTNESS,
    apply_limits,
    cap_mix,
    scene_lights,
    scene_sound,
)
from roomctl.core.timeline.timeline import PhaseInfo, Timeline
from roomctl.core.timeline.transition import LightTransition, SoundTransition, light_transitions

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
