"""Procedural sounds: noise colours, tones and two calm soundscapes, as loop tables.

Every generator's level is fixed so a profile's volume means the same thing on every
machine. At a gain of 1.0 (0 dB):

- `tone:<Hz>` is a full-scale sine: peak 1.0, RMS -3.0 dBFS.
- `noise:white|pink|brown` have an RMS of exactly -15 dBFS (NOISE_RMS_DB), so their
  Gaussian peaks stay below full scale (full scale is 5.6 standard deviations).
- `scape:surf|rain` have a long-term RMS of -20 dBFS (SCAPE_RMS_DB); the swell of a wave
  rises about 5 dB above that.

Noise is precomputed (spectrally shaped in the frequency domain, so each table loops
without a seam) and played as the sum of two tables whose lengths are coprime, so the
sum only repeats after weeks although each table lasts about 20 seconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from roomctl.audio import spectral
from roomctl.core.levels import db_to_gain

FloatArray = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]
# Gains at frequencies: float32 at run time (numpy keeps float32 with Python scalars), typed
# loosely because numpy's stubs widen a float32 divided by a float32 to float64.
Gains = npt.NDArray[np.floating[Any]]
# An amplitude spectrum: the gain at each frequency in Hz.
Shape = Callable[[FloatArray], Gains]

NOISE_RMS_DB = -15.0
NOISE_RMS = db_to_gain(NOISE_RMS_DB)
SCAPE_RMS_DB = -20.0
SCAPE_RMS = db_to_gain(SCAPE_RMS_DB)
NOISE_COLOURS = ("white", "pink", "brown")
SCAPES = ("surf", "rain")
# Tones below 20 Hz are inaudible rumble and above 20 kHz inaudible; refuse both.
TONE_MIN_HZ = 20.0
TONE_MAX_HZ = 20_000.0

# Noise table length in frames: 2**20 is ~22 s at 48 kHz, long enough that one table's
# repetition is masked by the other, small enough (4 MB) to build in ~0.1 s.
NOISE_TABLE_FRAMES = 2**20
# The second table is one frame shorter: 2**20 - 1 is coprime with 2**20, so the pair
# repeats only after hours, and it factors into small primes (3 x 5^2 x 11 x 31 x 41),
# so it splits into 1023 x 1025 for spectral.inverse_real's short FFTs.
SECOND_TABLE_FRAMES = NOISE_TABLE_FRAMES - 1
# Tables are measured this many samples at a time: 64 K float32 (256 KB) keeps the
# temporaries small next to the 4 MB table, in few enough numpy calls to stay quick.
BUILD_CHUNK = 2**16
# Coloured noise rolls off below this frequency: speakers cannot play it and it only
# wastes headroom.
NOISE_HIGHPASS_HZ = 20.0
# Envelopes of the soundscapes are computed at this control rate and interpolated.
ENVELOPE_RATE_HZ = 100.0
# A 32-bit random integer times this is uniform in [0, 1).
_UNIT = 2.0**-32


def _spectral_noise(frames: int, rate: int, seed: int | str, shape: Shape) -> FloatArray:
    """Return circular Gaussian noise with amplitude spectrum `shape(f)`, RMS NOISE_RMS.

    The spectrum is drawn a few columns at a time and transformed by spectral.inverse_real,
    so building holds the table and a working array of its size, never the whole spectrum
    next to an FFT of the table's length and its scratch.
    """
    draws = random.Random(seed)
    rows, cols = spectral.split(frames)
    hz_per_bin = rate / frames

    def columns(first: int, stop: int) -> spectral.ComplexArray:
        spectrum = _complex_normals(draws, (rows, stop - first))
        index = np.arange(rows)[:, None] * cols + np.arange(first, stop)
        for column, mirror in _self_mirrored(rows, cols, first, stop):
            _make_hermitian(spectrum[:, column], mirror)
        if first == 0:
            spectrum[0, 0] = 0.0  # no DC offset
        freqs = (np.minimum(index, frames - index) * hz_per_bin).astype(np.float32)
        spectrum *= shape(freqs)
        return spectrum

    noise = spectral.inverse_real(frames, columns)
    squares = sum(
        float(np.dot(part, part))
        for part in np.split(noise, range(BUILD_CHUNK, frames, BUILD_CHUNK))
    )
    noise *= np.float32(NOISE_RMS / math.sqrt(squares / frames))
    table: FloatArray = noise.reshape(frames, 1)
    return table


def _complex_normals(draws: random.Random, shape: tuple[int, int]) -> spectral.ComplexArray:
    """Return complex Gaussians whose real and imaginary parts are standard normals.

    Box-Muller: a Rayleigh magnitude and a uniform phase, from Python's Mersenne Twister;
    numpy.random would cost 3-6 MB resident to import for this one use.
    """
    count = shape[0] * shape[1]
    bits = np.frombuffer(draws.randbytes(8 * count), dtype=np.uint32).reshape(2, count)
    magnitude = np.sqrt(-2.0 * np.log((bits[0] + 0.5) * _UNIT))  # in (0, 1): log is finite
    phase = (2.0 * math.pi * _UNIT) * bits[1]
    normals: spectral.ComplexArray = (magnitude * np.exp(1j * phase)).astype(np.complex64)
    return normals.reshape(shape)


def _self_mirrored(
    rows: int, cols: int, first: int, stop: int
) -> list[tuple[int, npt.NDArray[np.intp]]]:
    """Return the columns in first..stop-1 whose bins mirror each other, with each row's mirror.

    Bin k's mirror, frames - k, lies in column cols - k % cols: the same column for column 0
    (row r with row -r) and, when cols is even, for column cols / 2 (row r with rows - 1 - r).
    """
    row = np.arange(rows)
    found = []
    if first == 0:
        found.append((0, (rows - row) % rows))
    if cols % 2 == 0 and first <= cols // 2 < stop:
        found.append((cols // 2 - first, rows - 1 - row))
    return found


def _make_hermitian(column: spectral.ComplexArray, mirror: npt.NDArray[np.intp]) -> None:
    """Make each bin of a column the conjugate of its mirror's, in place; a bin its own is real."""
    row = np.arange(len(column))
    later = row > mirror
    column[later] = np.conj(column[mirror[later]])
    own = row == mirror
    column[own] = column[own].real


