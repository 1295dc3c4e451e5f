"""Underrun accounting: the audio callback counts gaps, the watchdog logs them now and then."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

# Underruns (gaps a listener hears) are logged at most this often, with the count since the
# last report: an IT person sees that the machine is too busy to feed the output, without
# a log line per gap on a machine that is starved for minutes.
UNDERRUN_REPORT_PERIOD_S = 60.0


class Underruns:
    """Count an output's underruns and log the new ones at most once a report period.

    `add` is called from the real-time callback and only increments a counter; `report`
    runs on another thread and reads it, so the callback never waits for the log.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.count = 0
        self._clock = clock
        self._reported = 0
        self._next_report = 0.0

    def add(self) -> None:
        """Count one underrun (the audio callback's thread)."""
        self.count += 1

    def report(self, *, final: bool = False) -> None:
        """Log the underruns since the last report, if a period has passed or `final`."""
        now = self._clock()
        count = self.count
        if count > self._reported and (final or now >= self._next_report):
            _LOGGER.warning(
                "Sound output underran %d time(s): the machine was too busy to feed it in "
                "time, and the room heard a gap",
                count - self._reported,
            )
            self._reported = count
            self._next_report = now + UNDERRUN_REPORT_PERIOD_S
