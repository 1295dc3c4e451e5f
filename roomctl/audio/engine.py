"""The sound output of a room: a PyAudio stream in callback mode fed by the mixer.

Threads: the room's thread calls apply/hold/silence, which do the heavy work (decoding,
resampling, building tables) and then hand a plan to the audio callback through a
SimpleQueue, read with get_nowait: the callback never waits on anything the room holds.
A monitor thread watches the stream, frees retired sources outside the callback, and
reopens the output with capped backoff when it fails, reporting through on_health.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyaudio

from roomctl.audio.device import MAX_CHANNELS, OutputDevice, find_output, open_portaudio
from roomctl.audio.errors import AudioOutputError, SourceError
from roomctl.audio.mixer import Mixer, Target
from roomctl.audio.sources import Source, open_source
from roomctl.core.easing import Easing
from roomctl.core.levels import SoundMix
from roomctl.logs import RateLimitedLog

_LOGGER = logging.getLogger(__name__)

HealthCallback = Callable[[bool, str], None]

# Frames per callback: 768 is 16-17 ms. PortAudio then buffers ~35 ms ahead, so a change
# (an emergency silence) is heard within ~60 ms. 512 gave ~40 ms but underran on a busy
# 2-core machine; 1024 never underran but took ~75 ms. (scripts/bench_audio.py)
FRAMES_PER_BUFFER = 768
# Shortest ramp of any change, even a "jump": 5 ms is below what the ear hears as a fade
# but long enough that a sudden change of level makes no click.
MIN_RAMP_S = 0.005
# Emergency silence ramps down over this: a few ms, no click, done well within 100 ms.
SILENCE_RAMP_S = 0.005
# When the output comes back the mix fades in over this instead of starting mid-wave.
RESTORE_RAMP_S = 0.5
# The monitor looks at the stream this often: quick enough to report a failure within a
# second, rare enough to cost nothing.
MONITOR_PERIOD_S = 0.2
# A running stream whose callback has not been called for this long has stalled. Not
# less: a sound server that has just started may not ask for data for up to 2 s.
STALL_S = 5.0
# The name libpulse gives its client thread (see _raise_priority).
PULSE_CLIENT_THREAD = "threaded-ml"
# Rate of an output not found at start, so sounds can be prepared before it appears:
# 48 kHz is what most outputs and sound servers run at natively.
FALLBACK_RATE = 48_000
# Real-time priority asked for PortAudio's callback thread (when the system allows it, e.g.
# as root or with an rtprio limit): low among real-time threads, above every normal one,
# so a busy machine does not make the output underrun.
REALTIME_PRIORITY = 10
# Underruns (gaps a listener hears) are logged at most this often, with the count since the
# last report: an IT person sees that the machine is too busy to feed the output, without
# a log line per gap on a machine that is starved for minutes.
UNDERRUN_REPORT_PERIOD_S = 60.0
# Reopening a failed output: first retry after RETRY_FIRST_S, doubling up to RETRY_MAX_S
# so a missing device is polled gently while a restarted sound server is caught quickly.
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0
# A missing output is retried every RETRY_MAX_S for as long as it is missing: the log says
# so once in this period (with a count), not at every retry.
UNAVAILABLE_REPORT_PERIOD_S = 600.0


@dataclass(frozen=True, slots=True)
class _Plan:
    """A change for the callback: ramp to `targets` by `deadline` (monotonic), or hold."""

    targets: tuple[Target, ...]
    deadline: float
    easing: Easing
    hold: bool = False


class AudioEngine:
    """Play a room's sound mix on one output, with fades, a gain cap and recovery."""

    def __init__(
        self,
        output: str | int = "default",
        sounds_dir: Path | None = None,
        max_gain: float = 1.0,
        on_health: HealthCallback | None = None,
        rate: int | None = None,
    ) -> None:
        self.output = output
        self.sounds_dir = sounds_dir
        self.max_gain = max_gain
        self._on_health = on_health
        self._requested_rate = rate
        self._plans: queue.SimpleQueue[_Plan] = queue.SimpleQueue()
        self._retired: queue.SimpleQueue[Source] = queue.SimpleQueue()
        self._last_plan: _Plan | None = None
        self._audio: pyaudio.PyAudio | None = None
        self._stream: pyaudio.Stream | None = None
        self._mixer: Mixer | None = None
        self._device: OutputDevice | None = None
        self._online = False
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._last_callback = 0.0
        self._callback_error: BaseException | None = None
        self._realtime: bool | None = None  # set by the callback thread, logged by the monitor
        self.underruns = 0
        self._underruns_reported = 0
        self._next_underrun_report = 0.0
        self.callback_seconds = 0.0
        self._unavailable = RateLimitedLog(_LOGGER, UNAVAILABLE_REPORT_PERIOD_S)

    @property
    def online(self) -> bool:
        """Return whether the output is open and playing."""
        return self._online

    @property
    def rate(self) -> int:
        """Return the stream's sample rate (after start)."""
        return self._require_mixer().rate

    @property
    def channels(self) -> int:
        """Return the stream's channel count (after start)."""
        return self._require_mixer().channels

    @property
    def device(self) -> OutputDevice | None:
        """Return the output device in use, if started."""
        return self._device

    @property
    def output_latency_s(self) -> float:
        """Return PortAudio's estimate of the output latency, or 0 when not open."""
        return float(self._stream.get_output_latency()) if self._stream is not None else 0.0

    def gains(self) -> dict[str, float]:
        """Return each voice's gain as of the last block played."""
        return self._require_mixer().gains()

    def start(self) -> None:
        """Open the output and start playing (silence until the first apply).

        Raises AudioOutputError, naming the available outputs, when the output does not
        exist or will not open. The engine then keeps trying in the background, as after
        a failure mid-session: apply() works meanwhile, and on_health(True, ...) reports
        the output once it plays. stop() ends the trying.
        """
        if self._monitor is not None:
            raise RuntimeError("AudioEngine is already started")
        self._stopping.clear()
        failure: AudioOutputError | None = None
        audio = open_portaudio()
        try:
            device = find_output(audio, self.output)
        except AudioOutputError as error:
            audio.terminate()
            failure, device = error, None
        rate = self._requested_rate or (device.default_rate if device else FALLBACK_RATE)
        channels = device.channels if device else MAX_CHANNELS
        self._mixer = Mixer(rate, channels, self.max_gain, self._retired.put)
        if device is not None:
            try:
                self._open(audio, device)
            except AudioOutputError as error:
                audio.terminate()
                failure = error
        self._monitor = threading.Thread(
            target=self._watch, args=(failure is not None,), name="audio-monitor", daemon=True
        )
        self._monitor.start()
        if failure is not None:
            raise failure

    def apply(self, mix: SoundMix, transition_s: float, easing: Easing) -> None:
        """Go from what plays now to `mix` over transition_s seconds of wall time.

        Sources are opened here (decoding a file the first time), so the call can take a
        moment; the ramp still ends transition_s after the call. A source that cannot be
        opened is logged and left out; the rest of the mix plays.
        """
        mixer = self._require_mixer()
        deadline = time.monotonic() + max(0.0, transition_s)
        targets: list[Target] = []
        for voice in mix:
            if voice.gain <= 0.0:
                continue
            try:
                source = open_source(
                    voice.source, mixer.rate, mixer.channels, self.sounds_dir, loop=voice.loop
                )
            except (SourceError, OSError) as error:
                _LOGGER.error("Cannot play sound %s: %s", voice.source, error)
                continue
            targets.append(Target(voice.source, min(voice.gain, self.max_gain), source))
        self._submit(_Plan(tuple(targets), deadline, easing))

    def preload(self, mix: SoundMix) -> None:
        """Decode, resample or generate a mix's sources now, so a later apply is quick."""
        mixer = self._require_mixer()
        for voice in mix:
            try:
                open_source(
                    voice.source, mixer.rate, mixer.channels, self.sounds_dir, loop=voice.loop
                )
            except (SourceError, OSError) as error:
                _LOGGER.error("Cannot load sound %s: %s", voice.source, error)

    def hold(self) -> None:
        """Freeze every voice at its current gain (pause)."""
        self._submit(_Plan((), 0.0, "linear", hold=True))

    def silence(self) -> None:
        """Silence everything within one block, with a ramp of a few ms (emergency)."""
        self._submit(_Plan((), time.monotonic() + SILENCE_RAMP_S, "linear"))

    def stop(self) -> None:
        """Close the output; the engine can be started again."""
        self._stopping.set()
        if self._monitor is not None:
            self._monitor.join()
            self._monitor = None
        self._next_underrun_report = 0.0
        self._report_underruns()  # the last ones too, however recent the last report
        self._close()
        self._drain_retired()

    def _require_mixer(self) -> Mixer:
        """Return the mixer, or raise when the engine has not been started."""
        if self._mixer is None:
            raise RuntimeError("AudioEngine.start() has not been called")
        return self._mixer

    def _submit(self, plan: _Plan) -> None:
        """Hand a plan to the callback and remember it for a restored output."""
        self._require_mixer()
        self._last_plan = plan
        self._plans.put(plan)

    def _open(self, audio: pyaudio.PyAudio, device: OutputDevice) -> None:
        """Open and start the stream on a device."""
        mixer = self._require_mixer()
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
        self._realtime = None
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

    def _close(self) -> None:
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

    def _callback(
        self, _in_data: bytes | None, frames: int, _time_info: Any, status: int
    ) -> tuple[bytes, int]:
        """Render the next block (PortAudio's thread): adopt new plans, mix, return bytes."""
        began = time.perf_counter()
        mixer = self._mixer
        assert mixer is not None  # set before any stream exists
        if self._realtime is None:
            self._realtime = _raise_priority()
        if status & pyaudio.paOutputUnderflow:
            self.underruns += 1
        try:
            while True:
                try:
                    plan = self._plans.get_nowait()
                except queue.Empty:
                    break
                self._adopt(mixer, plan)
            data = mixer.render(frames).tobytes()
        except Exception as error:  # reported by the monitor; raising here would kill the stream
            self._callback_error = error
            data = bytes(frames * mixer.channels * 4)
        self._last_callback = time.monotonic()
        self.callback_seconds += time.perf_counter() - began
        return data, pyaudio.paContinue

    def _adopt(self, mixer: Mixer, plan: _Plan) -> None:
        """Start a plan at the mixer's current frame."""
        if plan.hold:
            mixer.hold()
            return
        remaining = plan.deadline - time.monotonic()
        frames = round(max(remaining, MIN_RAMP_S) * mixer.rate)
        mixer.retarget(plan.targets, frames, plan.easing)

    def _drain_retired(self) -> None:
        """Drop sources the mixer retired, outside the callback."""
        with contextlib.suppress(queue.Empty):
            while True:
                self._retired.get_nowait()

    def _watch(self, closed: bool) -> None:
        """Watch the stream until stop(); on failure report it and reopen with backoff."""
        if closed:
            self._retry()
        logged_realtime: bool | None = None
        while not self._stopping.wait(MONITOR_PERIOD_S):
            self._drain_retired()
            self._report_underruns()
            if self._realtime is not None and self._realtime != logged_realtime:
                logged_realtime = self._realtime
                _LOGGER.info(
                    "Audio thread %s real-time priority",
                    "has" if logged_realtime else "runs without (not permitted)",
                )
            if self._callback_error is not None:
                _LOGGER.error("Audio callback failed: %r", self._callback_error)
                self._callback_error = None
            problem = self._problem()
            if problem is not None:
                self._recover(problem)

    def _report_underruns(self) -> None:
        """Log the underruns since the last report, at most once per report period."""
        now = time.monotonic()
        if self.underruns > self._underruns_reported and now >= self._next_underrun_report:
            _LOGGER.warning(
                "Sound output underran %d time(s): the machine was too busy to feed it in "
                "time, and the room heard a gap",
                self.underruns - self._underruns_reported,
            )
            self._underruns_reported = self.underruns
            self._next_underrun_report = now + UNDERRUN_REPORT_PERIOD_S

    def _problem(self) -> str | None:
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

    def _recover(self, problem: str) -> None:
        """Report the output down, retry it with capped backoff, and report it back up."""
        _LOGGER.warning("Sound output failed: %s", problem)
        self._close()
        self._report(False, problem)
        self._retry()

    def _retry(self) -> None:
        """Reopen the output with capped backoff until it plays or stop() is called."""
        delay = RETRY_FIRST_S
        while not self._stopping.wait(delay):
            try:
                self._reopen()
            except AudioOutputError as error:
                self._unavailable.log(
                    logging.INFO, "unavailable", "Sound output still unavailable: %s", error
                )
                delay = min(delay * 2.0, RETRY_MAX_S)
                continue
            self._unavailable.reset("unavailable")
            self._report(True, f"sound output {self.output!r} is back")
            return

    def _reopen(self) -> None:
        """Open the configured output again and restore the current mix with a fade-in."""
        mixer = self._require_mixer()
        audio = open_portaudio()
        try:
            device = find_output(audio, self.output)
            mixer.fade_in_master(round(RESTORE_RAMP_S * mixer.rate))
            if self._last_plan is not None:
                self._plans.put(self._last_plan)
            self._open(audio, device)
        except BaseException:
            audio.terminate()
            raise

    def _report(self, online: bool, reason: str) -> None:
        """Tell the owner about a change of health."""
        if self._on_health is not None:
            try:
                self._on_health(online, reason)
            except Exception:
                _LOGGER.exception("on_health callback failed")


def _raise_priority() -> bool:
    """Give the audio threads real-time priority if the system permits; return whether it did.

    That is the calling thread (PortAudio's callback) and, when the output is a PulseAudio
    or PipeWire server reached through ALSA, libpulse's client thread ("threaded-ml") that
    carries the samples on to the server: a late hand-over there underruns just the same.
    """
    threads = [0]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{os.getpid()}/task").iterdir():
            if (task / "comm").read_text().strip() == PULSE_CLIENT_THREAD:
                threads.append(int(task.name))
    try:
        for thread in threads:
            os.sched_setscheduler(thread, os.SCHED_FIFO, os.sched_param(REALTIME_PRIORITY))
    except (OSError, AttributeError):
        return False
    return True
