"""A soft peak limiter: transparent below its knee, never above its ceiling (the room's cap)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

# Peaks up to this share of the ceiling pass untouched; above it they are bent smoothly
# towards the ceiling. 0.95 (-0.45 dB) leaves a voice under the cap unchanged; a sine at
# the cap itself comes out at 0.988 of it (-0.1 dB), and only sums above it are bent more.
LIMIT_KNEE = 0.95
# The ceiling when none is given: full scale.
LIMIT_CEILING = 1.0
# After a peak the gain recovers with this time constant: 150 ms is slow enough not to
# modulate a low tone's waveform, fast enough not to be heard as pumping.
LIMIT_RELEASE_S = 0.15
# Frames per step of the envelope scan (bounds the exponent of the running decay).
_SCAN_FRAMES = 4096


class SoftLimiter:
    """Limit a stream of blocks: instant attack, exponential release, soft knee.

    The gain follows an envelope that is at or above every sample's magnitude at once
    (instant attack), so no sample passes above the ceiling, whatever was summed; it
    recovers smoothly (release), so the gain never steps and makes no click.
    """

    def __init__(self, rate: int, ceiling: float = LIMIT_CEILING) -> None:
        self._decay = math.exp(-1.0 / (LIMIT_RELEASE_S * rate))
        self._envelope = 0.0
        # The largest float32 not above the ceiling: the final clip cannot round past it.
        top = np.float32(ceiling)
        self._ceiling = float(top if float(top) <= ceiling else np.nextafter(top, np.float32(0)))
        self._knee = LIMIT_KNEE * self._ceiling

    @property
    def ceiling(self) -> float:
        """Return the level no output sample exceeds."""
        return self._ceiling

    def process(self, block: FloatArray) -> FloatArray:
        """Return the block (frames, channels) with every sample within the ceiling."""
        if len(block) == 0:
            return block
        peaks = np.abs(block).max(axis=1).astype(np.float64)
        envelope = np.empty_like(peaks)
        for first in range(0, len(peaks), _SCAN_FRAMES):
            chunk = peaks[first : first + _SCAN_FRAMES]
            steps = np.arange(1, len(chunk) + 1, dtype=np.float64)
            decay = self._decay**steps
            # envelope[k] = max(previous * d^k, max_j<=k peak[j] * d^(k-j))
            running = np.maximum.accumulate(np.maximum(chunk / decay, self._envelope))
            envelope[first : first + len(chunk)] = running * decay
            self._envelope = float(envelope[first + len(chunk) - 1])
        knee, ceiling = self._knee, self._ceiling
        if envelope.max() <= knee:
            return block
        span = ceiling - knee
        over = np.maximum(envelope - knee, 0.0)
        bent = knee + span * np.tanh(over / span)
        gain = np.where(envelope > knee, bent / np.maximum(envelope, knee), 1.0)
        limited = block * gain.astype(np.float32)[:, None]
        # |block| <= envelope, so |limited| <= bent < ceiling already; the clip only guards
        # against float32 rounding at the very top.
        top = np.float32(ceiling)
        result: FloatArray = np.clip(limited, -top, top)
        return result
