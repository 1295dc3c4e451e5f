"""The bench's handle on its simulated lights: a `python -m bench.device_server` process."""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from bench.tap import Tap

# The repo root, where `python -m bench.device_server` finds the bench package.
ROOT = Path(__file__).resolve().parent.parent
# How long the bench waits for all simulated lights to connect: 300 paho clients take a
# few seconds on a loaded two-core machine.
READY_TIMEOUT_S = 120.0
# How long the bench waits for an answer that involves no waiting on the lights.
ANSWER_TIMEOUT_S = 30.0
# Stopping says offline for every light; 300 lights take a few seconds.
STOP_TIMEOUT_S = 30.0
# zigbee2mqtt's and Tasmota's full-brightness values.
_Z2M_FULL = 254
_TASMOTA_FULL = "Dimmer 100"


def full_brightness(payload: str) -> bool:
    """Tell whether a zigbee2mqtt or Tasmota command sets full brightness at once."""
    if payload.startswith("{"):
        data = json.loads(payload)
        return bool(data.get("brightness") == _Z2M_FULL and data.get("transition", 0) == 0)
    return _TASMOTA_FULL in payload and "Speed2" not in payload


class DeviceProcess:
    """The bench's handle on a device server process (see bench.device_server)."""

    def __init__(self, broker_url: str, room_files: list[Path], log: Path) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.device_server", "--broker", broker_url]
            + [str(path) for path in room_files],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._lock = threading.Lock()  # one request and its answer at a time
        self._read(READY_TIMEOUT_S)  # {"ready": [room ids]}

    def ask(self, **request: Any) -> dict[str, Any]:
        """Send one request and return its answer (safe from several threads)."""
        stdin = self.process.stdin
        assert stdin is not None
        with self._lock:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
            timeout = float(request.get("timeout", 0.0)) + ANSWER_TIMEOUT_S
            return self._read(timeout)

    def tap(self, broker_url: str) -> Tap:
        """Start a tap on every light's command topics (see bench.tap)."""
        topics: list[str] = self.ask(op="topics")["topics"]
        return Tap(broker_url, topics)

    def _read(self, timeout: float) -> dict[str, Any]:
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        line = _readline(stdout, timeout)
        if not line:
            raise RuntimeError(f"simulated devices stopped: see {self._log.name}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        """Close stdin (the process stops its lights and exits) and wait for it."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _readline(stream: IO[str], timeout: float) -> str:
    """Return one line from a pipe, or raise TimeoutError after `timeout` seconds."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError(f"no answer from the simulated devices within {timeout:.0f} s")
    return stream.readline()
