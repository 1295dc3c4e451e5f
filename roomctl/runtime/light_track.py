"""One light as the room's lights drive it: its fade, its queue, what it said and was sent."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from roomctl.core.levels import COLOR_FULL, LightFade, LightLevel
from roomctl.devices.base import Capabilities, LightAdapter
from roomctl.devices.fade_plan import JUST_NOTICEABLE
from roomctl.devices.step_queue import StepQueue

if TYPE_CHECKING:
    from roomctl.runtime.lights import LightOutput


@dataclass
class Track:
    """One light: the wall-time fade it plays and the steps not yet sent."""

    adapter: LightAdapter
    min_interval_s: float
    fade: LightFade | None = None
    observed: LightLevel | None = None
    steps: StepQueue = field(default_factory=StepQueue)
    transition_ends: float = 0.0
    # The level last commanded (queued or sent) and when it went out on the network.
    sent: LightLevel | None = None
    sent_at: float = -math.inf
    # When the light last came back (availability online, a rejoin).
    returned_at: float = -math.inf
    # While a change made at the light is kept: the fade it displaced (its hold is `fade`).
    manual_over: LightFade | None = None
    # Whether the light has ever reported, and when its answer to a command is overdue.
    answers: bool = False
    answer_due: float | None = None
    # The last report that came while a command was in flight, to judge once it is not.
    unjudged: LightLevel | None = None

    def moving(self, now: float) -> bool:
        """Tell whether the light is mid-fade: steps pending or a native transition running."""
        return bool(self.steps) or self.transition_ends > now


class LevelsAt(Mapping[str, LightLevel | None]):
    """The lights' levels at one instant, read once and only if asked for (see levels_at)."""

    def __init__(self, lights: LightOutput, now: float) -> None:
        self._lights, self._now = lights, now
        self._levels: dict[str, LightLevel | None] | None = None

    def _read(self) -> dict[str, LightLevel | None]:
        if self._levels is None:
            self._levels = self._lights.current(self._now)
        return self._levels

    def __getitem__(self, name: str) -> LightLevel | None:
        return self._read()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def arrived(track: Track, fade: LightFade, now: float) -> bool:
    """Tell whether `fade` holds a light at the level its last fade (or hold) has left it at.

    Sending that level again would cost the network a command at the end of every fade,
    and after every extend or skip that leaves a light where it is.
    """
    last = track.fade
    return (
        last is not None
        and not track.steps
        and (now >= last.end or last.source == last.target)
        and fade.source == fade.target == last.target
    )


def looks_same(shown: LightLevel | None, level: LightLevel, caps: Capabilities) -> bool:
    """Tell whether a light showing `shown` already shows `level`, to a just-noticeable step.

    Colour is compared only where both are told the same way (mireds or RGB): a light may
    report as RGB the white it was sent as a colour temperature.
    """
    if shown is None or shown.on != level.on:
        return False
    if not level.on:
        return True
    gaps = [abs(shown.brightness - level.brightness)]
    if shown.mireds is not None and level.mireds is not None:
        span = caps.mireds_range[1] - caps.mireds_range[0]
        gaps.append(abs(shown.mireds - level.mireds) / span)
    if shown.color is not None and level.color is not None:
        gaps += [abs(a - b) / COLOR_FULL for a, b in zip(shown.color, level.color, strict=True)]
    return max(gaps) <= JUST_NOTICEABLE
