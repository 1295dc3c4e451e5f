"""Real-time scheduling for the threads that carry a room's samples to the speakers."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

# The name libpulse gives its client thread (see raise_priority).
PULSE_CLIENT_THREAD = "threaded-ml"
# Real-time priority asked for PortAudio's callback thread (when the system allows it, e.g.
# as root or with an rtprio limit): low among real-time threads, above every normal one,
# so a busy machine does not make the output underrun.
REALTIME_PRIORITY = 10


def raise_priority() -> bool:
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
