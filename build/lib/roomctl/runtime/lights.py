"""Drive a room's lights: plan each fade into device steps and send them on time."""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from roomctl.devices.base import Capabilities, LightAdapter
from roomctl.devices.fade_plan import JUST_NOTICEABLE, LightStep, plan_fade
from roomctl.devices.rate_limit import RateLimiter
from roomctl.levels import LightFade, LightLevel
from roomctl.messages import Message

_LOGGER = logging.getLogger(__name__)

# Full scale of an RGB channel, to measure a colour difference against JUST_NOTICEABLE.
COLOR_FULL = 255.0


@dataclass
class _Track:
    """One light: the wall-time fade it plays and the steps not yet sent."""

    adapter: LightAdapter
    min_interval_s: float
    fade: LightFade | None = None
    observed: LightLevel | None = None
    steps: deque[LightStep] = field(default_factory=deque)
    transition_ends: float = 0.0

    def moving(self, now: float) -> bool:
        """Tell whether the light is mid-fade: steps pending or a native transition running."""
        return bool(self.steps) or self.transition_ends > now


class LightOutput:
    """The room's lights, each playing a wall-time fade through its adapter."""

    def __init__(
        self,
        adapters: Mapping[str, LightAdapter],
        rates: Mapping[str, float],
        send: Callable[[Message], None],
        min_brightness: float = 0.0,
    ) -> None:
        on_network = Counter(a.capabilities.network for a in adapters.values())
        self._limiters: dict[str, RateLimiter] = {}
        self._tracks: dict[str, _Track] = {}
        for name, adapter in adapters.items():
            caps = adapter.capabilities
            # A bucket is "zigbee2mqtt" (shared) or "tasmota:<topic>" (a light's own Wi-Fi);
            # a room's `rates` names the device type.
            rate = rates.get(caps.network.split(":")[0], caps.default_rate_hz)
            self._limiters.setdefault(caps.network, RateLimiter(rate))
            # Lights sharing a network share its rate, so each plans at its fair share.
            self._tracks[name] = _Track(adapter, on_network[caps.network] / rate)
        self._send = send
        # The room's limits.min_brightness: a fade to or from off passes no lower.
        self._floor = min_brightness

    @property
    def names(self) -> tuple[str, ...]:
        """Return the names of the lights."""
        return tuple(self._tracks)

    def play(self, fades: Mapping[str, LightFade], now: float) -> None:
        """Play each light's fade from now on; a fade already playing is left alone."""
        for name, fade in fades.items():
            track = self._tracks.get(name)
            if track is None or track.fade == fade:
                continue
            if _arrived(track, fade, now):
                track.fade = fade  # a hold where the last fade has brought the light
                continue
            shown = track.fade.at(now) if track.fade is not None else track.observed
            track.fade = fade
            # A light whose level is unknown is taken to be where the fade is.
            self._plan(name, track, now, shown if shown is not None else fade.at(now))

    def freeze(self, now: float) -> None:
        """Stop every light that is mid-fade at its current level, and send nothing more."""
        for name, track in self._tracks.items():
            if track.fade is None or not track.moving(now):
                continue
            level = track.fade.at(now)
            track.fade = LightFade(now, now, level, level)
            track.steps.clear()
            track.transition_ends = now
            # A freeze overtakes the queue: waiting for the network's rate would let the
            # light run on past the pause.
            for message in self._limiter(track).urgent(name, track.adapter.command(level, 0.0)):
                self._send(message)

    def jump(self, levels: Mapping[str, LightLevel], now: float) -> None:
        """Send every light to a level at once, ahead of anything queued (emergency)."""
        for name, level in levels.items():
            track = self._tracks.get(name)
            if track is None:
                continue
            track.fade = LightFade(now, now, level, level)
            track.steps.clear()
            track.transition_ends = now
            for message in self._limiter(track).urgent(name, track.adapter.command(level, 0.0)):
                self._send(message)

    def reapply(self, name: str, now: float) -> None:
        """Give one light the level (and remaining fade) it should have now."""
        track = self._tracks.get(name)
        if track is not None and track.fade is not None:
            self._plan(name, track, now, shown=None)

    def reapply_all(self, now: float) -> None:
        """Give every light the level it should have now (after a reconnect)."""
        for name in self._tracks:
            self.reapply(name, now)

    def observe(self, name: str, level: LightLevel) -> None:
        """Note the level a light reported, for lights roomctl has not set yet."""
        track = self._tracks.get(name)
        if track is not None:
            track.observed = level

    def current(self, now: float) -> dict[str, LightLevel | None]:
        """Return where each light is now: as roomctl set it, else as it reported, else None."""
        return {
            name: (track.fade.at(now) if track.fade is not None else track.observed)
            for name, track in self._tracks.items()
        }

    def flush(self, now: float) -> None:
        """Queue the steps that are due and send what each network's rate allows."""
        for name, track in self._tracks.items():
            due: LightStep | None = None
            while track.steps and track.steps[0].at <= now:
                due = track.steps.popleft()
            if due is not None:
                self._offer(name, track, due, now)
        for limiter in self._limiters.values():
            for message in limiter.take(now):
                self._send(message)

    def next_due(self) -> float | None:
        """Return the wall time of the next step or rate-limited send, or None."""
        times = [track.steps[0].at for track in self._tracks.values() if track.steps]
        times += [
            t for limiter in self._limiters.values() if (t := limiter.next_time()) is not None
        ]
        return min(times) if times else None

    def _plan(self, name: str, track: _Track, now: float, shown: LightLevel | None) -> None:
        """Plan a light's fade from now; `shown` is where the light is, None if unknown.

        A light joining a fade part-way (a session loaded to a time, a light that came
        back) that is not where the fade is now is first put there, and carries on one
        step later; else it would run the rest of the fade from wherever it happens to
        be, and a pause would then make it jump.
        """
        fade = track.fade
        assert fade is not None
        caps = track.adapter.capabilities
        here = fade.at(now)
        if fade.start < now < fade.end and not _looks_same(shown, here, caps):
            gap = max(track.min_interval_s, caps.transition_step_s)
            rest = plan_fade(
                fade,
                now + gap,
                caps,
                track.min_interval_s,
                current=here,
                floor_brightness=self._floor,
            )
            track.steps = deque([LightStep(now, here, 0.0), *rest])
            return
        track.steps = deque(
            plan_fade(fade, now, caps, track.min_interval_s, floor_brightness=self._floor)
        )

    def _offer(self, name: str, track: _Track, step: LightStep, now: float) -> None:
        track.transition_ends = step.at + step.transition_s
        messages = track.adapter.command(step.level, step.transition_s)
        self._limiter(track).offer(name, messages, now)

    def _limiter(self, track: _Track) -> RateLimiter:
        return self._limiters[track.adapter.capabilities.network]


def _arrived(track: _Track, fade: LightFade, now: float) -> bool:
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


def _looks_same(shown: LightLevel | None, level: LightLevel, caps: Capabilities) -> bool:
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
