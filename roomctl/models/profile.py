"""Session profiles: the phases a session plays, with scenes, fades, sound and cues."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from roomctl.core.easing import DEFAULT_EASING, Easing
from roomctl.models.base import FrozenModel
from roomctl.models.scene import Scene
from roomctl.models.units import Seconds


class Cue(FrozenModel):
    """A timed prompt for staff, relative to the start of its phase."""

    at: Seconds
    notify: str = Field(min_length=1)


class Phase(Scene):
    """One phase of a session: how long it lasts and how the room moves into it."""

    name: str = Field(min_length=1)
    duration: Seconds = Field(gt=0)
    fade: Seconds = 0.0
    easing: Easing = DEFAULT_EASING
    cues: tuple[Cue, ...] = ()


class SessionProfile(FrozenModel):
    """A whole session as a clinic writes it in profiles/sessions/NAME.yaml."""

    title: str = Field(min_length=1)
    description: str = ""
    phases: tuple[Phase, ...]
    end: Literal["standby", "hold"] = "standby"

    @field_validator("phases")
    @classmethod
    def _at_least_one(cls, phases: tuple[Phase, ...]) -> tuple[Phase, ...]:
        if not phases:
            raise ValueError("a session needs at least one phase")
        return phases

    @property
    def duration(self) -> float:
        """Return the planned length of the whole session in seconds."""
        return sum(phase.duration for phase in self.phases)
