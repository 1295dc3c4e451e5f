"""The targets the bench's figures are judged against (issues 6, 14 and 15)."""

from __future__ import annotations

# Issue 6's targets, where issue 15 did not replace them.
PAUSE_P99_MS = 20.0
EMERGENCY_P99_MS = 30.0
IDLE_PCT = 0.5
ROOMS_100_RSS_MB = 250.0
STARTUP_S = 1.5
# Issue 15's: the pause's reply and last light's freeze within 4 x the MQTT round trip's
# p99; cue timing at 50 rooms x 6 lights; cue timing of 500 rooms in one process; one
# room with sound in at most 100 MB.
PAUSE_BASELINE_FACTOR = 4.0
CUE_P99_MS = 10.0
SCALE_P99_MS = 20.0
SCALE_ROOMS = 500
AUDIO_RSS_MB = 100.0
# "Threads constant in rooms": the most threads at the largest size may exceed those at
# the smallest by this many. The daemon's threads are fixed (network loop, connector,
# room pool, journal writer, log writer); none: a thread per room would show as hundreds.
THREADS_SLACK = 0


def pause_limits_ms(rtt_p99_ms: float) -> dict[str, float]:
    """Return a run's pause reply and last light's freeze p99 limits from its round trip p99."""
    ratio = PAUSE_BASELINE_FACTOR * rtt_p99_ms
    return {"reply": min(PAUSE_P99_MS, ratio), "last_light": ratio}
