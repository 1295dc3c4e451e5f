"""Sound sources by name: generators (noise, tones, soundscapes) and files under sounds/.

A source is read block by block in the audio callback, so reading is cheap: slices of
tables that `open_source` prepares beforehand (decoding, resampling, generating). Every
block is float32 with shape (frames, channels), channels 1 (mono, played on every
speaker) or the stream's channel count.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Protocol

import numpy as np
import numpy.typing as npt

from roomctl.audio import generators
from roomctl.audio.errors import SourceError
from roomctl.audio.resample import resample

_LOGGER = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

FILE_SUFFIXES = (".wav", ".flac", ".ogg")
GENERATOR_PREFIXES = ("noise:", "tone:", "scape:")
# Decoded, resampled files kept in memory; a session uses a handful, a crossfade two.
FILE_CACHE_SIZE = 8


class Source(Protocol):
    """A stream of samples that the mixer reads block by block."""

    @property
    def channels(self) -> int:
        """Return the number of channels of every block (1 or the stream's)."""

    def read(self, frames: int) -> FloatArray:
        """Return the next `frames` frames as float32 (frames, channels)."""


class TableReader:
    """Read a table of samples, looping it without a gap or playing it once."""

    def __init__(self, table: FloatArray, *, loop: bool = True) -> None:
        self._table = table
        self._loop = loop
        self._position = 0

    @property
    def channels(self) -> int:
        """Return the table's channel count."""
        return int(self._table.shape[1])

    def read(self, frames: int) -> FloatArray:
        """Return the next frames, wrapping at the end when looping, else silence."""
        size = len(self._table)
        start = self._position
        if start + frames <= size:
            self._position = (start + frames) % size if self._loop else start + frames
            return self._table[start : start + frames]
        if not self._loop:
            self._position = size
            tail = self._table[min(start, size) :]
            return np.concatenate([tail, np.zeros((frames - len(tail), self.channels), np.float32)])
        index = (start + np.arange(frames)) % size
        self._position = int(index[-1] + 1) % size
        return self._table[index]


class MixedReader:
    """Sum several sources, each with a constant weight and an optional slow envelope."""

    def __init__(
        self, parts: list[tuple[Source, float, FloatArray | None]], rate: int, channels: int = 1
    ) -> None:
        self._parts = parts
        self._channels = channels
        self._envelope_step = generators.ENVELOPE_RATE_HZ / rate
        self._frame = 0

    @property
    def channels(self) -> int:
        """Return the channel count of the sum."""
        return self._channels

    def read(self, frames: int) -> FloatArray:
        """Return the weighted, enveloped sum of the parts' next frames."""
        out = np.zeros((frames, self._channels), dtype=np.float32)
        control = (self._frame + np.arange(frames)) * self._envelope_step
        for source, weight, envelope in self._parts:
            block = source.read(frames)
            if envelope is None:
                out += block * np.float32(weight)
            else:
                points = control % len(envelope)
                below = points.astype(np.int64)
                frac = (points - below).astype(np.float32)
                gains = envelope[below] * (1 - frac) + envelope[(below + 1) % len(envelope)] * frac
                out += block * (gains * np.float32(weight))[:, None]
        self._frame += frames
        return out


class ToneReader:
    """A full-scale sine, with a running phase so blocks join without a step."""

    def __init__(self, hz: float, rate: int) -> None:
        self._step = hz / rate
        self._phase = 0.0

    @property
    def channels(self) -> int:
        """Return 1: a tone is mono."""
        return 1

    def read(self, frames: int) -> FloatArray:
        """Return the next frames of the sine."""
        cycles = self._phase + self._step * np.arange(frames)
        self._phase = (self._phase + self._step * frames) % 1.0
        block: FloatArray = np.sin(2.0 * np.pi * cycles).astype(np.float32)[:, None]
        return block


def is_generator(name: str) -> bool:
    """Return whether a source name names a generator (noise:, tone:, scape:), not a file."""
    return name.startswith(GENERATOR_PREFIXES)


def _tone_hz(name: str) -> float:
    """Return the frequency of a `tone:<Hz>` name, or raise SourceError."""
    text = name.removeprefix("tone:").strip().removesuffix("Hz").removesuffix("hz").strip()
    try:
        hz = float(text)
    except ValueError:
        raise SourceError(f"{name!r}: tone frequency must be a number of Hz") from None
    if not math.isfinite(hz) or not generators.TONE_MIN_HZ <= hz <= generators.TONE_MAX_HZ:
        raise SourceError(
            f"{name!r}: tone frequency must be between {generators.TONE_MIN_HZ:g} and "
            f"{generators.TONE_MAX_HZ:g} Hz"
        )
    return hz


def _check_generator(name: str) -> None:
    """Raise SourceError unless `name` is a valid generator name."""
    kind, _, arg = name.partition(":")
    if kind == "tone":
        _tone_hz(name)
    elif kind == "noise" and arg not in generators.NOISE_COLOURS:
        raise SourceError(
            f"{name!r}: unknown noise colour (use {', '.join(generators.NOISE_COLOURS)})"
        )
    elif kind == "scape" and arg not in generators.SCAPES:
        raise SourceError(f"{name!r}: unknown soundscape (use {', '.join(generators.SCAPES)})")


def resolve_file(name: str, sounds_dir: Path | None) -> Path:
    """Return the path of a sound file named relative to sounds_dir, or raise SourceError."""
    if sounds_dir is None:
        raise SourceError(f"{name!r}: no sounds folder configured to find the file in")
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name or not name.strip():
        raise SourceError(f"{name!r}: must be a file path inside the sounds folder")
    if relative.suffix.lower() not in FILE_SUFFIXES:
        raise SourceError(f"{name!r}: sound files must be {', '.join(FILE_SUFFIXES)}")
    path = sounds_dir / relative
    if not path.is_file():
        raise SourceError(f"{name!r}: no such file in {sounds_dir}")
    return path


def validate_source(name: str, sounds_dir: Path | None) -> str | None:
    """Return why a source name cannot be played, or None when it can."""
    try:
        if is_generator(name):
            _check_generator(name)
            return None
        path = resolve_file(name, sounds_dir)
    except SourceError as error:
        return str(error)
    # Here, not at the top: libsndfile loads only where files play (see _file_table).
    import soundfile  # noqa: PLC0415

    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as error:
        return f"{name!r}: cannot read the file: {error}"
    return f"{name!r}: the file holds no audio" if info.frames == 0 else None


@lru_cache(maxsize=FILE_CACHE_SIZE)
def _file_table(path: Path, mtime_ns: int, rate: int, channels: int, loop: bool) -> FloatArray:
    """Return a file decoded, mixed to `channels` (or mono) and resampled to `rate`."""
    del mtime_ns  # part of the cache key only: an edited file is read again
    # Here, not at the top: libsndfile and cffi (~1 MB) load only in a room that plays files.
    import soundfile  # noqa: PLC0415

    try:
        samples, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as error:
        raise SourceError(f"{path.name!r}: cannot read the file: {error}") from error
    if samples.shape[1] != channels:
        samples = samples.mean(axis=1, keepdims=True, dtype=np.float32)
    table = resample(np.ascontiguousarray(samples), int(file_rate), rate, loop=loop)
    table.flags.writeable = False
    _LOGGER.debug("Loaded %s: %d frames at %d Hz", path, len(table), rate)
    return table


def _mixed_layers(
    layers: tuple[tuple[FloatArray, FloatArray, FloatArray, float], ...], rate: int
) -> MixedReader:
    """Return a reader summing each layer's two coprime noise tables under its envelope."""
    parts: list[tuple[Source, float, FloatArray | None]] = [
        (_noise_pair(first, second, rate), weight, envelope)
        for first, second, envelope, weight in layers
    ]
    return MixedReader(parts, rate)


def _noise_pair(first: FloatArray, second: FloatArray, rate: int) -> MixedReader:
    """Return a reader of two uncorrelated noise tables summed at equal power."""
    half_power = math.sqrt(0.5)
    return MixedReader(
        [(TableReader(first), half_power, None), (TableReader(second), half_power, None)], rate
    )


def open_source(
    name: str, rate: int, channels: int, sounds_dir: Path | None, *, loop: bool = True
) -> Source:
    """Return a fresh reader of a source at `rate`; slow the first time (decoding, tables).

    Generators always run on; `loop` applies to files, which otherwise play once and
    then give silence.
    """
    kind, _, arg = name.partition(":")
    if is_generator(name):
        _check_generator(name)
        if kind == "tone":
            return ToneReader(_tone_hz(name), rate)
        if kind == "noise":
            return _noise_pair(*generators.noise_tables(arg, rate), rate)
        layers = generators.surf_layers(rate) if arg == "surf" else generators.rain_layers(rate)
        return _mixed_layers(layers, rate)
    path = resolve_file(name, sounds_dir).resolve()
    table = _file_table(path, path.stat().st_mtime_ns, rate, channels, loop)
    return TableReader(table, loop=loop)
