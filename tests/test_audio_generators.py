"""Unit tests of the noise tables: level, loop seam, spectrum, and the memory building takes."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import numpy.typing as npt
import pytest

from roomctl.audio import generators

RATE = 44_100  # what the engine runs at on the test's PulseAudio null sink
Floats = npt.NDArray[np.float64]
# Octave bands the slope is read over: 125 Hz to 8 kHz, above the 20 Hz roll-off and below
# where any colour's spectrum bends.
OCTAVES = [(125.0 * 2**k, 250.0 * 2**k) for k in range(6)]
# Power per octave band of each colour: white is flat per hertz (+3 dB per octave), pink
# falls 3 dB per octave per hertz (flat per octave), brown 6 dB per octave per hertz.
SLOPE_DB_PER_OCTAVE = {"white": 3.0, "pink": 0.0, "brown": -3.0}
# A whole table holds thousands of bins per octave band, so its band powers scatter by
# ~0.1 dB around the slope: 0.3 dB is tight enough to catch a wrong shape.
SLOPE_TOLERANCE_DB = 0.3
# Building the pair holds the first table while the second is built, with a working array
# of a table's size: 1.5 x the pair's bytes, plus blocks (1.8 x measured). One FFT of a
# table's length held 2.7 x (its spectrum, its output and numpy's FFT scratch).
BUILD_MEMORY_FACTOR = 2.0


def column(table: npt.NDArray[np.float32]) -> Floats:
    return table[:, 0].astype(np.float64)


def band_powers_db(samples: Floats) -> list[float]:
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / RATE)
    return [
        10.0 * math.log10(float(power[(freqs >= low) & (freqs < high)].sum()))
        for low, high in OCTAVES
    ]


@pytest.mark.parametrize("colour", generators.NOISE_COLOURS)
def test_noise_tables_are_float32_of_coprime_lengths_at_their_level(colour: str) -> None:
    first, second = generators.noise_tables(colour, RATE)
    assert first.dtype == second.dtype == np.dtype(np.float32)
    assert first.shape == (generators.NOISE_TABLE_FRAMES, 1)
    assert second.shape == (generators.SECOND_TABLE_FRAMES, 1)
    assert math.gcd(len(first), len(second)) == 1
    assert not first.flags.writeable and not second.flags.writeable
    for table in (first, second):
        samples = column(table)
        assert 20.0 * math.log10(float(np.sqrt(np.mean(samples**2)))) == pytest.approx(
            generators.NOISE_RMS_DB, abs=0.01
        )
        assert np.abs(samples).max() < 1.0


@pytest.mark.parametrize("colour", generators.NOISE_COLOURS)
def test_noise_tables_have_their_colour_over_the_whole_loop(colour: str) -> None:
    for table in generators.noise_tables(colour, RATE):
        steps = np.diff(band_powers_db(column(table)))
        assert np.all(np.abs(steps - SLOPE_DB_PER_OCTAVE[colour]) < SLOPE_TOLERANCE_DB), steps


@pytest.mark.parametrize("colour", generators.NOISE_COLOURS)
def test_noise_tables_join_at_the_seam_like_anywhere_else(colour: str) -> None:
    for table in generators.noise_tables(colour, RATE):
        samples = column(table)
        looped = np.concatenate([samples[-1000:], samples[:1000]])
        seam = abs(looped[1000] - looped[999])
        # The step across the seam is an ordinary one: no larger than 4 standard deviations
        # of the steps inside the table (a brown table cut short jumped by 8 and 36 here).
        assert seam < 4.0 * float(np.std(np.diff(samples)))


def test_the_two_tables_of_a_colour_are_uncorrelated() -> None:
    first, second = generators.noise_tables("pink", RATE)
    overlap = len(second)
    assert abs(np.corrcoef(column(first)[:overlap], column(second))[0, 1]) < 0.01


# A fresh interpreter loads numpy's FFT module, builds brown noise and says how
# far its peak resident memory rose over what it held before: everything counts, numpy's FFT
# scratch and mapped memory too.
MEASURE_BUILD = """
import numpy as np
from roomctl.audio import generators

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

np.fft.irfft(np.fft.ifft(np.ones(8, np.complex64)))
before = kib("VmRSS")
first, second = generators.noise_tables("brown", 44100)
print((kib("VmHWM") - before) * 1024, first.nbytes + second.nbytes)
"""


def test_building_the_tables_takes_little_more_memory_than_they_hold() -> None:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE_BUILD], capture_output=True, text=True, check=True
    )
    peak, tables = map(int, done.stdout.split())
    assert peak <= BUILD_MEMORY_FACTOR * tables, f"{peak / 2**20:.1f} MiB"
