"""The watchdog: a thread that watches the output stream and reopens it when it fails.

Every MONITOR_PERIOD_S it does the chores the callback must not do (freeing retired
sources, logging underruns, logging the callback's errors and its priority) and checks
the stream. A stream that stopped or stalled is closed, reported down through on_health,
and reopened with capped exponential backoff with jitter (roomctl.backoff, as the MQTT
bus retries its broker) until it plays again, then reported up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from roomctl.audio.errors import AudioOutputError
from roomctl.audio.stream import OutputStream
from roomctl.backoff import Backoff
from roomctl.logs import RateLimitedLog

_LOGGER = logging.getLogger(__name__)

HealthCallback = Callable[[bool, str], None]

# The watchdog looks at the stream this often: quick enough to report a failure within a
# second, rare enough to cost nothing.
MONITOR_PERIOD_S = 0.2
# Reopening a failed output: waits grow from RETRY_FIRST_S, doubling up to RETRY_MAX_S
# (each with jitter, between half and all of its ceiling), so a missing device is polled
# gently while a restarted sound server is caught quickly.
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0
# A missing output is retried every RETRY_MAX_S or so for as long as it is missing: the
# log says so once in this period (with a count), not at every retry.
UNAVAILABLE_REPORT_PERIOD_S = 600.0


class Watchdog:
    """Watch a stream on a thread of its own; on failure report it and reopen with backoff."""

    def __init__(
        self,
        stream: OutputStream,
        reopen: Callable[[], None],
        *,
        output: str | int,
        on_health: HealthCallback | None = None,
        chores: Callable[[], None] = lambda: None,
        backoff: Backoff | None = None,
    ) -> None:
        self._stream = stream
        self._reopen = reopen
        self._output = output
        self._on_health = on_health
        self._chores = chores
        self._backoff = backoff or Backoff(RETRY_FIRST_S, RETRY_MAX_S)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unavailable = RateLimitedLog(_LOGGER, UNAVAILABLE_REPORT_PERIOD_S)
        self._logged_realtime: bool | None = None

    def start(self, *, closed: bool) -> None:
        """Start watching; with `closed` the output is not open yet and is retried first."""
        if self._thread is not None:
            raise RuntimeError("Watchdog is already started")
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._watch, args=(closed,), name="audio-monitor", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and retrying; return once the thread has ended."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _watch(self, closed: bool) -> None:
        """Check the stream every period until stop(); recover it when it fails."""
        if closed:
            self._retry()
        while not self._stopping.wait(MONITOR_PERIOD_S):
            self._chores()
            self._stream.underruns.report()
            self._log_callback()
            problem = self._stream.problem()
            if problem is not None:
                self._recover(problem)

    def _log_callback(self) -> None:
        """Log what the callback could not: its priority once it is known, and its errors."""
        realtime = self._stream.realtime
        if realtime is not None and realtime != self._logged_realtime:
            self._logged_realtime = realtime
            _LOGGER.info(
                "Audio thread %s real-time priority",
                "has" if realtime else "runs without (not permitted)",
            )
        error = self._stream.take_error()
        if error is not None:
            _LOGGER.error("Audio callback failed: %r", error)

    def _recover(self, problem: str) -> None:
        """Report the output down, retry it with backoff, and report it back up."""
        _LOGGER.warning("Sound output failed: %s", problem)
        self._stream.close()
        self._report(False, problem)
        self._retry()

    def _retry(self) -> None:
        """Reopen the output with backoff until it plays or stop() is called."""
        self._backoff.reset()
        while not self._stopping.wait(self._backoff.next_delay()):
            try:
                self._reopen()
            except AudioOutputError as error:
                self._unavailable.log(
                    logging.INFO, "unavailable", "Sound output still unavailable: %s", error
                )
                continue
            self._unavailable.reset("unavailable")
            self._report(True, f"sound output {self._output!r} is back")
            return

    def _report(self, online: bool, reason: str) -> None:
        """Tell the owner about a change of health."""
        if self._on_health is not None:
            try:
                self._on_health(online, reason)
            except Exception:
                _LOGGER.exception("on_health callback failed")
