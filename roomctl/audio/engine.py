"""The sound output of a room: sources and a mixer played by a stream, kept up by a watchdog.

Threads: the room's thread calls apply/hold/silence, which do the heavy work (decoding,
resampling, building tables) and then hand a plan to the real-time stream
(roomctl.audio.stream), whose callback adopts it without waiting on anything the room
holds. The watchdog (roomctl.audio.watchdog) frees retired sources outside the callback,
logs underruns (roomctl.audio.underruns), and reopens the output with backoff when it
fails, reporting through on_health.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
from pathlib import Path

from roomctl.audio.device import MAX_CHANNELS, OutputDevice, find_output, open_portaudio
from roomctl.audio.errors import AudioOutputError, SourceError
from roomctl.audio.mixer import Mixer, Target
from roomctl.audio.sources import Source, open_source
from roomctl.audio.stream import OutputStream, Plan
from roomctl.audio.underruns import Underruns
from roomctl.audio.watchdog import HealthCallback, Watchdog
from roomctl.core.easing import Easing
from roomctl.core.levels import SoundMix

_LOGGER = logging.getLogger(__name__)

# Emergency silence ramps down over this: a few ms, no click, done well within 100 ms.
SILENCE_RAMP_S = 0.005
# When the output comes back the mix fades in over this instead of starting mid-wave.
RESTORE_RAMP_S = 0.5
# Rate of an output not found at start, so sounds can be prepared before it appears:
# 48 kHz is what most outputs and sound servers run at natively.
FALLBACK_RATE = 48_000


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
        self._retired: queue.SimpleQueue[Source] = queue.SimpleQueue()
        self._last_plan: Plan | None = None
        self._underruns = Underruns()
        self._stream: OutputStream | None = None
        self._watchdog: Watchdog | None = None

    @property
    def online(self) -> bool:
        """Return whether the output is open and playing."""
        return self._stream is not None and self._stream.online

    @property
    def rate(self) -> int:
        """Return the stream's sample rate (after start)."""
        return self._require_stream().mixer.rate

    @property
    def channels(self) -> int:
        """Return the stream's channel count (after start)."""
        return self._require_stream().mixer.channels

    @property
    def device(self) -> OutputDevice | None:
        """Return the output device in use, if started."""
        return self._stream.device if self._stream is not None else None

    @property
    def output_latency_s(self) -> float:
        """Return PortAudio's estimate of the output latency, or 0 when not open."""
        return self._stream.latency_s if self._stream is not None else 0.0

    @property
    def underruns(self) -> int:
        """Return how many times the output underran (a gap the room heard) since creation."""
        return self._underruns.count

    @property
    def callback_seconds(self) -> float:
        """Return the time spent in the audio callback since start."""
        return self._stream.callback_seconds if self._stream is not None else 0.0

    def gains(self) -> dict[str, float]:
        """Return each voice's gain as of the last block played."""
        return self._require_stream().mixer.gains()

    def start(self) -> None:
        """Open the output and start playing (silence until the first apply).

        Raises AudioOutputError, naming the available outputs, when the output does not
        exist or will not open. The engine then keeps trying in the background, as after
        a failure mid-session: apply() works meanwhile, and on_health(True, ...) reports
        the output once it plays. stop() ends the trying.
        """
        if self._watchdog is not None:
            raise RuntimeError("AudioEngine is already started")
        failure: AudioOutputError | None = None
        audio = open_portaudio()
        try:
            device = find_output(audio, self.output)
        except AudioOutputError as error:
            audio.terminate()
            failure, device = error, None
        rate = self._requested_rate or (device.default_rate if device else FALLBACK_RATE)
        channels = device.channels if device else MAX_CHANNELS
        stream = OutputStream(
            Mixer(rate, channels, self.max_gain, self._retired.put), self._underruns
        )
        self._stream = stream
        if device is not None:
            try:
                stream.open(audio, device)
            except AudioOutputError as error:
                audio.terminate()
                failure = error
        self._watchdog = Watchdog(
            stream,
            self._reopen,
            output=self.output,
            on_health=self._on_health,
            chores=self._drain_retired,
        )
        self._watchdog.start(closed=failure is not None)
        if failure is not None:
            raise failure

    def apply(self, mix: SoundMix, transition_s: float, easing: Easing) -> None:
        """Go from what plays now to `mix` over transition_s seconds of wall time.

        Sources are opened here (decoding a file the first time), so the call can take a
        moment; the ramp still ends transition_s after the call. A source that cannot be
        opened is logged and left out; the rest of the mix plays.
        """
        mixer = self._require_stream().mixer
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
        self._submit(Plan(tuple(targets), deadline, easing))

    def preload(self, mix: SoundMix) -> None:
        """Decode, resample or generate a mix's sources now, so a later apply is quick."""
        mixer = self._require_stream().mixer
        for voice in mix:
            try:
                open_source(
                    voice.source, mixer.rate, mixer.channels, self.sounds_dir, loop=voice.loop
                )
            except (SourceError, OSError) as error:
                _LOGGER.error("Cannot load sound %s: %s", voice.source, error)

    def hold(self) -> None:
        """Freeze every voice at its current gain (pause)."""
        self._submit(Plan((), 0.0, "linear", hold=True))

    def silence(self) -> None:
        """Silence everything within one block, with a ramp of a few ms (emergency)."""
        self._submit(Plan((), time.monotonic() + SILENCE_RAMP_S, "linear"))

    def stop(self) -> None:
        """Close the output; the engine can be started again."""
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        self._underruns.report(final=True)  # the last ones too, however recent the last report
        if self._stream is not None:
            self._stream.close()
        self._drain_retired()

    def _require_stream(self) -> OutputStream:
        """Return the stream, or raise when the engine has not been started."""
        if self._stream is None:
            raise RuntimeError("AudioEngine.start() has not been called")
        return self._stream

    def _submit(self, plan: Plan) -> None:
        """Hand a plan to the callback and remember it for a restored output."""
        stream = self._require_stream()
        self._last_plan = plan
        stream.submit(plan)

    def _reopen(self) -> None:
        """Open the configured output again and restore the current mix with a fade-in."""
        stream = self._require_stream()
        audio = open_portaudio()
        try:
            device = find_output(audio, self.output)
            stream.mixer.fade_in_master(round(RESTORE_RAMP_S * stream.mixer.rate))
            if self._last_plan is not None:
                stream.submit(self._last_plan)
            stream.open(audio, device)
        except BaseException:
            audio.terminate()
            raise

    def _drain_retired(self) -> None:
        """Drop sources the mixer retired, outside the callback."""
        with contextlib.suppress(queue.Empty):
            while True:
                self._retired.get_nowait()
