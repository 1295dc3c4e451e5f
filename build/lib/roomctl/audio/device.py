"""Find a sound output through PortAudio (PyAudio) by `default`, name or index."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyaudio

from roomctl.audio.errors import AudioOutputError

_LOGGER = logging.getLogger(__name__)

# Speakers beyond stereo get the first two channels; a mono device gets one.
MAX_CHANNELS = 2


@dataclass(frozen=True, slots=True)
class OutputDevice:
    """A PortAudio output device."""

    index: int
    name: str
    channels: int
    default_rate: int


@contextlib.contextmanager
def _stderr_to_debug_log() -> Iterator[None]:
    """Send what C libraries print on stderr meanwhile to the debug log.

    Initialising PortAudio makes ALSA and JACK print a dozen lines about back-ends that
    are absent (no JACK server, no surround PCMs): noise on a daemon's console.
    """
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode(errors="replace").strip()
            if text:
                _LOGGER.debug("PortAudio start-up said:\n%s", text)


def open_portaudio() -> pyaudio.PyAudio:
    """Initialise PortAudio and return its PyAudio handle."""
    with _stderr_to_debug_log():
        return pyaudio.PyAudio()


def _device(info: dict[str, Any]) -> OutputDevice:
    """Return an OutputDevice from PortAudio's device info."""
    return OutputDevice(
        index=int(info["index"]),
        name=str(info["name"]),
        channels=min(MAX_CHANNELS, int(info["maxOutputChannels"])),
        default_rate=round(float(info["defaultSampleRate"])),
    )


def output_devices(audio: pyaudio.PyAudio) -> list[OutputDevice]:
    """Return every device that can play sound."""
    infos = (audio.get_device_info_by_index(i) for i in range(audio.get_device_count()))
    return [_device(info) for info in infos if int(info["maxOutputChannels"]) > 0]


def find_output(audio: pyaudio.PyAudio, output: str | int) -> OutputDevice:
    """Return the output named by `default`, an index, an exact name or a unique part of one."""
    devices = output_devices(audio)
    matches: list[OutputDevice] = []
    if output == "default":
        with contextlib.suppress(OSError):
            default = _device(audio.get_default_output_device_info())
            if default.channels > 0:
                return default
    elif isinstance(output, int) or output.isdigit():
        matches = [d for d in devices if d.index == int(output)]
    else:
        matches = [d for d in devices if d.name == output] or [
            d for d in devices if output.lower() in d.name.lower()
        ]
    if len(matches) == 1:
        return matches[0]
    available = "; ".join(f"{d.index}: {d.name}" for d in devices) or "none"
    reason = "matches several outputs" if matches else "does not exist"
    raise AudioOutputError(f"sound output {output!r} {reason}; available outputs: {available}")
