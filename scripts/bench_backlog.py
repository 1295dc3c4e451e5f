"""Time an emergency to a room's 12 lights behind queued commands and a frozen disk (issue 14).

Four rows, each from the emergency's publish to the 12th light's first full-brightness
command, on arrival at the simulated light: quiet (nothing queued); behind 500 junk
commands published just before at QoS 1 by `mosquitto_pub -l` (as issue 14 reproduces
it); during a 2,000-command flood from three `mosquitto_pub` clients; and with the state
directory's file system (a loop-mounted ext4 image) frozen by `fsfreeze -f`, a pause sent
first. A trial whose 12th light has no full-brightness command within TRIAL_TIMEOUT_S is
a miss. Between trials the room must have handled every junk command, then it is
released and resumed, so each trial starts from the same running session.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bench_daemon import DaemonProcess
from bench_devices import DeviceProcess
from bench_supervisor import Reply, Supervisor

from roomctl.mqtt.broker_url import parse_broker_url

# A trial whose 12th light has not reached the emergency level this long after the
# publish is a miss (shown as "> 5000 ms"): 250 times the quiet figure, and short enough
# that a daemon which never applies the emergency still ends the bench in bounded time.
TRIAL_TIMEOUT_S = 5.0
# Issue 14's loads: 500 junk commands like its reproduction, and a 2,000-command flood
# from three clients.
JUNK_COMMANDS = 500
FLOOD_COMMANDS = 2000
FLOOD_CLIENTS = 3
# What the three flood clients send: unparsable text, a start refused because a session
# is active, an unknown action. None of them changes the room; each gets a refusal reply.
FLOOD_LINES = ("garbage", '{"action": "start", "profile": "flood"}', '{"action": "dance"}')
# Issue 14's target: every loaded row within the quiet row's p99 plus this.
MARGIN_MS = 20.0
# A daemon handles each junk command in turn; at issue 14's 1.5-4 ms per command 2,000
# take up to 8 s, and a loaded shared machine more.
DRAIN_TIMEOUT_S = 30.0
# Mosquitto's log line when a client's queue is over `max_queued_messages` (1000 by
# default) and it drops what would follow, QoS 1 commands to the daemon included.
DROPPED = re.compile(r"Outgoing messages are being dropped for client (\S+?)\.?$", re.M)
# The profile a marker start names: never loaded, the start is refused first.
MARKER = "bench-marker"
# A marker not answered within this long may have been dropped by Mosquitto (while the
# daemon's queue there was still full): another is sent. A loaded daemon answers one in
# milliseconds once the junk before it is handled.
MARKER_RETRY_S = 2.0
# The marker's reply comes after the emergency's (commands are handled in order), so the
# emergency's reply is either there or never comes: it is waited for this long.
REPLY_GRACE_S = 1.0
# mosquitto_pub sends 500-700 QoS 1 lines to a local broker in well under a second.
PUBLISH_TIMEOUT_S = 10.0
# How often the bench looks whether a flood client has finished: 1 ms, so the emergency
# follows the first finished client closely.
FLOOD_POLL_S = 0.001
# Between one trial's resume and the next emergency, random, as in the emergency bench:
# the resume's fades are under way on every light.
GAP_S = (0.1, 0.3)
# A daemon publishes `online` within a second or two; allow a loaded machine ten.
ONLINE_TIMEOUT_S = 10.0
# The frozen-disk row: an ext4 image this big (the journal needs well under 1 MiB; ext4
# wants a few MiB for itself), and its set-up commands' time limit (mkfs, mount, fsfreeze,
# umount take milliseconds to seconds).
IMAGE_MIB = 64
MIB = 1024 * 1024
ADMIN_TIMEOUT_S = 30.0
# A thaw that runs on its own this long after each freeze, from a separate session, in
# case the bench is killed while the file system is frozen (everything writing to it would
# hang until then). Each freeze lasts at most TRIAL_TIMEOUT_S plus a little.
FREEZE_GUARD_S = 30.0
# After the thaw, the pause's reply is waited for this long.
PAUSE_AFTER_THAW_S = 10.0

StartDaemon = Callable[..., DaemonProcess]
# What stops a row (recorded in it) rather than the whole bench: no answer in time, a
# refusal or a dead daemon, a failed command-line tool.
FAILURES = (TimeoutError, RuntimeError, OSError, subprocess.SubprocessError)
Say = Callable[[str], None]


@dataclass(frozen=True)
class BacklogPlan:
    """How many trials each row runs, at most, and how long each row may take."""

    quiet: int
    junk: int
    flood: int
    frozen: int
    row_budget_s: float


@dataclass
class Row:
    """One row's trials: seconds from each emergency's publish to its lights (None: missed)."""

    last: list[float | None] = field(default_factory=list)
    first: list[float | None] = field(default_factory=list)
    reply: list[float | None] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)  # all junk handled, from the publish
    planned: int = 0
    cut: bool = False
    error: str | None = None
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the row as JSON-able data."""
        return {
            "trials": len(self.last),
            "planned": self.planned,
            "cut_by_time_budget": self.cut,
            "missed": sum(v is None for v in self.last),
            "last_light": spread(self.last),
            "first_light": spread(self.first),
            "emergency_reply": spread(self.reply),
            "junk_handled_after_s": round(max(self.answered), 2) if self.answered else None,
            "samples_ms": [None if v is None else round(v * 1000, 2) for v in self.last],
            "error": self.error,
            "skipped": self.skipped,
            **self.extra,
        }


