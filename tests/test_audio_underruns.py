"""Unit tests of underrun accounting, with an explicit clock."""

from __future__ import annotations

import logging

import pytest

from roomctl.audio import Underruns
from roomctl.audio.underruns import UNDERRUN_REPORT_PERIOD_S


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reported(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "roomctl.audio.underruns"]


def test_underruns_are_logged_with_their_count_at_most_once_a_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    underruns = Underruns(clock)
    caplog.set_level(logging.WARNING, logger="roomctl.audio.underruns")
    underruns.report()  # nothing to say yet
    for _ in range(3):
        underruns.add()
    underruns.report()
    underruns.add()
    clock.now += UNDERRUN_REPORT_PERIOD_S - 1.0
    underruns.report()  # within the period: held back
    assert len(reported(caplog)) == 1
    clock.now += 1.0
    underruns.report()
    underruns.report()  # nothing new
    messages = reported(caplog)
    assert underruns.count == 4
    assert len(messages) == 2
    assert messages[0].startswith("Sound output underran 3 time(s)")
    assert messages[1].startswith("Sound output underran 1 time(s)")


def test_the_final_report_does_not_wait_for_the_period(caplog: pytest.LogCaptureFixture) -> None:
    underruns = Underruns(Clock())
    caplog.set_level(logging.WARNING, logger="roomctl.audio.underruns")
    underruns.add()
    underruns.report()
    underruns.add()
    underruns.add()
    underruns.report(final=True)
    assert [m.split(":")[0] for m in reported(caplog)] == [
        "Sound output underran 1 time(s)",
        "Sound output underran 2 time(s)",
    ]
