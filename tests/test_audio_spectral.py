"""The four-step real inverse FFT gives numpy's one-step result, for the tables' lengths too."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from roomctl.audio import spectral
from roomctl.audio.generators import NOISE_TABLE_FRAMES, SECOND_TABLE_FRAMES

# float32 transforms of a million points agree with a float64 one to a few parts in 10^7.
TOLERANCE = 1e-6


def hermitian_half(frames: int, seed: int) -> np.ndarray:
    """Return bins 0..frames // 2 of a random Hermitian spectrum (real DC and Nyquist)."""
    rng = np.random.default_rng(seed)
    half = rng.standard_normal(frames // 2 + 1) + 1j * rng.standard_normal(frames // 2 + 1)
    half[0] = half[0].real
    if frames % 2 == 0:
        half[-1] = half[-1].real
    return half


@pytest.mark.parametrize(
    "frames", [35, 120, 121, 1023, 1024, 7 * 1025, NOISE_TABLE_FRAMES, SECOND_TABLE_FRAMES]
)
def test_inverse_real_matches_numpys_irfft(frames: int) -> None:
    half = hermitian_half(frames, seed=frames)
    full = np.concatenate([half, np.conj(half[1 : (frames + 1) // 2][::-1])])
    rows, cols = spectral.split(frames)
    assert rows * cols == frames and rows <= cols
    grid = full.astype(np.complex64).reshape(rows, cols)
    asked: list[tuple[int, int]] = []

    def columns(first: int, stop: int) -> spectral.ComplexArray:
        asked.append((first, stop))
        return grid[:, first:stop]

    got = spectral.inverse_real(frames, columns)
    want = np.fft.irfft(half, n=frames)
    assert got.dtype == np.float32
    assert np.abs(got - want).max() <= TOLERANCE * np.abs(want).max()
    # Only the columns up to cols // 2 are asked for, each once.
    assert asked[0][0] == 0 and asked[-1][1] == cols // 2 + 1
    assert all(a[1] == b[0] for a, b in itertools.pairwise(asked))


def test_the_tables_split_into_short_transforms() -> None:
    assert spectral.split(NOISE_TABLE_FRAMES) == (1024, 1024)
    assert spectral.split(SECOND_TABLE_FRAMES) == (1023, 1025)
