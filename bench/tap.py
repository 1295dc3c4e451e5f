"""When each light's command reached the broker's subscribers: a `mosquitto_sub` on the side.

The simulated lights run 36 to a Python process, one paho thread each; a light's arrival
time is read when its thread gets the interpreter, after its neighbours' commands and
echoes, up to ~5 ms after the broker sent it. A real light has a processor of its own.
This tap is one C subscriber doing nothing else: it stamps each message on the wall clock
(`-F %U`, nanoseconds) as the broker hands it over, which is when a light with its own
processor would have it. The bench finds there the very command (topic and payload) the
simulated light logged, and reports both times.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import defaultdict

from roomctl.mqtt.broker_url import parse_broker_url

# One line per message: wall-clock arrival, topic, payload (which may hold spaces).
FORMAT = "%U %t %p"
# A command the simulated light logged reaches the tap first (the tap does nothing else);
# the tap's line is looked for this long before the command counts as not seen there.
FIND_TIMEOUT_S = 1.0
# How often a search for a line not yet read looks again.
FIND_POLL_S = 0.001
# How long stop() waits for the subscriber to exit after it is told to.
STOP_TIMEOUT_S = 5.0
# How long the broker may take to confirm the subscription (`-d` prints its SUBACK): it
# takes milliseconds; seconds mean the broker is not there.
SUBSCRIBE_TIMEOUT_S = 10.0
# What `mosquitto_sub -d` prints once the broker has confirmed the subscriptions.
SUBSCRIBED = "received SUBACK"


class Tap:
    """A `mosquitto_sub` on the given topic filters, every message kept with its arrival."""

    def __init__(self, broker_url: str, topics: list[str]) -> None:
        broker = parse_broker_url(broker_url)
        # stdbuf: mosquitto_sub's output to a pipe is otherwise held in 4 KiB blocks.
        args = ["stdbuf", "-oL", "mosquitto_sub", "-h", broker.host, "-p", str(broker.port)]
        args += ["-q", "0", "-d"]
        for topic in topics:
            args += ["-t", topic]
        self.process = subprocess.Popen(
            [*args, "-F", FORMAT],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self._lock = threading.Lock()
        self._seen: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self._subscribed = threading.Event()
        self._ended = False
        self._reader = threading.Thread(target=self._read, name="bench-tap", daemon=True)
        self._reader.start()
        if not self._subscribed.wait(SUBSCRIBE_TIMEOUT_S) or self._ended:
            self.stop()
            raise RuntimeError(f"the tap's subscription at {broker} was not confirmed")

    def arrival(self, topic: str, payload: str, after_wall: float) -> float | None:
        """Return the wall time the first such message after `after_wall` arrived, or None."""
        deadline = time.monotonic() + FIND_TIMEOUT_S
        while True:
            with self._lock:
                for wall, seen in self._seen.get(topic, ()):
                    if wall > after_wall and seen == payload:
                        return wall
            if time.monotonic() > deadline:
                return None
            time.sleep(FIND_POLL_S)

    def seen(self) -> list[tuple[float, str, str]]:
        """Return every message so far: its arrival (wall clock), topic and payload."""
        with self._lock:
            return [
                (wall, topic, text) for topic, seen in self._seen.items() for wall, text in seen
            ]

    def forget(self, before_wall: float) -> None:
        """Drop what arrived before `before_wall` (keeps searches short over a long run)."""
        with self._lock:
            for topic, seen in self._seen.items():
                self._seen[topic] = [entry for entry in seen if entry[0] >= before_wall]

    def stop(self) -> None:
        """End the subscriber."""
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            stamp, _, rest = line.rstrip("\n").partition(" ")
            topic, _, payload = rest.partition(" ")
            try:
                wall = float(stamp)
            except ValueError:  # -d's own lines: the one wanted says it is subscribed
                if SUBSCRIBED in line:
                    self._subscribed.set()
                continue
            with self._lock:
                self._seen[topic].append((wall, payload))
        self._ended = True  # the subscriber exited (or could not connect)
        self._subscribed.set()
