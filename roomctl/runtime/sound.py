"""Drive a room's speakers: hand the sound's fades to each audio engine once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from roomctl.core.easing import Easing
from roomctl.core.levels import SILENCE, SoundFade, SoundMix

_LOGGER = logging.getLogger(__name__)

# A steady level joined mid-way is reached over this: long enough to make no click or
# jolt, short enough that a restarted room sounds as it did within a second.
REJOIN_RAMP_S = 0.5


class SoundSink(Protocol):
    """What the room needs of an audio engine."""

    def preload(self, mix: SoundMix) -> None:
        """Decode or generate a mix's sources now, so applying it is quick."""

    def apply(self, mix: SoundMix, transition_s: float, easing: Easing) -> None:
        """Go from what plays now to `mix` over `transition_s` seconds."""

    def hold(self) -> None:
        """Freeze every voice at its current gain."""

    def silence(self) -> None:
        """Silence at once, with a ramp of a few milliseconds."""


class SoundOutput:
    """The room's speakers, driven by wall-time sound fades.

    Opening a source can take most of a second (decoding a file, building a noise table),
    so changes go to the speakers from a thread of their own and the room never waits.
    A hold or a silence is quick and goes at once; a change still loading when one comes
    is dropped, so an emergency silence is never undone by a slow load finishing later.
    """

    def __init__(self, sinks: Mapping[str, SoundSink]) -> None:
        self._sinks = dict(sinks)
        self._fade = SoundFade(0.0, 0.0, SILENCE, SILENCE)
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sound")
        self._lock = threading.Lock()
        self._generation = 0

    def play(self, fade: SoundFade, now: float) -> None:
        """Play a wall-time fade from `now` on, unless it is the one already playing."""
        if fade == self._fade:
            return
        self._fade = fade
        if now < fade.end and now > fade.start and fade.source == fade.target:
            # A steady level joined mid-way (a recovery, a resume): the speakers go to it
            # now. Ramping to it over the rest of the phase left a restarted room silent.
            self._send(fade.target, REJOIN_RAMP_S, "linear")
        elif now < fade.end:
            # From the fade's start the easing holds; from mid-fade the rest is linear.
            easing: Easing = fade.easing if now <= fade.start else "linear"
            self._send(fade.target, fade.end - max(now, fade.start), easing)
        else:
            self._send(fade.target, 0.0, "linear")

    def current(self, now: float) -> SoundMix:
        """Return the mix the speakers play now."""
        return self._fade.at(now)

    def hold(self, now: float) -> None:
        """Freeze the sound where it is."""
        mix = self._fade.at(now)
        self._fade = SoundFade(now, now, mix, mix)
        with self._lock:
            self._generation += 1
            for sink in self._sinks.values():
                sink.hold()

    def silence(self, now: float) -> None:
        """Stop all sound at once."""
        self._fade = SoundFade(now, now, SILENCE, SILENCE)
        with self._lock:
            self._generation += 1
            for sink in self._sinks.values():
                sink.silence()

    def reapply(self, name: str, now: float) -> None:
        """Give a speaker that came back the mix it should play now."""
        sink = self._sinks.get(name)
        if sink is not None:
            self._submit({name: sink}, self._fade.at(now), 0.0, "linear")

    def preload(self, mix: SoundMix) -> None:
        """Load sources ahead of their phase, in the background."""
        for name, sink in self._sinks.items():
            self._loader.submit(_preload, name, sink, mix)

    def close(self) -> None:
        """Stop the loader thread."""
        self._loader.shutdown(wait=False, cancel_futures=True)

    def _send(self, mix: SoundMix, transition_s: float, easing: Easing) -> None:
        self._submit(self._sinks, mix, transition_s, easing)

    def _submit(
        self, sinks: Mapping[str, SoundSink], mix: SoundMix, transition_s: float, easing: Easing
    ) -> None:
        if not sinks:
            return
        ends = time.monotonic() + transition_s
        with self._lock:
            generation = self._generation

        def load_then_apply() -> None:
            for name, sink in sinks.items():
                _preload(name, sink, mix)
            with self._lock:
                if generation != self._generation:
                    return
                for name, sink in sinks.items():
                    try:
                        sink.apply(mix, max(0.0, ends - time.monotonic()), easing)
                    except Exception:
                        _LOGGER.exception("speaker %s refused a sound change", name)

        self._loader.submit(load_then_apply)


def _preload(name: str, sink: SoundSink, mix: SoundMix) -> None:
    try:
        sink.preload(mix)
    except Exception:
        _LOGGER.exception("speaker %s could not load %s", name, mix)