def _highpass(freqs: FloatArray, corner: float) -> Gains:
    """Return a second-order high-pass magnitude response."""
    squared = freqs**2
    return squared / (squared + corner**2)


def _lowpass(freqs: FloatArray, corner: float) -> Gains:
    """Return a second-order low-pass magnitude response."""
    return corner**2 / (freqs**2 + corner**2)


def _colour_shape(colour: str) -> Shape:
    """Return the amplitude spectrum of a noise colour."""

    def white(f: FloatArray) -> Gains:
        return np.ones_like(f)

    def pink(f: FloatArray) -> Gains:
        return _highpass(f, NOISE_HIGHPASS_HZ) / np.sqrt(np.maximum(f, np.float32(1.0)))

    def brown(f: FloatArray) -> Gains:
        return _highpass(f, NOISE_HIGHPASS_HZ) / np.maximum(f, np.float32(1.0))

    return {"white": white, "pink": pink, "brown": brown}[colour]


@lru_cache(maxsize=6)
def noise_tables(colour: str, rate: int) -> tuple[FloatArray, FloatArray]:
    """Return two read-only noise tables of a colour, of coprime lengths, each at NOISE_RMS."""
    shape = _colour_shape(colour)
    # Any seeds do; each table has its own, so the two are uncorrelated.
    first = _spectral_noise(NOISE_TABLE_FRAMES, rate, f"noise:{colour} 1", shape)
    second = _spectral_noise(SECOND_TABLE_FRAMES, rate, f"noise:{colour} 2", shape)
    first.flags.writeable = False
    second.flags.writeable = False
    return first, second


