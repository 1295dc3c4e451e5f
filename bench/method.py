"""How each figure is measured: the notes printed under the README table."""

from __future__ import annotations

from typing import Any

from bench.targets import THREADS_SLACK

# How the machine's stalls beside each cue figure are found (bench.stalls).
MACHINE_METHOD = (
    "The machine's stalls: a thread pinned to each core (`python -m bench.stalls`, "
    "real-time class as root) sleeps 2 ms at a time and notes each wake-up 10 ms late "
    "or more, when the machine (its kernel or its host) ran no process there; an event "
    "whose planned instant to arrival spans such a stall was held by the machine, and "
    "the others' p99 is shown beside (a reference: every row is judged on all events). "
    "Without root the watchers are ordinary threads, and a stall they spent mostly "
    "waiting for a core (`run_delay`) counts as this bench's own load instead."
)

# How each figure is measured, printed under the README table.
METHOD = (
    "- One machine: Mosquitto (with `set_tcp_nodelay true`), `roomctl run` as a child "
    "process, simulated lights (roomctl.demo.sim) in another, supervisors as paho clients "
    "with TCP_NODELAY in the bench. Percentiles come from many trials; each ratio's two "
    "sides come from the same run.",
    "- Pause: pause and resume in rotation over 4 rooms of one daemon, each in a one-hour "
    "fade on 6 lights (2 zigbee2mqtt, tasmota, wled, shelly, mqtt_json). A light's freeze "
    "is the last command it receives before the resume, timed where the broker hands it "
    "over: a `mosquitto_sub` on the lights' command topics stamps each message (wall "
    "clock, nanoseconds), as a light with a processor of its own would receive it; the "
    "simulated lights, dozens of paho threads in one Python process, log it later (the "
    "row below it, CLOCK_MONOTONIC). The emergency's 12th light is timed the same way.",
    "- Emergency: 12 lights (6 zigbee2mqtt sharing one 5/s network, 6 stepped Tasmotas) "
    "in one-minute fades, called 0.1-0.3 s after a resume re-planned all 12, so the Zigbee "
    "queue is full; each light's last command must set full brightness.",
    "- Cue timing: 12-s phases with every light fading through each and 5 cues inside; "
    "sessions started over 2 s; the phase and cue events planned from 1 s after the last "
    "start are timed where the broker hands them over (a `mosquitto_sub` on every room's "
    "events, wall clock, nanoseconds: as a staff tablet with a processor of its own has "
    "them) against the daemon's session start plus the planned session time; their "
    "arrival at the bench's own Python subscriber is shown as a reference. The start is the "
    "`session_started` ts (milliseconds) narrowed by the start command's send and reply "
    "times. `daemon ts` is the event's own ts against the same instant. " + MACHINE_METHOD,
    "- Scale: the cue profile without simulated lights (commands reach the broker, nothing "
    "answers) in 50, 200 and 500 rooms of one daemon, as many as fit the time budget "
    "(`make bench-scale` runs every size five times). Threads: `Threads` in "
    "/proc/PID/status of the `roomctl run` child at the window's end, every session "
    "fading; peak RSS: its VmHWM.",
    "- Idle: two one-room daemons with simulated lights, one without a session and one "
    "holding a scene; CPU time from /proc/PID/stat (utime+stime, 10 ms ticks) and from "
    "each thread's schedstat (ns), measured while the scale steps run (each idle daemon "
    "serves a profiles folder of its own, so the other parts' profile writes do not make "
    "it rebuild its catalog).",
    "- Memory: peak RSS (VmHWM). Audio: a private PulseAudio null sink playing brown "
    "noise at -30 dB, recorded back to check it sounds.",
    "- Fade economy: plan_fade and each adapter for a 5 % → 100 % fade at 3000 K over "
    "20 minutes per easing (linear/s-curve/ease-in/ease-out), replayed as the lights run "
    "it; live: one zigbee2mqtt light through the daemon at high speed.",
)
# How issue 14's rows are measured (also printed alone by `python -m bench --only backlog`).
BACKLOG_METHOD = (
    "- Emergency under load: a room of 12 lights (6 zigbee2mqtt, 6 Tasmota) in a session "
    "holding 30 %; each trial is timed from the emergency's publish to the 12th light's "
    "first full-brightness command, on arrival at the simulated light; none within 5 s is "
    "a miss (> 5000 ms). Between trials the room has handled every junk command (a "
    "refused start sent after them has its reply), then it is released and resumed. "
    "Quiet: nothing queued. Junk: 500 `garbage` lines published at QoS 1 by "
    "`mosquitto_pub -l` (all acknowledged by the broker) just before the emergency. "
    "Flood: 2,000 refused commands from three `mosquitto_pub -l` clients at once "
    "(unparsable, a start while active, an unknown action), the emergency sent when the "
    "first client has finished; Mosquitto keeps its default `max_queued_messages` (1000). "
    "Junk and flood run twice: the emergency sent to `roomctl/R/cmd`, behind the junk, "
    "and to `roomctl/R/emergency`, as `roomctl emergency` sends it. "
    "Frozen disk: the daemon's `--state-dir` on a loop-mounted ext4 image frozen with "
    "`fsfreeze -f` (root only), a pause sent, then the emergency; thawed once all 12 "
    "lights are at full or after 5 s; the pause's reply is timed from its send. Each row "
    "runs up to 40/15/6/4 trials (quiet/junk/flood/frozen) while they fit a 12-s budget "
    "per row (bench-quick: 10/3/1/1, 3 s).",
)


def scale_method(scale: dict[str, Any]) -> tuple[str, ...]:
    """Return how issue 15's repeated rows were measured (`make bench-scale`), from its results."""
    runs, sizes = len(scale["runs"]), scale["sizes"]
    cue_rooms, window_s = scale["cue_rooms"], scale["window_s"]
    lit_window_s = scale.get("cue_window_s", window_s)
    shown = ", ".join(str(n) for n in sizes[:-1]) + f" and {sizes[-1]}" if len(sizes) > 1 else ""
    return (
        "- One machine: Mosquitto (with `set_tcp_nodelay true`), `roomctl run` as a child "
        "process, simulated lights (roomctl.demo.sim) in another, the supervisor in the "
        f"bench. {runs} runs, one after the other; each row shows the worst run, then every "
        "run.",
        f"- Pause: as in `make bench` (4 rooms in a one-hour fade on 6 lights, a 12-light room "
        "fading in the same daemon), "
        f"{scale.get('pause_trials', 0)} pauses per run, each beside an echo round trip "
        "(TCP_NODELAY); each run's p99 is judged against 4 x that run's round-trip p99 "
        "(the reply also against 20 ms). A freeze is timed where the broker hands it over "
        "(a `mosquitto_sub` on the lights' topics); the simulated lights' own log is shown "
        "as a reference.",
        "- Cue timing: as in `make bench` (12-s phases, every light fading, 5 cues inside; "
        "sessions started over 2 s; the events of a window timed where the broker hands "
        "them over, against the daemon's session start plus the planned session time), "
        f"{cue_rooms} rooms x 6 simulated lights, a {lit_window_s:.0f}-s window.",
        "- Scale: the same profile without simulated lights in "
        f"{shown or sizes[0]} rooms of one daemon, a {window_s:.0f}-s window. "
        f"{MACHINE_METHOD} Threads: `Threads` in /proc/PID/status of "
        "the `roomctl run` child at the window's end, every session fading; peak RSS: its "
        "VmHWM. Threads count as constant when the most at the largest size exceed the "
        f"fewest at the smallest by at most {THREADS_SLACK}.",
    )
