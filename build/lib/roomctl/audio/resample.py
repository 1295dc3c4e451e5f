"""Resample audio between sample rates with a polyphase windowed-sinc filter (numpy only)."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

# Zero crossings of the sinc kernel on each side: 16 gives a stopband below -80 dB with the
# Kaiser window below, far past what an ambient sound in a quiet room can reveal.
ZERO_CROSSINGS = 16
# Kaiser window shape: beta 8.6 trades a slightly wider transition band for ~-90 dB sidelobes.
KAISER_BETA = 8.6
# Pass band edge as a share of the lower Nyquist frequency: 0.94 keeps 20.7 kHz at 44.1 kHz.
PASSBAND = 0.94
# Rate ratios are made exact fractions; above this many filter phases the ratio is rounded
# (a pitch error below 0.03 %, inaudible) so the filter bank stays small.
MAX_PHASES = 4096
# Output frames computed per step, bounding the temporary (frames x taps x channels) array.
CHUNK_FRAMES = 16384


@lru_cache(maxsize=8)
def _filter_bank(up: int, down: int) -> tuple[npt.NDArray[np.float64], int]:
    """Return the (phases x taps) filter bank and the half-width in input samples."""
    cutoff = PASSBAND * min(1.0, up / down)
    half = math.ceil(ZERO_CROSSINGS / cutoff)
    taps = np.arange(-half + 1, half + 1, dtype=np.float64)
    offsets = (np.arange(up, dtype=np.float64) / up)[:, None] - taps[None, :]
    inside = np.clip(1.0 - (offsets / half) ** 2, 0.0, None)
    window = np.i0(KAISER_BETA * np.sqrt(inside)) / np.i0(KAISER_BETA)
    bank = cutoff * np.sinc(cutoff * offsets) * window
    bank /= bank.sum(axis=1, keepdims=True)
    return bank, half


def resample(samples: FloatArray, rate_in: int, rate_out: int, *, loop: bool) -> FloatArray:
    """Return samples (frames x channels) converted from rate_in to rate_out.

    With loop=True the signal is treated as circular, so the result loops without a seam;
    otherwise it is padded with silence at both ends.
    """
    if rate_in == rate_out or len(samples) == 0:
        return samples
    ratio = Fraction(rate_out, rate_in).limit_denominator(MAX_PHASES)
    up, down = ratio.numerator, ratio.denominator
    bank, half = _filter_bank(up, down)
    frames = len(samples)
    if loop:
        out_frames = max(1, round(frames * up / down))
        padded = np.pad(samples, ((half, half), (0, 0)), mode="wrap")
    else:
        out_frames = math.ceil(frames * up / down)
        padded = np.pad(samples, ((half, half + 1), (0, 0)))
    taps = np.arange(-half + 1, half + 1)
    out = np.empty((out_frames, samples.shape[1]), dtype=np.float32)
    for first in range(0, out_frames, CHUNK_FRAMES):
        positions = np.arange(first, min(first + CHUNK_FRAMES, out_frames), dtype=np.int64) * down
        index, phase = np.divmod(positions, up)
        if loop:
            index %= frames
        window = padded[index[:, None] + taps[None, :] + half]
        weights = bank[phase].astype(np.float32)
        out[first : first + len(positions)] = np.einsum("nk,nkc->nc", weights, window)
    return out