def spread(seconds: list[float | None]) -> dict[str, Any]:
    """Return p50/p99/max in ms; a percentile that falls on a miss is None (beyond timeout)."""
    ms = sorted(math.inf if s is None else s * 1000.0 for s in seconds)

    def at(share: float) -> float | None:
        if not ms:
            return None
        rank = (len(ms) - 1) * share / 100.0
        low = math.floor(rank)
        high = min(low + 1, len(ms) - 1)
        if math.isinf(ms[low]) or (rank > low and math.isinf(ms[high])):
            return None
        return round(ms[low] + (ms[high] - ms[low]) * (rank - low) if rank > low else ms[low], 2)

    return {"n": len(ms), "p50_ms": at(50.0), "p99_ms": at(99.0), "max_ms": at(100.0)}


class Backlog:
    """The emergency-under-load rows: one daemon for quiet, junk and flood; one on a frozen disk."""

    def __init__(
        self,
        sup: Supervisor,
        devices: DeviceProcess,
        broker_url: str,
        logs: Path,
        rng: random.Random,
        say: Say,
        broker_log: Path,
    ) -> None:
        self.broker_log = broker_log
        self.sup = sup
        self.devices = devices
        self.broker = parse_broker_url(broker_url)
        self.logs = logs
        self.rng = rng
        self.say = say
        self._junk_sent: dict[str, int] = {}

    # -- one trial ---------------------------------------------------------------------

    def emergency(self, room: str, row: Row, topic: str = "cmd") -> tuple[str, float, float]:
        """Call an emergency on roomctl/R/<topic>; record when the first and 12th light had it."""
        request_id, sent_mono, sent_wall = self.sup.send(room, "emergency", topic)
        answer = self.devices.ask(op="reached", room=room, after=sent_mono, timeout=TRIAL_TIMEOUT_S)
        reached = [v - sent_mono for v in answer["first"].values() if v is not None]
        complete = len(reached) == len(answer["first"])
        row.last.append(max(reached) if complete else None)
        row.first.append(min(reached) if reached else None)
        return request_id, sent_mono, sent_wall

    def settle(
        self, room: str, row: Row, emergency: tuple[str, float, float], junk: bool = False
    ) -> None:
        """Wait until the room has handled everything sent so far; release and resume.

        The marker is a start (refused: a session is active) sent after every junk
        command was at the broker; the room handles its commands in order, so its reply
        comes after every junk command's. Junk replies are only counted, not waited for:
        under load the broker may drop some on their way to the bench's supervisor.
        """
        marker = self._marker(room)
        if marker.ok:
            raise RuntimeError(f"{room} accepted the marker start: {marker.arrival.payload}")
        if junk:
            row.answered.append(marker.arrival.mono - emergency[1])
        try:
            row.reply.append(self.sup.reply(*emergency, timeout=REPLY_GRACE_S).latency_s)
        except TimeoutError:  # never handled: Mosquitto dropped it
            row.reply.append(None)
        self.sup.reply(*self.sup.send(room, "release"), timeout=DRAIN_TIMEOUT_S)
        reply = self.sup.reply(*self.sup.send(room, "resume"), timeout=DRAIN_TIMEOUT_S)
        if reply.arrival.payload.get("status") != "running":
            raise RuntimeError(f"{room} is not running again after the trial: {reply.arrival}")
        row.extra["junk_sent"] = self._junk_sent.get(room, 0)
        row.extra["junk_replies_seen"] = self.sup.anonymous_replies(room)
        time.sleep(self.rng.uniform(*GAP_S))

    def _marker(self, room: str) -> Reply:
        """Send marker starts until one is answered (Mosquitto may drop one sent too soon)."""
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while True:
            sent = self.sup.send(room, "start", profile=MARKER)
            try:
                return self.sup.reply(*sent, timeout=MARKER_RETRY_S)
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{room} did not handle its junk within {DRAIN_TIMEOUT_S:.0f} s"
                    ) from None

    def publish_junk(self, room: str, lines: list[str], name: str) -> subprocess.Popen[bytes]:
        """Start a `mosquitto_pub -l -q 1` client sending these lines to a room's commands."""
        log = (self.logs / f"{name}.log").open("ab")
        child = subprocess.Popen(
            [*_pub_args(self.broker.host, self.broker.port), "-t", f"roomctl/{room}/cmd"],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
        )
        log.close()  # the child has its own copy
        assert child.stdin is not None
        child.stdin.write(("\n".join(lines) + "\n").encode())
        child.stdin.close()
        self._junk_sent[room] = self._junk_sent.get(room, 0) + len(lines)
        return child

    # -- the rows ----------------------------------------------------------------------

    def run_row(self, row: Row, trials: int, budget_s: float, trial: Callable[[], None]) -> None:
        """Run up to `trials` trials while the next one fits the row's time budget."""
        row.planned = trials
        begin, longest = time.monotonic(), 0.0
        log_start = self.broker_log.stat().st_size if self.broker_log.exists() else 0
        try:
            for index in range(trials):
                if index and time.monotonic() - begin + longest > budget_s:
                    row.cut = True
                    break
                started = time.monotonic()
                trial()
                longest = max(longest, time.monotonic() - started)
        except FAILURES as error:
            row.error = str(error)
        row.extra["broker_dropped_for"] = self._dropped_for(log_start)

    def _dropped_for(self, start: int) -> list[str]:
        """Return the clients Mosquitto said it dropped messages for since `start` (bytes)."""
        if not self.broker_log.exists():
            return []
        with self.broker_log.open("rb") as log:
            log.seek(start)
            text = log.read().decode("utf-8", "replace")
        return sorted(set(DROPPED.findall(text)))

    def quiet(self, room: str) -> Callable[[Row], None]:
        """Return a trial with nothing queued."""

        def trial(row: Row) -> None:
            self.settle(room, row, self.emergency(room, row))

        return trial

    def junk(self, room: str, topic: str = "cmd") -> Callable[[Row], None]:
        """Return a trial behind 500 junk commands, all at the broker before the emergency."""

        def trial(row: Row) -> None:
            client = self.publish_junk(room, ["garbage"] * JUNK_COMMANDS, "junk")
            code = client.wait(timeout=PUBLISH_TIMEOUT_S)
            if code != 0:
                raise RuntimeError(f"mosquitto_pub exited with {code}: see junk.log")
            self.settle(room, row, self.emergency(room, row, topic), junk=True)

        return trial

    def flood(self, room: str, topic: str = "cmd") -> Callable[[Row], None]:
        """Return a trial during a flood: the emergency when the first flood client is done."""

        def trial(row: Row) -> None:
            share = [FLOOD_COMMANDS // FLOOD_CLIENTS] * FLOOD_CLIENTS
            share[0] += FLOOD_COMMANDS - sum(share)
            clients = [
                self.publish_junk(room, [FLOOD_LINES[i]] * count, "flood")
                for i, count in enumerate(share)
            ]
            deadline = time.monotonic() + PUBLISH_TIMEOUT_S
            while all(c.poll() is None for c in clients):
                if time.monotonic() > deadline:
                    raise TimeoutError("no flood client finished in time")
                time.sleep(FLOOD_POLL_S)
            row.extra.setdefault("flood_clients_still_sending", []).append(
                sum(c.poll() is None for c in clients)
            )
            emergency = self.emergency(room, row, topic)
            for client in clients:
                if client.wait(timeout=PUBLISH_TIMEOUT_S) != 0:
                    raise RuntimeError("a flood client failed: see flood.log")
            self.settle(room, row, emergency, junk=True)

        return trial


def _pub_args(host: str, port: int) -> list[str]:
    """Return mosquitto_pub's arguments to send stdin's lines at QoS 1, one message each."""
    return ["mosquitto_pub", "-h", host, "-p", str(port), "-l", "-q", "1"]


def frozen_disk_unavailable() -> str | None:
    """Return why the frozen-disk row cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (loop mount, fsfreeze)"
    missing = [c for c in ("fsfreeze", "mkfs.ext4", "mount", "umount") if not shutil.which(c)]
    if missing:
        return f"no {', '.join(missing)}"
    if not Path("/dev/loop-control").exists():
        return "no loop devices (/dev/loop-control)"
    return None


def _admin(args: list[str]) -> None:
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=ADMIN_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip() or done.returncode}")


@contextmanager
def loop_mount(root: Path) -> Iterator[Path]:
    """Mount a fresh ext4 image under root; unmount it (lazily if busy) at the end."""
    image, mount = root / "state.img", root / "state"
    mount.mkdir(parents=True)
    with image.open("wb") as file:
        file.truncate(IMAGE_MIB * MIB)
    _admin(["mkfs.ext4", "-q", "-F", str(image)])
    _admin(["mount", "-o", "loop", str(image), str(mount)])
    try:
        yield mount
    finally:
        try:
            _admin(["umount", str(mount)])
        except (RuntimeError, subprocess.SubprocessError):
            subprocess.run(["umount", "-l", str(mount)], timeout=ADMIN_TIMEOUT_S, check=False)


class Freeze:
    """One `fsfreeze -f` of a mounted file system, always thawed on leaving."""

    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.thaw_mono = math.inf

    def __enter__(self) -> Freeze:
        # The guard thaws on its own if this process dies while frozen (its own session,
        # so a Ctrl-C to the bench does not end it first).
        self._guard = subprocess.Popen(
            ["sh", "-c", f"sleep {FREEZE_GUARD_S:.0f}; fsfreeze -u '{self.mount}'"],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._previous: Any = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            _admin(["fsfreeze", "-f", str(self.mount)])
        except BaseException:
            self._thaw()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self._thaw()

    def _thaw(self) -> None:
        self.thaw_mono = time.monotonic()
        subprocess.run(
            ["fsfreeze", "-u", str(self.mount)],
            capture_output=True,
            timeout=ADMIN_TIMEOUT_S,
            check=False,
        )
        with contextlib.suppress(ProcessLookupError):  # the guard's own group: sh and sleep
            os.killpg(self._guard.pid, signal.SIGKILL)
        self._guard.wait()
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit("SIGTERM while the state disk was frozen")


def frozen_trial(backlog: Backlog, room: str, mount: Path) -> Callable[[Row], None]:
    """Return a trial on a frozen state disk: pause, emergency, thaw, then the pause's reply."""

    def trial(row: Row) -> None:
        with Freeze(mount) as freeze:
            pause = backlog.sup.send(room, "pause")
            emergency = backlog.emergency(room, row)
        pauses = row.extra.setdefault(
            "pause", {"replied_while_frozen": 0, "no_reply": 0, "refused": 0, "reply_s": []}
        )
        try:
            reply = backlog.sup.reply(*pause, timeout=PAUSE_AFTER_THAW_S)
        except TimeoutError:
            pauses["no_reply"] += 1
        else:
            pauses["replied_while_frozen"] += reply.arrival.mono < freeze.thaw_mono
            pauses["refused"] += not reply.ok
            pauses["reply_s"].append(round(reply.latency_s, 3))
            pauses.setdefault("after_thaw_s", []).append(
                round(max(0.0, reply.arrival.mono - freeze.thaw_mono), 3)
            )
        backlog.settle(room, row, emergency)

    return trial


def backlog_bench(
    backlog: Backlog,
    plan: BacklogPlan,
    start_daemon: StartDaemon,
    rooms: tuple[Path, Path],
    profile: str,
    work: Path,
) -> dict[str, Any]:
    """Run the four rows; return them with the settings they ran with."""
    sup, say = backlog.sup, backlog.say
    results: dict[str, Any] = {
        "timeout_s": TRIAL_TIMEOUT_S,
        "junk_commands": JUNK_COMMANDS,
        "flood_commands": FLOOD_COMMANDS,
        "flood_clients": FLOOD_CLIENTS,
        "margin_ms": MARGIN_MS,
    }
    busy = rooms[0].stem
    rows = {
        "quiet": Row(),
        "junk": Row(),
        "junk_topic": Row(),
        "flood": Row(),
        "flood_topic": Row(),
    }
    daemon = start_daemon([rooms[0]], "backlog")
    try:
        sup.wait_ready(busy, daemon.started_mono, ONLINE_TIMEOUT_S)
        sup.command(busy, "start", profile=profile)
        time.sleep(GAP_S[1])
        for name, trials, step in (
            ("quiet", plan.quiet, backlog.quiet(busy)),
            ("junk", plan.junk, backlog.junk(busy)),
            ("junk_topic", plan.junk, backlog.junk(busy, "emergency")),
            ("flood", plan.flood, backlog.flood(busy)),
            ("flood_topic", plan.flood, backlog.flood(busy, "emergency")),
        ):
            say(f"emergency under load, {name}: up to {trials} calls")
            row = rows[name]
            backlog.run_row(row, trials, plan.row_budget_s, lambda: step(row))  # noqa: B023
            daemon.check_running()
    except FAILURES as error:  # a failed set-up or a dead daemon: the rows left say so
        for row in rows.values():
            if not row.last and row.error is None:
                row.error = f"not run: {error}"
    finally:
        daemon.stop()
    results.update((name, row.as_dict()) for name, row in rows.items())
    results["frozen"] = _frozen_row(backlog, plan, start_daemon, rooms[1], profile, work)
    return results


def _frozen_row(
    backlog: Backlog,
    plan: BacklogPlan,
    start_daemon: StartDaemon,
    room_file: Path,
    profile: str,
    work: Path,
) -> dict[str, Any]:
    row = Row(planned=plan.frozen)
    why = frozen_disk_unavailable()
    if why is not None:
        row.skipped = why
        return row.as_dict()
    room = room_file.stem
    backlog.say(f"emergency under load, frozen state disk: up to {plan.frozen} calls")
    with ExitStack() as stack:
        try:
            mount = stack.enter_context(loop_mount(work / "frozen-disk"))
        except FAILURES as error:
            row.skipped = f"cannot mount a loop ext4 image: {error}"
            return row.as_dict()
        daemon = start_daemon([room_file], "frozen", state_dir=mount / "roomctl")
        stack.callback(daemon.stop)  # after the thaw (each freeze is left before this runs)
        try:
            backlog.sup.wait_ready(room, daemon.started_mono, ONLINE_TIMEOUT_S)
            backlog.sup.command(room, "start", profile=profile)
        except FAILURES as error:
            row.error = f"not run: {error}"
            return row.as_dict()
        time.sleep(GAP_S[1])
        step = frozen_trial(backlog, room, mount)
        backlog.run_row(row, plan.frozen, plan.row_budget_s, lambda: step(row))
    return row.as_dict()
