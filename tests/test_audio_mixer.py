"""Unit tests of the mixer and limiter on arrays: ramps, crossfades, cap, limiter, no jumps."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomctl.audio import Mixer, SoftLimiter, Source, TableReader, Target, ToneReader
from roomctl.audio.limiter import LIMIT_KNEE
from roomctl.core.easing import EASINGS, Easing, ease
from roomctl.core.levels import Voice, mix_between

RATE = 48_000
FloatArray = npt.NDArray[np.float32]


class Constant:
    """A DC source: the mixer's output is then its gain curve itself."""

    channels = 1

    def __init__(self, value: float = 1.0) -> None:
        self.value = value

    def read(self, frames: int) -> FloatArray:
        return np.full((frames, 1), self.value, dtype=np.float32)


class Counter:
    """A source whose samples count frames read, to check a reader is not restarted."""

    channels = 1

    def __init__(self) -> None:
        self.position = 0

    def read(self, frames: int) -> FloatArray:
        block = (self.position + np.arange(frames, dtype=np.float32)) * 1e-6
        self.position += frames
        return block[:, None]


def white(seed: int, seconds: float = 12.0) -> TableReader:
    rng = np.random.default_rng(seed)
    return TableReader((0.1 * rng.standard_normal((int(seconds * RATE), 1))).astype(np.float32))


def render(mixer: Mixer, frames: int, block: int = 1024) -> FloatArray:
    parts = [mixer.render(min(block, frames - done)) for done in range(0, frames, block)]
    return np.concatenate(parts)[:, 0]


def rms_db(samples: FloatArray) -> float:
    return 20.0 * math.log10(float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))))


@pytest.mark.parametrize("easing", EASINGS)
def test_fade_in_follows_the_equal_power_curve_of_the_easing(easing: Easing) -> None:
    mixer = Mixer(RATE, 1)
    mixer.retarget([Target("dc", 0.5, Constant())], frames=RATE, easing=easing)
    out = render(mixer, 2 * RATE, block=1000)
    for frame in range(0, RATE, 1200):
        expected = 0.5 * math.sin(ease(easing, frame / RATE) * math.pi / 2)
        assert out[frame] == pytest.approx(expected, abs=2e-4)
    assert np.all(out[RATE:] == np.float32(0.5))


