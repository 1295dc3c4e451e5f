"""One bench run's resources: its work folder, broker, room files, supervisor and children."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.daemon import DaemonProcess
from bench.plan import Plan
from bench.rooms import SIX_LIGHTS, BenchFiles
from bench.supervisor import Supervisor
from tests.fixtures.broker import Mosquitto

# The repo root: where helper processes (`python -m bench.echo`) find the bench package.
ROOT = Path(__file__).resolve().parent.parent
# Mosquitto sends each packet at once: without it every QoS 1 exchange can wait for a
# delayed ACK (40 ms on Linux), which no client can avoid (see the default-broker row).
BROKER_CONFIG = "set_tcp_nodelay true"
# A helper (echo) stops within this long of its stdin closing.
HELPER_STOP_TIMEOUT_S = 10.0


class Bench:
    """One bench run: its work folder, broker, files, supervisor and results."""

    def __init__(self, plan: Plan, work: Path, seed: int, stack: ExitStack) -> None:
        self.plan = plan
        self.work = work
        self.rng = random.Random(seed)
        self.stack = stack
        self.started = time.monotonic()
        self.broker = Mosquitto(workdir=self.dir("broker"), extra_config=BROKER_CONFIG)
        self.broker.start()
        stack.callback(self.broker.stop)
        self.files = BenchFiles(work / "profiles")
        # The idle daemons serve a folder of their own: the other parts write profiles into
        # the shared one while the idle window runs, and each write has every daemon that
        # serves it check and draw its catalog again (work, but not an idle daemon's).
        self.idle_files = BenchFiles(work / "idle-profiles")
        self.idle_rooms = (
            self.idle_files.room("idle-none", SIX_LIGHTS),
            self.idle_files.room("idle-session", SIX_LIGHTS),
        )
        self.finish_idle: Callable[[], dict[str, Any]] | None = None
        self.sup = Supervisor(self.broker.url)
        stack.callback(self.sup.close)
        self._daemons = 0
        self.results: dict[str, Any] = {"mode": plan.name}
        # The machine's own stalls, beside every cue run (see bench.stalls).
        self.stalls = self.dir("machine") / "stalls.txt"
        self.process("bench.stalls", ["--out", str(self.stalls)], "stalls.log")

    def dir(self, name: str) -> Path:
        """Return a folder of the work folder, made if needed."""
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def say(self, text: str) -> None:
        """Show progress on stderr (the tables go to stdout)."""
        print(f"[{time.monotonic() - self.started:5.0f} s] {text}", file=sys.stderr, flush=True)

    def daemon(
        self,
        rooms: list[Path],
        name: str,
        *,
        sound: bool = False,
        env: dict[str, str] | None = None,
        speed: float = 1.0,
        state_dir: Path | None = None,
        profiles: Path | None = None,
    ) -> DaemonProcess:
        """Start `roomctl run` for rooms, with its own fresh journal (or `state_dir`) and log.

        Its profiles are the bench's shared folder unless `profiles` names another.
        """
        self._daemons += 1
        label = f"{self._daemons:02d}-{name}"
        daemon = DaemonProcess(
            rooms,
            self.broker.url,
            profiles or self.files.sessions,
            state_dir or self.dir("state") / label,
            self.dir("logs") / f"{label}.log",
            sound=sound,
            speed=speed,
            env=env,
        )
        self.stack.callback(daemon.stop)  # again after a failure; a no-op once stopped
        return daemon

    def process(self, module: str, args: list[str], log: str) -> subprocess.Popen[str]:
        """Start `python -m module args` that prints `ready`; stop it when the run ends."""
        out = (self.dir("logs") / log).open("a")
        child = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
        )
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{module} did not start: see {out.name}")

        def stop() -> None:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=HELPER_STOP_TIMEOUT_S)
            out.close()

        self.stack.callback(stop)
        return child

    def broker_process(self) -> tuple[str, int]:
        """Return the broker's URL and process id (whose CPU time the cue runs read)."""
        assert self.broker.process is not None
        return self.broker.url, self.broker.process.pid


@contextmanager
def stopping(child: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """Stop a helper process (close its stdin, wait) when the block ends."""
    try:
        yield child
    finally:
        if child.stdin is not None and not child.stdin.closed:
            child.stdin.close()
        child.wait(timeout=HELPER_STOP_TIMEOUT_S)
