"""Plan a fade that is just starting once per shape: the same plan, shifted to its start.

A fade's plan from its start is a pure function of its shape (levels, duration, easing),
the light's capabilities and its step interval: every room of a daemon playing the same
profile plans the same fades at each phase change, all within a few seconds, and fitting
an eased curve was most of a phase change's work. A room is woken a little after the
phase's instant (whenever its pool thread gets to it), so a fade that started less than
FRESH_S ago, before its plan's second step, is played from the plan of its start: its
first step sent now, its first transition shortened to keep the later steps on time.
Later in a fade (a resume, a light that came back, a load to a time) the fade is planned
from now, as plan_fade does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

from roomctl.core.levels import LightFade
from roomctl.devices.base import Capabilities
from roomctl.devices.fade_plan import LightStep, plan_fade
from roomctl.devices.step_queue import StepQueue

# A fade this young is played from the plan of its start, while that plan's second step is
# still ahead (so the step due now is its first). A saturated daemon picks its rooms up
# hundreds of milliseconds late at a phase change, when all of them plan at once: planning
# each exactly from its own late instant then cost ~1 ms a light and made them later. A
# fade joined later than this (a resume, a light that came back, a load to a time) is
# planned exactly from now.
FRESH_S = 1.0
# Distinct fade shapes kept: a profile's phases times its lights' kinds of capabilities
# (a few hundred for a folder of long profiles); a step list is under 1 kB.
PLAN_CACHE_SIZE = 1024

_Key = tuple[object, ...]


class PlanCache:
    """Plans of fades from their start, relative to it, least recently used dropped first."""

    def __init__(self, size: int = PLAN_CACHE_SIZE) -> None:
        self._size = size
        self._plans: OrderedDict[_Key, tuple[LightStep, ...]] = OrderedDict()
        self._lock = threading.Lock()  # the room pool's threads share one cache
        self.hits = 0
        self.misses = 0

    def queue(
        self,
        fade: LightFade,
        now: float,
        caps: Capabilities,
        min_interval_s: float,
        floor_brightness: float = 0.0,
    ) -> StepQueue:
        """Return plan_fade's steps for `fade` from now: the shared plan, if it is fresh.

        A fresh fade's queue reads the shared plan in place (see StepQueue).
        """

        def planned_now() -> StepQueue:
            return StepQueue(
                plan_fade(fade, now, caps, min_interval_s, floor_brightness=floor_brightness)
            )

        late = now - fade.start
        if not 0.0 <= late < FRESH_S:
            return planned_now()
        key = _key(fade, caps, min_interval_s, floor_brightness)
        with self._lock:
            relative = self._plans.get(key)
            if relative is not None:
                self._plans.move_to_end(key)
                self.hits += 1
        if relative is None:
            steps = plan_fade(
                fade, fade.start, caps, min_interval_s, floor_brightness=floor_brightness
            )
            relative = tuple(replace(s, at=s.at - fade.start) for s in steps)
            with self._lock:
                self.misses += 1
                self._plans[key] = relative
                if len(self._plans) > self._size:
                    self._plans.popitem(last=False)
        if len(relative) > 1 and fade.start + relative[1].at <= now:
            return planned_now()  # later than the plan's first step: plan from now
        return StepQueue(relative, fade.start, _first_now(relative, fade.start, now))


def _key(fade: LightFade, caps: Capabilities, min_interval_s: float, floor: float) -> _Key:
    """Return what a plan from the fade's start depends on (not the light's network)."""
    shape = (fade.end - fade.start, fade.source, fade.target, fade.easing)
    device = (
        caps.brightness,
        caps.color_temp,
        caps.color,
        caps.max_transition_s,
        caps.transition_step_s,
        caps.mireds_range,
        caps.brightness_step,
    )
    return (*shape, *device, min_interval_s, floor)


def _first_now(relative: tuple[LightStep, ...], start: float, now: float) -> LightStep | None:
    """Return the first step sent now if it is late (its transition shortened), else None.

    Shortened, it still ends when the second step is due, so the later steps keep time.
    """
    first = relative[0]
    if start + first.at >= now:
        return None
    transition = first.transition_s
    if transition > 0.0 and len(relative) > 1:
        transition = min(transition, max(0.0, start + relative[1].at - now))
    return LightStep(now, first.level, transition)


# The daemon's one cache: its rooms play the same profiles' fades.
PLANS = PlanCache()