def test_a_voice_in_both_mixes_moves_linearly_in_gain_along_the_easing() -> None:
    mixer = Mixer(RATE, 1)
    source = Constant()
    mixer.retarget([Target("dc", 0.8, source)], frames=0, easing="linear")
    mixer.retarget([Target("dc", 0.2, Constant(5.0))], frames=RATE // 2, easing="s-curve")
    out = render(mixer, RATE)
    for frame in range(0, RATE // 2, 600):
        expected = 0.8 + (0.2 - 0.8) * ease("s-curve", frame / (RATE // 2))
        assert out[frame] == pytest.approx(expected, abs=2e-4)
    # The playing reader is kept: the new Target's reader (value 5) is not used.
    assert out[-1] == pytest.approx(0.2)


def test_ramp_ends_on_the_exact_frame() -> None:
    mixer = Mixer(RATE, 1)
    mixer.retarget([Target("dc", 0.5, Constant())], frames=12_345, easing="linear")
    out = render(mixer, 20_000, block=777)
    assert out[12_344] < 0.5
    assert np.all(out[12_345:] == np.float32(0.5))


def test_crossfade_of_uncorrelated_noise_keeps_power_within_one_db() -> None:
    mixer = Mixer(RATE, 1)
    mixer.retarget([Target("a", 0.5, white(1))], frames=0, easing="linear")
    before = rms_db(render(mixer, RATE))
    mixer.retarget([Target("b", 0.5, white(2))], frames=8 * RATE, easing="s-curve")
    during = render(mixer, 9 * RATE)
    windows = during.reshape(-1, RATE // 10)
    levels = [rms_db(window) for window in windows]
    assert max(abs(level - before) for level in levels) < 1.0
    assert before == pytest.approx(20 * math.log10(0.05), abs=0.1)


def test_crossfade_gains_match_mix_between() -> None:
    mixer = Mixer(RATE, 1)
    mixer.retarget([Target("a", 0.6, Constant())], frames=0, easing="linear")
    mixer.render(1)
    mixer.retarget([Target("b", 0.3, Constant())], frames=RATE, easing="ease-out")
    for fraction in (0.1, 0.25, 0.5, 0.75, 0.9):
        mixer.render(round(1 + fraction * RATE) - mixer.frame)
        expected = mix_between((Voice("a", 0.6),), (Voice("b", 0.3),), ease("ease-out", fraction))
        gains = mixer.gains()
        for voice in expected:
            assert gains[voice.source] == pytest.approx(voice.gain, abs=1e-4)


def test_gain_is_capped_at_max_gain() -> None:
    mixer = Mixer(RATE, 1, max_gain=0.25)
    mixer.retarget([Target("dc", 1.0, Constant())], frames=100, easing="linear")
    out = render(mixer, 2000)
    # At the cap itself the limiter's soft knee takes 0.1 dB off; never anything above it.
    assert 0.25 * 0.988 <= out.max() <= 0.25
    assert mixer.gains() == {"dc": pytest.approx(0.25)}


def test_limiter_keeps_a_sum_of_loud_sources_at_or_below_full_scale() -> None:
    mixer = Mixer(RATE, 2)
    tones = [Target(f"t{hz}", 1.0, ToneReader(hz, RATE)) for hz in (220.0, 330.0, 440.0)]
    mixer.retarget([*tones, Target("n", 1.0, white(3, seconds=2))], frames=0, easing="linear")
    out = np.concatenate([mixer.render(1024) for _ in range(100)])
    assert np.abs(out).max() <= 1.0
    assert np.abs(out).max() > 0.95  # it limits; it does not just turn everything down


@settings(max_examples=60, deadline=None)
@given(
    scale=st.floats(0.01, 50.0),
    seed=st.integers(0, 2**16),
    frames=st.integers(1, 5000),
)
def test_limiter_never_exceeds_full_scale(scale: float, seed: int, frames: int) -> None:
    limiter = SoftLimiter(RATE)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        block = (scale * rng.standard_normal((frames, 2))).astype(np.float32)
        assert np.abs(limiter.process(block)).max() <= 1.0


def test_limiter_leaves_signals_below_its_knee_untouched() -> None:
    limiter = SoftLimiter(RATE)
    block = (LIMIT_KNEE * np.sin(np.linspace(0, 300, 48_000))).astype(np.float32)[:, None]
    assert np.array_equal(limiter.process(block), block)


def test_retarget_and_hold_mid_fade_never_step() -> None:
    mixer = Mixer(RATE, 1)
    mixer.retarget([Target("dc", 0.8, Constant())], frames=RATE, easing="s-curve")
    parts = [render(mixer, 20_000, block=500)]
    mixer.retarget([Target("dc", 0.1, Constant())], frames=RATE // 4, easing="ease-in")
    parts.append(render(mixer, 5_000, block=500))
    mixer.hold()
    held = render(mixer, 10_000, block=500)
    parts.append(held)
    mixer.retarget([Target("dc", 0.6, Constant())], frames=RATE // 2, easing="linear")
    parts.append(render(mixer, RATE, block=500))
    out = np.concatenate(parts)
    # The steepest a ramp of these gets: 0.7 over 12000 frames, times the easings' slope 2.
    assert np.abs(np.diff(out)).max() < 2.0 * 0.7 / 12_000 * 1.05
    assert np.ptp(held) == 0.0


def test_tone_through_fades_silence_and_hold_has_no_jump_beyond_its_own() -> None:
    mixer = Mixer(RATE, 1)
    hz, gain = 1000.0, 0.5
    own = gain * 2 * math.pi * hz / RATE  # a sine's steepest step
    mixer.retarget([Target("t", gain, ToneReader(hz, RATE))], frames=RATE // 10, easing="linear")
    parts = [render(mixer, 7_000, block=333)]
    mixer.hold()
    parts.append(render(mixer, 3_000, block=333))
    mixer.retarget([Target("t", gain, ToneReader(hz, RATE))], frames=0, easing="linear")
    parts.append(render(mixer, 3_000, block=333))
    mixer.retarget([], frames=round(0.005 * RATE), easing="linear")  # emergency silence
    parts.append(render(mixer, 3_000, block=333))
    out = np.concatenate(parts)
    assert np.abs(np.diff(out)).max() <= own * 1.02
    assert np.all(out[-2_000:] == 0.0)


def test_silenced_voices_are_retired_and_handed_back() -> None:
    retired: list[Source] = []
    mixer = Mixer(RATE, 1, retire=retired.append)
    source = Constant()
    mixer.retarget([Target("dc", 0.5, source)], frames=0, easing="linear")
    mixer.retarget([], frames=240, easing="linear")
    out = render(mixer, 1024)
    assert out[0] > 0.49
    assert np.all(out[240:] == 0.0)
    assert retired == []  # retired at the first block that starts after the ramp
    mixer.render(1024)
    assert retired == [source]
    assert mixer.gains() == {}


def test_a_continuing_voice_keeps_its_place_in_the_sound() -> None:
    mixer = Mixer(RATE, 1)
    counter = Counter()
    mixer.retarget([Target("c", 1.0, counter)], frames=0, easing="linear")
    render(mixer, 4096)
    mixer.retarget([Target("c", 0.9, Counter())], frames=100, easing="linear")
    render(mixer, 1024)
    assert counter.position == 5120


def test_master_fade_in_ramps_the_whole_output_from_silence() -> None:
    mixer = Mixer(RATE, 1)
    mixer.retarget([Target("dc", 0.5, Constant())], frames=0, easing="linear")
    mixer.fade_in_master(4800)
    out = render(mixer, 9600)
    assert out[0] == 0.0
    assert out[2400] == pytest.approx(0.25, abs=1e-3)
    assert np.all(out[4800:] == np.float32(0.5))


def test_stereo_output_carries_mono_sources_on_both_channels() -> None:
    mixer = Mixer(RATE, 2)
    mixer.retarget([Target("t", 0.25, ToneReader(440.0, RATE))], frames=0, easing="linear")
    out = mixer.render(2048)
    assert out.shape == (2048, 2)
    assert np.array_equal(out[:, 0], out[:, 1])
    assert np.abs(out).max() == pytest.approx(0.25, abs=1e-3)


CAP_12_DB = 10.0 ** (-12.0 / 20.0)


def test_a_crossfade_of_correlated_tones_keeps_to_the_cap_at_every_sample() -> None:
    # tone:440 to tone:441, both at the room's -12 dB cap: in phase for seconds, they add in
    # amplitude halfway through the equal-power crossfade (0.348 without the output limit).
    mixer = Mixer(RATE, 2, max_gain=CAP_12_DB)
    mixer.retarget([Target("tone:440", CAP_12_DB, ToneReader(440.0, RATE))], 0, "linear")
    before = render(mixer, RATE // 2)
    mixer.retarget([Target("tone:441", CAP_12_DB, ToneReader(441.0, RATE))], 4 * RATE, "linear")
    during = render(mixer, 4 * RATE)
    after = render(mixer, RATE)
    out = np.concatenate([before, during, after])
    assert float(np.abs(out).max()) <= CAP_12_DB
    assert float(np.abs(out).max()) <= 0.2512
    # Still loud: the crossfade is held at the cap, not pushed far below it.
    assert float(np.abs(during).max()) >= 0.95 * CAP_12_DB
    # No click: no sample-to-sample jump beyond what the tones themselves make.
    steepest = 2.0 * math.pi * 441.0 / RATE * CAP_12_DB
    assert float(np.abs(np.diff(out)).max()) <= steepest * 1.05
