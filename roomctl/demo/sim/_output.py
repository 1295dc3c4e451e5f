"""A light's output over time: a straight path from where it was to where it was sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from roomctl.core.levels import OFF, LightFade, LightLevel


@dataclass
class SimOutput:
    """What a simulated light shows at any instant, given an explicit clock.

    A command starts a linear path from the level the light shows at that instant (not
    from the last target), which is how a real light behaves when a new command arrives
    in the middle of its own transition.
    """

    path: LightFade = field(default_factory=lambda: LightFade(0.0, 0.0, OFF, OFF))

    @property
    def target(self) -> LightLevel:
        """Return the level the light is heading for (or at, once the path is over)."""
        return self.path.target

    def at(self, now: float) -> LightLevel:
        """Return the level the light shows at time `now`."""
        return self.path.at(now)

    def fading(self, now: float) -> bool:
        """Return whether a transition is still running at time `now`."""
        return now < self.path.end

    def go(self, target: LightLevel, duration: float, now: float) -> None:
        """Start moving from the level shown at `now` to `target` over `duration` seconds."""
        source = self.at(now)
        self.path = LightFade(now, now + max(0.0, duration), source, target)

    def freeze(self, now: float) -> LightLevel:
        """Stop any transition where it is at `now` and return that level."""
        here = self.at(now)
        self.path = LightFade(now, now, here, here)
        return here
