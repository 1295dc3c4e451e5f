"""The real-time stream: a PyAudio stream in callback mode that plays a mixer.

The callback runs on PortAudio's thread and never waits on anything another thread
holds: it takes the plans handed to it through a SimpleQueue with get_nowait, renders
the mixer's next block, and only counts what went wrong (underruns, an exception) for
the watchdog to report.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
from dataclasses import dataclass
from typing import Any

import pyaudio

from roomctl.audio.device import OutputDevice
from roomctl.audio.errors import AudioOutputError
from roomctl.audio.mixer import Mixer, Target
from roomctl.audio.realtime import raise_priority
from roomctl.audio.underruns import Underruns
from roomctl.core.easing import Easing

_LOGGER = logging.getLogger(__name__)

# Frames per callback: 768 is 16-17 ms. PortAudio then buffers ~35 ms ahead, so a change
# (an emergency silence) is heard within ~60 ms. 512 gave ~40 ms but underran on a busy
# 2-core machine; 1024 never underran but took ~75 ms. (scripts/bench_audio.py)
FRAMES_PER_BUFFER = 768
# Shortest ramp of any change, even a "jump": 5 ms is below what the ear hears as a fade
# but long enough that a sudden change of level makes no click.
MIN_RAMP_S = 0.005
# A running stream whose callback has not been called for this long has stalled. Not
# less: a sound server that has just started may not ask for data for up to 2 s.
STALL_S = 5.0


@dataclass(frozen=True, slots=True)
class Plan:
    """A change for the callback: ramp to `targets` by `deadline` (monotonic), or hold."""

    targets: tuple[Target, ...]
    deadline: float
    easing: Easing
    hold: bool = False


class OutputStream:
    """Play a mixer on one output device, adopting plans between blocks without waiting."""

    def __init__(self, mixer: Mixer, underruns: Underruns) -> None:
        self.mixer = mixer
        self.underruns = underruns
        self.callback_seconds = 0.0
        self.realtime: bool | None = None  # set by the callback thread, logged by the watchdog
        self._plans: queue.SimpleQueue[Plan] = queue.SimpleQueue()
        self._audio: pyaudio.PyAudio | None = None
        self._stream: pyaudio.Stream | None = None
        self._device: OutputDevice | None = None
        self._online = False
        self._last_callback = 0.0
        self._error: BaseException | None = None

    @property
    def online(self) -> bool:
        """Return whether the stream is open and playing."""
        return self._online

    @property
    def device(self) -> OutputDevice | None:
        """Return the device last opened, if any."""
        return self._device

    @property
    def latency_s(self) -> float:
        """Return PortAudio's estimate of the output latency, or 0 when not open."""
        stream = self._stream
        return float(stream.get_output_latency()) if stream is not None else 0.0

    def submit(self, plan: Plan) -> None:
        """Hand a plan to the callback; it starts at the next block."""
        self._plans.put(plan)

    def open(self, audio: pyaudio.PyAudio, device: OutputDevice) -> None:
        """Open and start the stream on a device; it then owns `audio` (closed by close())."""
        mixer = self.mixer
        try:
            stream = audio.open(
                format=pyaudio.paFloat32,
                channels=mixer.channels,
                rate=mixer.rate,
                output=True,
                output_device_index=device.index,
                frames_per_buffer=FRAMES_PER_BUFFER,
                stream_callback=self._callback,
                start=False,
            )
        except (OSError, ValueError) as error:
            raise AudioOutputError(
                f"cannot open sound output {device.index}: {device.name} "
                f"at {mixer.rate} Hz, {mixer.channels} channels: {error}"
            ) from error
        self._last_callback = time.monotonic()
        self.realtime = None
        try:
            stream.start_stream()
        except OSError as error:
            with contextlib.suppress(OSError):
                stream.close()
            raise AudioOutputError(f"cannot start sound output {device.name}: {error}") from error
        self._audio, self._stream, self._device = audio, stream, device
        self._online = True
        _LOGGER.info(
            "Sound output %s: %s at %d Hz, %d channels",
            device.index,
            device.name,
            mixer.rate,
            mixer.channels,
        )

    def close(self) -> None:
        """Close the stream and PortAudio, ignoring the errors of a dead output."""
        self._online = False
        stream, audio = self._stream, self._audio
        self._stream = self._audio = None
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.stop_stream()
            with contextlib.suppress(OSError):
                stream.close()
        if audio is not None:
            audio.terminate()

    def problem(self) -> str | None:
        """Return what is wrong with the stream, or None while it plays."""
        stream = self._stream
        if stream is None:
            return "no stream"
        try:
            active = stream.is_active()
        except OSError as error:
            return f"stream error: {error}"
        if not active:
            return "the sound output stopped (device or sound server gone)"
        if time.monotonic() - self._last_callback > STALL_S:
            return f"the sound output stalled for more than {STALL_S:g} s"
        return None

    def take_error(self) -> BaseException | None:
        """Return the exception the callback last caught, once."""
        error, self._error = self._error, None
        return error

    def _callback(
        self, _in_data: bytes | None, frames: int, _time_info: Any, status: int
    ) -> tuple[bytes, int]:
        """Render the next block (PortAudio's thread): adopt new plans, mix, return bytes."""
        began = time.perf_counter()
        mixer = self.mixer
        if self.realtime is None:
            self.realtime = raise_priority()
        if status & pyaudio.paOutputUnderflow:
            self.underruns.add()
        try:
            while True:
                try:
                    plan = self._plans.get_nowait()
                except queue.Empty:
                    break
                _adopt(mixer, plan)
            data = mixer.render(frames).tobytes()
        except Exception as error:  # reported by the watchdog; raising would kill the stream
            self._error = error
            data = bytes(frames * mixer.channels * 4)
        self._last_callback = time.monotonic()
        self.callback_seconds += time.perf_counter() - began
        return data, pyaudio.paContinue


def _adopt(mixer: Mixer, plan: Plan) -> None:
    """Start a plan at the mixer's current frame."""
    if plan.hold:
        mixer.hold()
        return
    remaining = plan.deadline - time.monotonic()
    frames = round(max(remaining, MIN_RAMP_S) * mixer.rate)
    mixer.retarget(plan.targets, frames, plan.easing)
