"""Share one timeline among the sessions that would each build the same one.

A timeline is a pure function of its profile, its plan, the levels the session started
from and three things of its room: the lights (in order), the groups and the limits.
Rooms of one kind starting one profile from standby build the same timeline: at 500
rooms that was most of a start's work (3 ms each) and half a million long-lived objects,
which every full collection of the garbage collector walked while every room waited.
Timelines are immutable once built, so rooms' threads share them freely.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

from roomctl.core.levels import LightLevel, SoundMix
from roomctl.core.timeline.plan import SessionPlan
from roomctl.core.timeline.timeline import Timeline
from roomctl.models import RoomPreset, SessionProfile

# Distinct timelines kept: a clinic's profiles times its kinds of room times the plans
# extends and skips make, for the sessions running now; one is some 1,000 small objects.
SHARED_TIMELINES = 256

_Key = tuple[object, ...]


def room_shape(room: RoomPreset) -> tuple[object, ...]:
    """Return what a timeline reads of its room: its lights in order, groups and limits."""
    groups = tuple((name, tuple(members)) for name, members in room.groups.items())
    return (tuple(room.lights()), groups, room.limits)


class SharedTimelines:
    """Timelines by what builds them, the least recently used dropped first."""

    def __init__(self, size: int = SHARED_TIMELINES) -> None:
        self._size = size
        self._kept: OrderedDict[_Key, tuple[SessionProfile, Timeline]] = OrderedDict()
        self._lock = threading.Lock()  # the room pool's threads share one cache

    def timeline(
        self,
        profile: SessionProfile,
        room: RoomPreset,
        plan: SessionPlan,
        initial_lights: Mapping[str, LightLevel],
        initial_sound: SoundMix,
    ) -> Timeline:
        """Return the timeline these build: one built before if it is alike, else a new one.

        A profile counts as the same only as the same object: the library hands every
        room the one it parsed while its file is unchanged, and an edited file is a new
        profile.
        """
        lights = frozenset(initial_lights.items())
        key: _Key = (id(profile), room_shape(room), plan, lights, initial_sound)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] is profile:
                self._kept.move_to_end(key)
                return kept[1]
        built = Timeline(profile, room, plan, initial_lights, initial_sound)
        with self._lock:
            self._kept[key] = (profile, built)  # the profile held: its id stays its own
            self._kept.move_to_end(key)
            if len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return built


# The daemon's one store: its rooms play the same profiles.
TIMELINES = SharedTimelines()
