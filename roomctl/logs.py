"""The daemon's log: a session log at INFO, other libraries' chatter held to warnings."""

from __future__ import annotations

import logging
import logging.handlers
import queue
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from roomctl.models.units import format_duration

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose INFO lines ("Added job", "Running job", connection chatter) say nothing a
# clinic can use; their warnings and errors still show.
THIRD_PARTY = ("apscheduler", "amqtt", "paho", "transitions")
# The logger of the one line per room event: `roomctl.session` reads as what it is.
SESSION_LOGGER = logging.getLogger("roomctl.session")
# Events that tell of a fault are warnings; the rest of the session's course is INFO.
_WARNING_EVENTS = frozenset({"device_offline", "command_rejected"})
# Events any client can cause at will, logged at most once a period each (see log_event).
_FLOODABLE_EVENTS = frozenset(
    {"command_rejected", "device_offline", "device_online", "manual_change", "device_restored"}
)
# One line per 10 s of a repeated refusal or device flap: a flood shows, and is counted,
# without writing a line per message (500 junk commands once wrote 6 MB of log).
REPEAT_LOG_PERIOD_S = 10.0

Fields = Mapping[str, object]


def configure(verbose: int, default: int = logging.WARNING) -> None:
    """Set the log levels: `default` without -v, INFO with -v, DEBUG with -vv.

    Other libraries stay at WARNING up to -vv; -vvv lets their debug lines through too.
    """
    level = {0: default, 1: min(default, logging.INFO)}.get(verbose, logging.DEBUG)
    root = logging.getLogger()
    # The command group's basicConfig wrote to stderr on the logging thread: the writer
    # takes its place (a handler a program or test set up of its own is kept).
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler and handler.stream is sys.stderr:
            root.removeHandler(handler)
            handler.close()
    if not any(isinstance(handler, _LogWriter) for handler in root.handlers):
        root.addHandler(_LogWriter(logging.StreamHandler(sys.stderr)))
    root.setLevel(level)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 3 else logging.WARNING)


class _LogWriter(logging.handlers.QueueHandler):
    """Hand log records to a thread of their own, which formats and writes them.

    A room logs every event of its session on a room pool thread; writing the line there
    (the time stamp, the write and flush) was a tenth of a phase change's work. The message
    is put together here, so later changes to its arguments cannot alter it; closing
    (logging.shutdown, also at exit) writes every line still queued.
    """

    def __init__(self, target: logging.Handler) -> None:
        target.setFormatter(logging.Formatter(FORMAT))
        lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        super().__init__(lines)
        self._listener = logging.handlers.QueueListener(lines, target)
        self._listener.start()
        self._running = True

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """Return the record with its message put together now; formatting waits."""
        record.msg, record.args = record.getMessage(), None
        return record

    def close(self) -> None:
        """Write what is queued, stop the writer thread, then close."""
        if self._running:
            self._running = False
            self._listener.stop()
        super().close()


def clean(value: object) -> str:
    """Return text safe for one log or report line: no line breaks, no unencodable text."""
    text = str(value)
    if text.isprintable():  # the usual case; a lone surrogate is not printable either
        return text
    text = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _by(fields: Fields) -> str:
    who = fields.get("by")
    return f" by {clean(who)}" if who else " (operator not given)"


def _time(fields: Fields, key: str) -> str:
    value = fields.get(key)
    return format_duration(float(value)) if isinstance(value, int | float) else "?"


def _started(f: Fields) -> str:
    start = f" at {_time(f, 'at_s')} into the profile" if f.get("at_s") else ""
    return f"session started: profile {clean(f.get('profile'))}{start}{_by(f)}"


def _phase(f: Fields) -> str:
    index = f.get("phase_index")
    return f"phase {clean(f.get('phase'))}" + (f" ({index + 1})" if isinstance(index, int) else "")


def _cue(f: Fields) -> str:
    late = f.get("late_s")
    lateness = f", late by {late:.0f} s" if isinstance(late, int | float) and late >= 1 else ""
    where = f"at {_time(f, 'at_s')} in phase {clean(f.get('phase'))}{lateness}"
    return f"cue due {where}: {clean(f.get('notify'))}"


