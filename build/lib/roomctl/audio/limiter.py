"""A soft peak limiter: transparent below its knee, never above full scale."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

# Peaks up to this level pass untouched; above it they are bent smoothly towards the
# ceiling. 0.95 (-0.45 dBFS) leaves every capped or summed level a room uses unchanged;
# only a full-scale sine is touched (it comes out at 0.988, -0.1 dB).
LIMIT_KNEE = 0.95
# The output never exceeds this.
LIMIT_CEILING = 1.0
# After a peak the gain recovers with this time constant: 150 ms is slow enough not to
# modulate a low tone's waveform, fast enough not to be heard as pumping.
LIMIT_RELEASE_S = 0.15
# Frames per step of the envelope scan (bounds the exponent of the running decay).
_SCAN_FRAMES = 4096


class SoftLimiter:
    """Limit a stream of blocks: instant attack, exponential release, soft knee."""

    def __init__(self, rate: int) -> None:
        self._decay = math.exp(-1.0 / (LIMIT_RELEASE_S * rate))
        self._envelope = 0.0

    def process(self, block: FloatArray) -> FloatArray:
        """Return the block (frames, channels) with every peak below LIMIT_CEILING."""
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
        if envelope.max() <= LIMIT_KNEE:
            return block
        span = LIMIT_CEILING - LIMIT_KNEE
        over = np.maximum(envelope - LIMIT_KNEE, 0.0)
        bent = LIMIT_KNEE + span * np.tanh(over / span)
        gain = np.where(envelope > LIMIT_KNEE, bent / np.maximum(envelope, LIMIT_KNEE), 1.0)
        limited = block * gain.astype(np.float32)[:, None]
        # |block| <= envelope, so |limited| <= bent < ceiling already; the clip only guards
        # against float32 rounding at the very top.
        result: FloatArray = np.clip(limited, -LIMIT_CEILING, LIMIT_CEILING)
        return result
