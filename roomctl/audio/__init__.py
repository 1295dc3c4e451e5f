"""The sound path: sources and a mixer, played by a real-time stream kept up by a watchdog.

- `sources` (with `generators`, `spectral`, `resample`): sound sources by name, read block
  by block;
- `mixer` (with `limiter`): voices with gain ramps, crossfades and the room's cap;
- `stream` (with `realtime`): the PyAudio stream whose callback plays the mixer;
- `underruns`: counting the output's gaps and logging them now and then;
- `watchdog`: the thread that reopens a failed output with backoff;
- `engine`: AudioEngine, what a room drives; `device`: finding an output.
"""

from __future__ import annotations

from roomctl.audio.device import OutputDevice, find_output, open_portaudio, output_devices
from roomctl.audio.engine import AudioEngine
from roomctl.audio.errors import AudioError, AudioOutputError, SourceError
from roomctl.audio.generators import NOISE_COLOURS, SCAPES, noise_tables
from roomctl.audio.limiter import SoftLimiter
from roomctl.audio.mixer import Mixer, Target
from roomctl.audio.resample import resample
from roomctl.audio.sources import (
    Source,
    TableReader,
    ToneReader,
    is_generator,
    open_source,
    validate_source,
)
from roomctl.audio.stream import OutputStream, Plan
from roomctl.audio.underruns import Underruns
from roomctl.audio.watchdog import HealthCallback, Watchdog

__all__ = [
    "NOISE_COLOURS",
    "SCAPES",
    "AudioEngine",
    "AudioError",
    "AudioOutputError",
    "HealthCallback",
    "Mixer",
    "OutputDevice",
    "OutputStream",
    "Plan",
    "SoftLimiter",
    "Source",
    "SourceError",
    "TableReader",
    "Target",
    "ToneReader",
    "Underruns",
    "Watchdog",
    "find_output",
    "is_generator",
    "noise_tables",
    "open_portaudio",
    "open_source",
    "output_devices",
    "resample",
    "validate_source",
]
