"""The sound path: sources, mixer and the PyAudio output engine."""

from __future__ import annotations

from roomctl.audio.engine import AudioEngine
from roomctl.audio.errors import AudioError, AudioOutputError, SourceError
from roomctl.audio.sources import is_generator, validate_source

__all__ = [
    "AudioEngine",
    "AudioError",
    "AudioOutputError",
    "SourceError",
    "is_generator",
    "validate_source",
]
