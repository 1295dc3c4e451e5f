"""Unit tests of the sound sources: generator levels and spectra, tones, files, validation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from roomctl.audio import (
    Source,
    SourceError,
    TableReader,
    generators,
    is_generator,
    open_source,
    validate_source,
)

RATE = 48_000
Floats = npt.NDArray[np.float64]


def read(source: Source, seconds: float, block: int = 1024) -> Floats:
    frames = round(seconds * RATE)
    parts = [source.read(min(block, frames - done)) for done in range(0, frames, block)]
    return np.concatenate(parts).astype(np.float64)


def rms_db(samples: Floats) -> float:
    return 20.0 * math.log10(float(np.sqrt(np.mean(samples**2))))


def band_db(samples: Floats, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples[:, 0])) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / RATE)
    return 10.0 * math.log10(float(spectrum[(freqs >= low) & (freqs < high)].sum()))


@pytest.mark.parametrize("colour", generators.NOISE_COLOURS)
def test_noise_has_its_documented_rms_and_stays_below_full_scale(colour: str) -> None:
    samples = read(open_source(f"noise:{colour}", RATE, 2, None), 10.0)
    assert samples.shape == (10 * RATE, 1)
    assert rms_db(samples) == pytest.approx(generators.NOISE_RMS_DB, abs=0.3)
    assert np.abs(samples).max() < 1.0


@pytest.mark.parametrize(
    ("colour", "slope_db_per_octave"), [("white", 3.0), ("pink", 0.0), ("brown", -3.0)]
)
def test_noise_colours_have_their_spectral_slope(colour: str, slope_db_per_octave: float) -> None:
    samples = read(open_source(f"noise:{colour}", RATE, 1, None), 8.0)
    octaves = [band_db(samples, 125.0 * 2**k, 250.0 * 2**k) for k in range(6)]  # 125 Hz-8 kHz
    steps = np.diff(octaves)
    assert np.all(np.abs(steps - slope_db_per_octave) < 1.0), steps


def test_noise_loops_without_a_seam() -> None:
    for colour in generators.NOISE_COLOURS:
        for table in generators.noise_tables(colour, RATE):
            steps = np.abs(np.diff(table[:, 0]))
            seam = abs(float(table[0, 0]) - float(table[-1, 0]))
            assert seam < np.percentile(steps, 99.9)


def test_noise_of_two_readers_does_not_repeat_with_one_table() -> None:
    first, _ = generators.noise_tables("pink", RATE)
    samples = read(open_source("noise:pink", RATE, 1, None), 1.0)
    source = open_source("noise:pink", RATE, 1, None)
    source.read(len(first))
    again = read(source, 1.0)
    assert np.corrcoef(samples[:, 0], again[:, 0])[0, 1] < 0.9


@pytest.mark.parametrize("scape", generators.SCAPES)
def test_soundscapes_have_their_documented_long_term_rms(scape: str) -> None:
    rate = 8_000  # long stretches are cheap at a low rate; the level does not depend on it
    source = open_source(f"scape:{scape}", rate, 1, None)
    samples = np.concatenate([source.read(8000) for _ in range(130)]).astype(np.float64)
    assert rms_db(samples) == pytest.approx(generators.SCAPE_RMS_DB, abs=1.0)
    assert np.abs(samples).max() < 1.0


def test_surf_swells_and_rain_stays_steady() -> None:
    def spread(name: str) -> float:
        rate = 8_000
        source = open_source(name, rate, 1, None)
        windows = [source.read(rate).astype(np.float64) for _ in range(60)]
        levels = [rms_db(window) for window in windows]
        return max(levels) - min(levels)

    assert spread("scape:surf") > 6.0
    assert spread("scape:rain") < 4.0


def test_tone_is_a_full_scale_sine_at_its_pitch_joining_blocks_smoothly() -> None:
    source = open_source("tone:440", RATE, 2, None)
    samples = np.concatenate([source.read(n) for n in (1, 333, 1024, 4000, 42642)])[:, 0]
    expected = np.sin(2 * np.pi * 440.0 * np.arange(RATE) / RATE)
    assert np.abs(samples - expected).max() < 1e-4
    assert samples.max() == pytest.approx(1.0, abs=1e-4)


def test_table_reader_loops_gaplessly_or_plays_once() -> None:
    table = np.arange(10, dtype=np.float32)[:, None]
    looped = TableReader(table, loop=True)
    assert np.concatenate([looped.read(7) for _ in range(4)])[:, 0].tolist() == [
        *range(10),
        *range(10),
        *range(8),
    ]
    once = TableReader(table, loop=False)
    assert np.concatenate([once.read(7) for _ in range(3)])[:, 0].tolist() == [
        *range(10),
        *([0] * 11),
    ]


def write_sine(path: Path, rate: int, hz: float, seconds: float, channels: int = 1) -> None:
    t = np.arange(round(rate * seconds)) / rate
    wave = 0.5 * np.sin(2 * np.pi * hz * t)
    soundfile.write(str(path), np.repeat(wave[:, None], channels, axis=1), rate)


@pytest.mark.parametrize(
    ("suffix", "tolerance"), [(".wav", 0.002), (".flac", 0.002), (".ogg", 0.05)]
)
def test_files_are_decoded_and_resampled_to_the_stream_rate(
    tmp_path: Path, suffix: str, tolerance: float
) -> None:
    write_sine(tmp_path / f"a{suffix}", 44_100, 441.0, 1.0)
    samples = read(open_source(f"a{suffix}", RATE, 2, tmp_path, loop=True), 3.0)[:, 0]
    expected = 0.5 * np.sin(2 * np.pi * 441.0 * np.arange(len(samples)) / RATE)
    assert np.abs(samples - expected).max() < tolerance


def test_looped_file_has_no_jump_at_the_seam(tmp_path: Path) -> None:
    write_sine(tmp_path / "loop.wav", 22_050, 225.0, 0.2)  # 45 whole cycles in 0.2 s
    samples = read(open_source("loop.wav", RATE, 1, tmp_path, loop=True), 1.0)[:, 0]
    own = 0.5 * 2 * math.pi * 225.0 / RATE
    assert np.abs(np.diff(samples)).max() < own * 1.02


def test_unlooped_file_plays_once_then_silence(tmp_path: Path) -> None:
    write_sine(tmp_path / "once.wav", RATE, 300.0, 0.5)
    samples = read(open_source("once.wav", RATE, 1, tmp_path, loop=False), 1.0)[:, 0]
    assert np.abs(samples[: RATE // 2 - 100]).max() == pytest.approx(0.5, abs=0.01)
    assert np.all(samples[RATE // 2 + 100 :] == 0.0)


def test_stereo_files_keep_their_channels_on_stereo_and_mix_to_mono(tmp_path: Path) -> None:
    left_right = np.stack([np.full(RATE, 0.4), np.full(RATE, -0.2)], axis=1)
    soundfile.write(str(tmp_path / "st.wav"), left_right, RATE)
    stereo = open_source("st.wav", RATE, 2, tmp_path).read(100)
    mono = open_source("st.wav", RATE, 1, tmp_path).read(100)
    assert stereo.shape == (100, 2)
    assert stereo[50].tolist() == pytest.approx([0.4, -0.2], abs=1e-4)
    assert mono.shape == (100, 1)
    assert float(mono[50, 0]) == pytest.approx(0.1, abs=1e-4)


def test_is_generator_tells_generators_from_files() -> None:
    assert is_generator("noise:pink")
    assert is_generator("tone:440")
    assert is_generator("scape:surf")
    assert not is_generator("waves/beach.ogg")


def test_validate_source_accepts_what_plays(tmp_path: Path) -> None:
    write_sine(tmp_path / "ok.flac", 44_100, 300.0, 0.1)
    for name in (
        "noise:white",
        "noise:pink",
        "noise:brown",
        "tone:440",
        "tone:432.5",
        "scape:surf",
        "scape:rain",
    ):
        assert validate_source(name, None) is None, name
    assert validate_source("ok.flac", tmp_path) is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("noise:purple", "unknown noise colour"),
        ("tone:abc", "must be a number"),
        ("tone:5", "between 20 and 20000 Hz"),
        ("tone:nan", "between 20 and 20000 Hz"),
        ("scape:forest", "unknown soundscape"),
        ("../secret.wav", "inside the sounds folder"),
        ("/etc/a.wav", "inside the sounds folder"),
        ("notes.txt", "must be .wav, .flac, .ogg"),
        ("missing.wav", "no such file"),
        ("broken.wav", "cannot read the file"),
    ],
)
def test_validate_source_explains_what_cannot_play(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really a wave file")
    error = validate_source(name, tmp_path)
    assert error is not None
    assert message in error


def test_files_need_a_sounds_folder() -> None:
    assert "no sounds folder" in (validate_source("a.wav", None) or "")
    with pytest.raises(SourceError, match="no sounds folder"):
        open_source("a.wav", RATE, 2, None)
