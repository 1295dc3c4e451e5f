"""Unit tests of the resampler: pitch and level kept, images and aliases removed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from roomctl.audio import resample


def sine(rate: int, hz: float, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)[:, None]


@pytest.mark.parametrize(
    ("rate_in", "rate_out"),
    [(44_100, 48_000), (48_000, 44_100), (22_050, 48_000), (96_000, 48_000)],
)
def test_a_sine_keeps_pitch_phase_and_level(rate_in: int, rate_out: int) -> None:
    out = resample(sine(rate_in, 1000.0, 1.0), rate_in, rate_out, loop=True)
    assert len(out) == rate_out
    expected = sine(rate_out, 1000.0, 1.0)
    assert np.abs(out - expected).max() < 1e-3


def test_downsampling_removes_what_the_new_rate_cannot_carry() -> None:
    out = resample(sine(96_000, 30_000.0, 1.0), 96_000, 48_000, loop=True)
    assert 20 * math.log10(float(np.abs(out).max()) / 0.5) < -60.0


def test_unlooped_signals_are_padded_with_silence_not_wrapped() -> None:
    signal = np.zeros((44_100, 1), dtype=np.float32)
    signal[-1] = 1.0  # a click at the very end must not leak into the start
    out = resample(signal, 44_100, 48_000, loop=False)
    assert np.abs(out[:1000]).max() == 0.0
    assert np.abs(out[-100:]).max() > 0.1


def test_stereo_channels_stay_apart() -> None:
    left, right = sine(44_100, 500.0, 0.5), sine(44_100, 700.0, 0.5, amplitude=0.25)
    out = resample(np.concatenate([left, right], axis=1), 44_100, 48_000, loop=True)
    assert out.shape == (24_000, 2)
    assert np.abs(out[:, 0]).max() == pytest.approx(0.5, abs=1e-3)
    assert np.abs(out[:, 1]).max() == pytest.approx(0.25, abs=1e-3)


def test_same_rate_is_returned_unchanged() -> None:
    signal = sine(48_000, 440.0, 0.1)
    assert resample(signal, 48_000, 48_000, loop=False) is signal
