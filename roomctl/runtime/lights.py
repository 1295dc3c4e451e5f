"""Drive a room's lights: plan each fade into device steps and send them on time."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping

from roomctl.api.messages import Message
from roomctl.core.levels import LightFade, LightLevel
from roomctl.devices.base import LightAdapter, Network
from roomctl.devices.fade_plan import LightStep, plan_fade
from roomctl.devices.plan_cache import PLANS
from roomctl.devices.rate_limit import RateLimiter
from roomctl.devices.step_queue import StepQueue
from roomctl.runtime.light_track import LevelsAt, Track, arrived, looks_same
from roomctl.runtime.reconcile import ECHO_GRACE_S, LightMemory, Verdict, judge, within_limits

_LOGGER = logging.getLogger(__name__)

# A light without availability that has answered commands before and says nothing this
# long after one is taken to be offline. A JSON-schema light publishes its state within
# a fraction of a second of a command; 5 s allows a loaded Wi-Fi and broker.
ANSWER_TIMEOUT_S = 5.0


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
        self._limiters: dict[Network, RateLimiter] = {}
        self._tracks: dict[str, Track] = {}
        for name, adapter in adapters.items():
            caps = adapter.capabilities
            # A bucket is a type's shared network or a light's own; `rates` names the type.
            rate = rates.get(caps.network.device_type, caps.default_rate_hz)
            self._limiters.setdefault(caps.network, RateLimiter(rate))
            # Lights sharing a network share its rate, so each plans at its fair share.
            self._tracks[name] = Track(adapter, on_network[caps.network] / rate)
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
            if track.manual_over is not None:
                if fade.target == track.manual_over.target:
                    continue  # still the phase (or scene) during which it was set by hand
                track.manual_over = None
            if arrived(track, fade, now):
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
            self._urgent(name, track, level, now)

    def jump(self, levels: Mapping[str, LightLevel], now: float) -> None:
        """Send every light to a level at once, ahead of anything queued (emergency)."""
        for name, level in levels.items():
            track = self._tracks.get(name)
            if track is None:
                continue
            track.fade = LightFade(now, now, level, level)
            track.manual_over = None
            track.steps.clear()
            track.transition_ends = now
            self._urgent(name, track, level, now)

    def reapply(self, name: str, now: float) -> None:
        """Give one light the level (and remaining fade) it should have now."""
        track = self._tracks.get(name)
        if track is not None and track.fade is not None:
            self._plan(name, track, now, shown=None)

    def reapply_all(self, now: float) -> None:
        """Give every light the level it should have now (after a reconnect)."""
        for name in self._tracks:
            self.reapply(name, now)

    def reconcile(
        self, name: str, report: LightLevel, now: float, *, in_session: bool, fresh: bool = True
    ) -> tuple[Verdict, LightLevel | None]:
        """Act on a light's report; return what it meant and the level the light now keeps.

        A power cycle gets the level (and remaining fade) the light should have again; a
        change made by hand is kept, raised to the room's floor in a session, until the
        room asks for a different level (the next phase or scene). `fresh` is False for a
        report judged again (see `unjudged`): it is no new answer from the light.
        """
        track = self._tracks.get(name)
        if track is None:
            return Verdict.AS_SET, None
        if fresh:
            track.observed = report
            track.answers, track.answer_due = True, None
        memory = LightMemory(
            sent=track.sent,
            sent_at=track.sent_at,
            pending=name in self._limiter(track).pending,
            returned_at=track.returned_at,
            moving=track.moving(now),
        )
        verdict = judge(report, memory, now, track.adapter.capabilities, in_session=in_session)
        track.unjudged = report if verdict is Verdict.ECHO else None
        if verdict is Verdict.POWER_CYCLE and track.fade is not None:
            self._plan(name, track, now, shown=report)
            return verdict, track.fade.at(now)
        if verdict is not Verdict.MANUAL:
            return verdict, None
        kept = within_limits(report, self._floor) if in_session else report
        if track.manual_over is None:
            track.manual_over = track.fade
        track.fade = LightFade(now, now, kept, kept)
        track.steps.clear()
        track.transition_ends = now
        if kept != report:
            self._offer(name, track, LightStep(now, kept, 0.0), now)
        else:
            track.sent = kept
        return verdict, kept

    def came_back(self, name: str, now: float) -> None:
        """Note that a light came back: its next reports show how it booted."""
        track = self._tracks.get(name)
        if track is not None:
            track.returned_at = now

    def manual(self, name: str) -> LightLevel | None:
        """Return the level a light keeps because it was set by hand, or None."""
        track = self._tracks.get(name)
        if track is None or track.manual_over is None or track.fade is None:
            return None
        return track.fade.target

    def has_availability(self, name: str) -> bool:
        """Tell whether a light says itself when it is online (availability, LWT, status)."""
        track = self._tracks.get(name)
        return track is not None and track.adapter.has_availability

    def unjudged(self, now: float) -> list[tuple[str, LightLevel]]:
        """Return (and forget) reports that came with a command in flight, now it is not.

        A light that lost power just after a command says so in a report taken for an
        echo; judged again once the command has settled, it is not missed.
        """
        out: list[tuple[str, LightLevel]] = []
        for name, track in self._tracks.items():
            report = track.unjudged
            if report is not None and self._judgeable(name, track, now):
                track.unjudged = None
                out.append((name, report))
        return out

    def upkeep_due(self, now: float) -> bool:
        """Tell whether `silent` or `unjudged` would return anything now (without taking it)."""
        for name, track in self._tracks.items():
            if track.answer_due is not None and track.answer_due <= now:
                return True
            if track.unjudged is not None and self._judgeable(name, track, now):
                return True
        return False

    def _judgeable(self, name: str, track: Track, now: float) -> bool:
        """Tell whether a report can be judged: its light's last command has settled."""
        pending = name in self._limiter(track).pending
        return not pending and now >= track.sent_at + ECHO_GRACE_S

    def silent(self, now: float) -> list[str]:
        """Return the lights without availability that stopped answering commands."""
        out: list[str] = []
        for name, track in self._tracks.items():
            if track.answer_due is not None and track.answer_due <= now:
                track.answer_due = None
                out.append(name)
        return out

    def current(self, now: float) -> dict[str, LightLevel | None]:
        """Return where each light is now: as roomctl set it, else as it reported, else None."""
        return {
            name: (track.fade.at(now) if track.fade is not None else track.observed)
            for name, track in self._tracks.items()
        }

    def levels_at(self, now: float) -> Mapping[str, LightLevel | None]:
        """Return `current(now)` as a mapping read only if (and when) it is first looked at."""
        return LevelsAt(self, now)

    def flush(self, now: float) -> None:
        """Queue the steps that are due and send what each network's rate allows."""
        for name, track in self._tracks.items():
            due = track.steps.pop_due(now)
            if due is not None:
                self._offer(name, track, due, now)
        for limiter in self._limiters.values():
            for name, messages in limiter.take_commands(now):
                self._sent(name, now)
                for message in messages:
                    self._send(message)

    def next_due(self) -> float | None:
        """Return the wall time of the next step or rate-limited send, or None."""
        times = [track.steps.next_at() for track in self._tracks.values() if track.steps]
        times += [
            t for limiter in self._limiters.values() if (t := limiter.next_time()) is not None
        ]
        times += [t.answer_due for t in self._tracks.values() if t.answer_due is not None]
        # A report left to judge waits for its light's queued command (the limiter's time).
        times += [
            t.sent_at + ECHO_GRACE_S
            for name, t in self._tracks.items()
            if t.unjudged and name not in self._limiter(t).pending
        ]
        return min(times) if times else None

    def _plan(self, name: str, track: Track, now: float, shown: LightLevel | None) -> None:
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
        if fade.start < now < fade.end and not looks_same(shown, here, caps):
            gap = max(track.min_interval_s, caps.transition_step_s)
            rest = plan_fade(
                fade,
                now + gap,
                caps,
                track.min_interval_s,
                current=here,
                floor_brightness=self._floor,
            )
            track.steps = StepQueue((LightStep(now, here, 0.0), *rest))
            return
        track.steps = PLANS.queue(fade, now, caps, track.min_interval_s, self._floor)

    def _urgent(self, name: str, track: Track, level: LightLevel, now: float) -> None:
        track.sent = level
        self._sent(name, now)
        for message in self._limiter(track).urgent(name, track.adapter.command(level, 0.0)):
            self._send(message)

    def _sent(self, name: str, now: float) -> None:
        """Note that a light's command went out: its answer is due (if it answers)."""
        track = self._tracks[name]
        track.sent_at = now
        track.unjudged = None  # a new command makes what the light said before stale
        if track.answers and not track.adapter.has_availability and track.answer_due is None:
            track.answer_due = now + ANSWER_TIMEOUT_S

    def _offer(self, name: str, track: Track, step: LightStep, now: float) -> None:
        track.sent = step.level
        track.transition_ends = step.at + step.transition_s
        messages = track.adapter.command(step.level, step.transition_s)
        self._limiter(track).offer(name, messages, now)

    def _limiter(self, track: Track) -> RateLimiter:
        return self._limiters[track.adapter.capabilities.network]
