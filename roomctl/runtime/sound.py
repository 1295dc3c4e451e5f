"""Drive a room's speakers: hand the sound's fades to each audio engine once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from roomctl.easing import Easing
from roomctl.levels import SILENCE, SoundFade, SoundMix

_LOGGER = logging.getLogger(__name__)


class SoundSink(Protocol):
    """What the room needs of an audio engine."""

    def apply(self, mix: SoundMix, transition_s: float, easing: Easing) -> None:
        """Go from what plays now to `mix` over `transition_s` seconds."""

    def hold(self) -> None:
        """Freeze every voice at its current gain."""

    def silence(self) -> None:
        """Silence at once, with a ramp of a few milliseconds."""


class SoundOutput:
    """The room's speakers, driven by wall-time sound fades."""

    def __init__(self, sinks: Mapping[str, SoundSink]) -> None:
        self._sinks = dict(sinks)
        self._fade = SoundFade(0.0, 0.0, SILENCE, SILENCE)

    def play(self, fade: SoundFade, now: float) -> None:
        """Play a wall-time fade from `now` on, unless it is the one already playing."""
        if fade == self._fade:
            return
        self._fade = fade
        if now < fade.end:
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
        for sink in self._sinks.values():
            sink.hold()

    def silence(self, now: float) -> None:
        """Stop all sound at once."""
        self._fade = SoundFade(now, now, SILENCE, SILENCE)
        for sink in self._sinks.values():
            sink.silence()

    def reapply(self, name: str, now: float) -> None:
        """Give a speaker that came back the mix it should play now."""
        sink = self._sinks.get(name)
        if sink is not None:
            sink.apply(self._fade.at(now), 0.0, "linear")

    def _send(self, mix: SoundMix, transition_s: float, easing: Easing) -> None:
        for name, sink in self._sinks.items():
            try:
                sink.apply(mix, transition_s, easing)
            except Exception:
                _LOGGER.exception("speaker %s refused a sound change", name)