def _wave_envelope(seconds: float, seed: int, rise: float) -> Float64Array:
    """Return a circular envelope of wave swells at ENVELOPE_RATE_HZ, mean square 1.

    Each wave rises over `rise` of its period with a raised cosine and falls back over
    the rest; periods vary between 8 and 13 s like a calm sea.
    """
    draws = random.Random(seed)
    points = round(seconds * ENVELOPE_RATE_HZ)
    envelope = np.zeros(points)
    start = 0.0
    while start < seconds:
        period = draws.uniform(8.0, 13.0)
        height = draws.uniform(0.6, 1.0)
        t = np.arange(points) / ENVELOPE_RATE_HZ
        phase = ((t - start) % seconds) / period
        up = phase < rise
        down = (phase >= rise) & (phase < 1.0)
        wave = np.where(up, 0.5 - 0.5 * np.cos(np.pi * phase / rise), 0.0)
        wave = np.where(down, 0.5 + 0.5 * np.cos(np.pi * (phase - rise) / (1.0 - rise)), wave)
        envelope = np.maximum(envelope, height * wave)
        start += period
    return envelope


def _normalise_envelope(envelope: Float64Array) -> FloatArray:
    """Return the envelope scaled to a mean square of 1, as float32."""
    scaled: FloatArray = (envelope / float(np.sqrt(np.mean(envelope**2)))).astype(np.float32)
    return scaled


@lru_cache(maxsize=2)
def surf_layers(rate: int) -> tuple[tuple[FloatArray, FloatArray, FloatArray, float], ...]:
    """Return surf's layers: (noise A, noise B, envelope, weight) for body and foam.

    The body is deep rumbling noise that swells with each wave; the foam is a brighter
    hiss that follows the crest. The envelopes last 113 s and 127 s, so the pattern of
    waves does not repeat for hours.
    """

    def body(f: FloatArray) -> Gains:
        return _highpass(f, 40.0) * _lowpass(f, 500.0) / np.sqrt(np.maximum(f, np.float32(1.0)))

    def foam(f: FloatArray) -> Gains:
        return _highpass(f, 600.0) * _lowpass(f, 6000.0) / np.sqrt(np.maximum(f, np.float32(1.0)))

    body_env = 0.35 + 0.65 * _wave_envelope(113.0, seed=10, rise=0.4)
    foam_env = _wave_envelope(127.0, seed=11, rise=0.3) ** 2
    return _layers(rate, ((body, body_env, 0.8, 20), (foam, foam_env, 0.6, 22)))


@lru_cache(maxsize=2)
def rain_layers(rate: int) -> tuple[tuple[FloatArray, FloatArray, FloatArray, float], ...]:
    """Return rain's layers: a steady broadband hiss and a softer, slowly drifting patter."""

    def hiss(f: FloatArray) -> Gains:
        return _highpass(f, 300.0) * _lowpass(f, 9000.0) / np.sqrt(np.maximum(f, np.float32(1.0)))

    def patter(f: FloatArray) -> Gains:
        return _highpass(f, 2000.0) * _lowpass(f, 7000.0)

    draws = random.Random(30)
    t = np.arange(round(149.0 * ENVELOPE_RATE_HZ)) / ENVELOPE_RATE_HZ
    # Slow drift of the patter: whole cycles per 149 s loop so it joins without a step.
    cycles = np.array([3.0, 5.0, 8.0])[:, None]
    phases = np.array([[draws.uniform(0.0, 2 * math.pi)] for _ in range(3)])
    drift = 1.0 + 0.25 * np.sin(2 * np.pi * cycles * t / 149.0 + phases).sum(axis=0)
    steady = np.ones(round(131.0 * ENVELOPE_RATE_HZ))
    return _layers(rate, ((hiss, steady, 0.85, 30), (patter, drift, 0.5, 32)))


def _layers(
    rate: int,
    specs: tuple[tuple[Shape, Float64Array, float, int], ...],
) -> tuple[tuple[FloatArray, FloatArray, FloatArray, float], ...]:
    """Build layer tables and scale the weights so the sum has RMS SCAPE_RMS."""
    total = math.sqrt(sum(weight**2 for _, _, weight, _ in specs))
    layers = []
    for shape, envelope, weight, seed in specs:
        first = _spectral_noise(NOISE_TABLE_FRAMES, rate, seed, shape)
        second = _spectral_noise(SECOND_TABLE_FRAMES, rate, seed + 1, shape)
        env = _normalise_envelope(envelope)
        for table in (first, second, env):
            table.flags.writeable = False
        layers.append((first, second, env, weight / total * SCAPE_RMS / NOISE_RMS))
    return tuple(layers)
