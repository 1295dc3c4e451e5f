"""Share one timeline among the sessions that would each build the same one.

A timeline is a pure function of its profile, its plan, the levels the session started
from and three things of its room: the lights (in order), the groups and the limits.
Rooms of one kind starting one profile from standby build the same timeline: at 500
rooms that was most of a start's work (3 ms each) and hundreds of thousands of objects,
which every full collection of the garbage collector walked while every room waited.
Timelines are immutable once built, so rooms' threads share them freely. The store takes
no lock (the core takes none): a dict's get, set and clear are each atomic in CPython;
two rooms building the same timeline at once each build one and the later is kept,
which costs a build and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

from roomctl.core.levels import LightLevel, SoundMix
from roomctl.core.timeline.plan import SessionPlan
from roomctl.core.timeline.timeline import Timeline
from roomctl.models import RoomPreset, SessionProfile

# Distinct timelines kept: a clinic's profiles times its kinds of room times the plans
# extends and skips make, for the sessions running now; one is some 1,000 small objects.
# Past it the store starts afresh (running sessions keep theirs; later starts rebuild).
SHARED_TIMELINES = 256

_Key = tuple[object, ...]


def room_shape(room: RoomPreset) -> tuple[object, ...]:
    """Return what a timeline reads of its room: its lights in order, groups and limits."""
    groups = tuple((name, tuple(members)) for name, members in room.groups.items())
    return (tuple(room.lights()), groups, room.limits)


class SharedTimelines:
    """Timelines by what builds them, at most `size` of them."""

    def __init__(self, size: int = SHARED_TIMELINES) -> None:
        self._size = size
        self._kept: dict[_Key, tuple[SessionProfile, Timeline]] = {}

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
        kept = self._kept.get(key)
        if kept is not None and kept[0] is profile:
            return kept[1]
        built = Timeline(profile, room, plan, initial_lights, initial_sound)
        if len(self._kept) >= self._size:
            self._kept.clear()
        self._kept[key] = (profile, built)  # the profile held: its id stays its own
        return built


# The daemon's one store: its rooms play the same profiles.
TIMELINES = SharedTimelines()