def _device(f: Fields, state: str) -> str:
    reason = f": {clean(f['reason'])}" if f.get("reason") else ""
    return f"device {clean(f.get('device'))} {state}{reason}"


_DESCRIPTIONS: dict[str, Callable[[Fields], str]] = {
    "session_started": _started,
    "phase_started": lambda f: f"{_phase(f)} started",
    "cue": _cue,
    "paused": lambda f: f"paused{_by(f)} at session time {_time(f, 'elapsed_s')}",
    "stopped": lambda f: f"stopped{_by(f)} at session time {_time(f, 'elapsed_s')}",
    "skipped": lambda f: f"skipped to the next phase{_by(f)} at {_time(f, 'elapsed_s')}",
    "resumed": lambda f: f"resumed{_by(f)} after a pause of {_time(f, 'paused_s')}",
    "extended": lambda f: f"phase extended by {_time(f, 'added_s')}{_by(f)}",
    "emergency": lambda f: f"EMERGENCY{_by(f)}",
    "released": lambda f: f"emergency released{_by(f)}",
    "session_ended": lambda f: (
        f"session ended ({clean(f.get('reason'))}) at session time {_time(f, 'elapsed_s')}"
    ),
    "device_offline": lambda f: _device(f, "offline"),
    "device_online": lambda f: _device(f, "back online"),
    "command_rejected": lambda f: f"command refused: {clean(f.get('reason'))}",
    "commands_unrecorded": lambda f: (
        f"{clean(f.get('count'))} refused commands left out of the record in {_time(f, 'window_s')}"
    ),
    "recovered": lambda f: (
        f"session recovered ({clean(f.get('status'))}) after {_time(f, 'away_s')} away,"
        f" at session time {_time(f, 'elapsed_s')}"
    ),
}


def describe_event(kind: str, fields: Fields) -> str:
    """Return one room event as a line of a session log."""
    describe = _DESCRIPTIONS.get(kind)
    if describe is not None:
        return describe(fields)
    details = " ".join(f"{clean(k)}={clean(v)}" for k, v in fields.items())
    return f"{clean(kind)} {details}".rstrip()


def log_event(room: str, session_id: str | None, kind: str, fields: Fields) -> None:
    """Log one room event as a line of the session log."""
    level = logging.WARNING if kind in _WARNING_EVENTS else logging.INFO
    if not SESSION_LOGGER.isEnabledFor(level):
        return
    session = f" [{session_id}]" if session_id else ""
    line = describe_event(kind, fields)
    if kind in _FLOODABLE_EVENTS:
        # A flood of junk commands or forged device news must not fill the log: one line
        # a period per room and kind (and device), with how many were held back.
        key = f"{room}:{kind}:{fields.get('device', '')}"
        _REPEATS.log(level, key, "room %s%s: %s", room, session, line)
        return
    SESSION_LOGGER.log(level, "room %s%s: %s", room, session, line)


@dataclass
class _Seen:
    next_at: float
    held: int = 0


class RateLimitedLog:
    """Log each kind of repeated problem at most once a period, counting the ones held back."""

    def __init__(
        self,
        logger: logging.Logger,
        period_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._period_s = period_s
        self._clock = clock
        self._seen: dict[str, _Seen] = {}

    def log(self, level: int, key: str, msg: str, *args: object) -> bool:
        """Log `msg` unless `key` was logged less than a period ago; return whether it was."""
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now < seen.next_at:
            seen.held += 1
            return False
        held = seen.held if seen is not None else 0
        self._seen[key] = _Seen(now + self._period_s)
        if held:
            msg += " (%d more like this in the last %s)"
            args = (*args, held, format_duration(self._period_s))
        self._logger.log(level, msg, *args)
        return True

    def reset(self, key: str) -> None:
        """Forget `key`: its next occurrence is logged at once (the problem went away)."""
        self._seen.pop(key, None)


_REPEATS = RateLimitedLog(SESSION_LOGGER, REPEAT_LOG_PERIOD_S)
