"""Run `roomctl run` as users run it, as a child process, and read its CPU time and memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

# The roomctl console script installed beside the bench's Python (the venv's bin/).
ROOMCTL = Path(sys.executable).parent / "roomctl"
# A clean stop publishes `offline` and joins each room's worker; 400 rooms take seconds.
STOP_TIMEOUT_S = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# /proc/PID/stat fields (1-based in proc(5)) after the command name: utime is 14, stime 15.
_UTIME_FIELD = 14
_FIELDS_BEFORE_STATE = 2
KIB = 1024
# A daemon publishes `online` within a second or two; allow a loaded machine ten.
ONLINE_TIMEOUT_S = 10.0


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system, every thread) a process has used so far."""
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces; the fields after its closing parenthesis start
    # with field 3 (state).
    fields = text[text.rindex(")") + 2 :].split()
    index = _UTIME_FIELD - 1 - _FIELDS_BEFORE_STATE
    return (int(fields[index]) + int(fields[index + 1])) / CLOCK_TICKS


def cpu_ns(pid: int) -> int:
    """Return the nanoseconds the live threads of a process have run (schedstat, precise)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):  # the thread ended meanwhile
            continue
    return total


class DaemonProcess:
    """One `roomctl run` child serving some rooms; stopped with SIGTERM as a service is."""

    def __init__(
        self,
        room_files: Sequence[Path],
        broker_url: str,
        profiles: Path,
        state_dir: Path,
        log: Path,
        *,
        sound: bool = False,
        speed: float = 1.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        args = [str(ROOMCTL), "run"]
        for path in room_files:
            args += ["--room", str(path)]
        args += ["--broker", broker_url, "--profiles", str(profiles)]
        args += ["--state-dir", str(state_dir)]
        if speed != 1.0:
            args += ["--speed", str(speed)]
        if not sound:
            args.append("--no-sound")
        self.log = log
        self._log_file = log.open("ab")
        self.started_mono = time.monotonic()
        self.process = subprocess.Popen(
            args,
            stdout=self._log_file,
            stderr=self._log_file,
            env=dict(env) if env is not None else None,
        )

    @property
    def pid(self) -> int:
        """Return the daemon's process id."""
        return self.process.pid

    def check_running(self) -> None:
        """Raise if the daemon has exited."""
        code = self.process.poll()
        if code is not None:
            raise RuntimeError(f"roomctl run exited with {code}: see {self.log}")

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system, every thread) the daemon has used so far."""
        return cpu_seconds(self.pid)

    def memory_mb(self) -> tuple[float, float]:
        """Return the daemon's resident memory now and at its peak (VmRSS, VmHWM) in MiB."""
        values = self._status()
        return int(values["VmRSS"].split()[0]) / KIB, int(values["VmHWM"].split()[0]) / KIB

    def threads(self) -> int:
        """Return how many threads the daemon has now (Threads in /proc/PID/status)."""
        return int(self._status()["Threads"])

    def _status(self) -> dict[str, str]:
        """Return the fields of /proc/PID/status by name."""
        fields: dict[str, str] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            fields[key] = rest.strip()
        return fields

    def stop(self) -> int:
        """Send SIGTERM and wait for a clean exit; return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self._log_file.closed:
            self._log_file.close()
        return self.process.returncode


# Starts `roomctl run` for some room files (a Bench's `daemon`): rooms, a name for its
# log, and keyword options (sound, env, speed, state_dir).
StartDaemon = Callable[..., DaemonProcess]
