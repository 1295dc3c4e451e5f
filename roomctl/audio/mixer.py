"""The mixer: voices with per-sample gain ramps, equal-power crossfades, a cap and a limiter.

The cap holds twice: each voice's gain is capped at `max_gain`, and the summed output
goes through a limiter whose ceiling is `max_gain`, so no output sample exceeds it
whatever is mixed (correlated voices crossfading add in amplitude: two -12 dB tones a
hertz apart reach +2.8 dB over the cap halfway through an equal-power crossfade).

Pure numpy and no clock: the audio callback (or a test) tells it how many frames a ramp
lasts and asks for blocks. A retarget starts every ramp from the gain the voice has at
that very frame, so a new plan arriving mid-fade never makes a step. The shapes mirror
roomctl.core.levels.mix_between: a voice in both mixes moves linearly (in gain) along the
easing, a leaving voice follows cos, an arriving one sin, so uncorrelated sources keep
a constant power while they cross.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt

from roomctl.audio.limiter import LIMIT_CEILING, SoftLimiter
from roomctl.audio.sources import Source
from roomctl.core.easing import Easing, ease

FloatArray = npt.NDArray[np.float32]

# The easing curve is evaluated at least every this many frames and interpolated
# linearly in between: 32 frames (0.7 ms) bends the ramp far more often than an ear can
# follow, while keeping Python calls per block small.
CONTROL_FRAMES = 32


class Shape(Enum):
    """How a voice's gain travels during a ramp."""

    LINEAR = "linear"  # from its gain to the target gain, along the easing
    FADE_IN = "in"  # from silence to the target gain, sin of the eased fraction
    FADE_OUT = "out"  # from its gain to silence, cos of the eased fraction


@dataclass(frozen=True, slots=True)
class Target:
    """A voice a retarget asks for: a source name, its gain, and a fresh reader for it."""

    name: str
    gain: float
    source: Source


@dataclass(slots=True)
class _Voice:
    """A playing voice and its current ramp."""

    name: str
    source: Source
    start_gain: float
    end_gain: float
    shape: Shape
    ramp_start: int
    ramp_frames: int
    easing: Easing

    def gain_at(self, frame: int) -> float:
        """Return the gain at an absolute frame."""
        if self.ramp_frames <= 0 or frame >= self.ramp_start + self.ramp_frames:
            return self.final_gain()
        fraction = ease(self.easing, (frame - self.ramp_start) / self.ramp_frames)
        if self.shape is Shape.FADE_OUT:
            return self.start_gain * math.cos(fraction * math.pi / 2.0)
        if self.shape is Shape.FADE_IN:
            return self.end_gain * math.sin(fraction * math.pi / 2.0)
        return self.start_gain + (self.end_gain - self.start_gain) * fraction

    def final_gain(self) -> float:
        """Return the gain once the ramp is over."""
        return 0.0 if self.shape is Shape.FADE_OUT else self.end_gain

    def gains(self, first: int, frames: int) -> FloatArray | float:
        """Return the per-frame gains of a block, or one float when it is constant."""
        ramp_end = self.ramp_start + self.ramp_frames
        if first >= ramp_end:
            return self.final_gain()
        control = np.arange(first, first + frames + CONTROL_FRAMES, CONTROL_FRAMES)
        if first < ramp_end < first + frames:
            control = np.union1d(control, [ramp_end])
        values = [self.gain_at(int(frame)) for frame in control]
        gains: FloatArray = np.interp(np.arange(first, first + frames), control, values).astype(
            np.float32
        )
        return gains


class _Silent:
    """A source of nothing, for the master ramp."""

    channels = 1

    def read(self, frames: int) -> FloatArray:
        """Return silence."""
        return np.zeros((frames, 1), dtype=np.float32)


_SILENT = _Silent()


def _noop(_source: Source) -> None:
    """Drop a retired source."""


class Mixer:
    """Mix voices into blocks of (frames, channels) float32 that never exceed `max_gain`."""

    def __init__(
        self,
        rate: int,
        channels: int,
        max_gain: float = 1.0,
        retire: Callable[[Source], None] = _noop,
    ) -> None:
        self.rate = rate
        self.channels = channels
        self.max_gain = max_gain
        self.frame = 0
        self._voices: dict[str, _Voice] = {}
        self._retire = retire
        # The room's cap at the output's sample peak: the last thing the sum goes through.
        self._limiter = SoftLimiter(rate, min(max_gain, LIMIT_CEILING))
        self._master = _Voice("", _SILENT, 1.0, 1.0, Shape.LINEAR, 0, 0, "linear")

    def gains(self) -> dict[str, float]:
        """Return each playing voice's gain at the current frame (safe from other threads)."""
        frame = self.frame
        return {name: voice.gain_at(frame) for name, voice in list(self._voices.items())}

    def retarget(self, targets: Iterable[Target], frames: int, easing: Easing) -> None:
        """Ramp from what plays now to `targets` over `frames`, starting at this frame.

        A target already playing keeps its reader (and its place in the sound); the
        reader in its Target is only used for a voice that is not playing yet.
        """
        wanted = {target.name: target for target in targets}
        voices: dict[str, _Voice] = {}
        for name, voice in self._voices.items():
            gain = voice.gain_at(self.frame)
            if name in wanted:
                end = min(wanted.pop(name).gain, self.max_gain)
                shape = Shape.LINEAR if gain > 0.0 else Shape.FADE_IN
                voices[name] = _Voice(
                    name, voice.source, gain, end, shape, self.frame, frames, easing
                )
            else:
                voices[name] = _Voice(
                    name, voice.source, gain, 0.0, Shape.FADE_OUT, self.frame, frames, easing
                )
        for name, target in wanted.items():
            end = min(target.gain, self.max_gain)
            voices[name] = _Voice(
                name, target.source, 0.0, end, Shape.FADE_IN, self.frame, frames, easing
            )
        self._voices = voices

    def hold(self) -> None:
        """Freeze every voice at its current gain."""
        for voice in self._voices.values():
            gain = voice.gain_at(self.frame)
            voice.start_gain = voice.end_gain = gain
            voice.shape = Shape.LINEAR
            voice.ramp_start, voice.ramp_frames = self.frame, 0

    def fade_in_master(self, frames: int) -> None:
        """Ramp the whole output up from silence over `frames` (after the output returns)."""
        self._master = _Voice("", _SILENT, 0.0, 1.0, Shape.LINEAR, self.frame, frames, "linear")

    def render(self, frames: int) -> FloatArray:
        """Return the next block of the mix and advance the mixer's clock."""
        out = np.zeros((frames, self.channels), dtype=np.float32)
        for name, voice in list(self._voices.items()):
            gains = voice.gains(self.frame, frames)
            if isinstance(gains, float):
                if gains > 0.0:
                    out += voice.source.read(frames) * np.float32(gains)
                else:
                    del self._voices[name]
                    self._retire(voice.source)
            else:
                out += voice.source.read(frames) * gains[:, None]
        master = self._master.gains(self.frame, frames)
        if not isinstance(master, float):
            out *= master[:, None]
        self.frame += frames
        return self._limiter.process(out)
