"""Run one room's runtime on its own thread, fed by one queue, woken by the scheduler."""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from roomctl.runtime.inputs import (
    Heartbeat,
    JournalWritten,
    RoomInput,
    SceneDue,
    Shutdown,
    Wake,
)
from roomctl.runtime.room import RoomRuntime

_LOGGER = logging.getLogger(__name__)

# The contract asks for state at least every 30 s while a session runs; every 15 s keeps a
# watcher's view fresh and stays well inside that even if one publication is lost.
HEARTBEAT_S = 15.0
# Heartbeat phases are spread over this many slots of the interval, by room id.
HEARTBEAT_SLOTS = 1000


def heartbeat_offset(room_id: str) -> float:
    """Return when in the heartbeat interval a room beats, fixed by its id.

    Rooms of one daemon start together; with one phase for all they would all publish
    their state and write the journal at the same instant every interval.
    """
    return zlib.crc32(room_id.encode()) % HEARTBEAT_SLOTS / HEARTBEAT_SLOTS * HEARTBEAT_S


class RoomWorker:
    """The one thread that owns a room: every input crosses into it through `put`."""

    def __init__(
        self,
        runtime: RoomRuntime,
        scheduler: BaseScheduler,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.runtime = runtime
        self._scheduler = scheduler
        self._clock = clock
        self._queue: queue.SimpleQueue[RoomInput] = queue.SimpleQueue()
        runtime.on_journal_written(lambda: self.put(JournalWritten()))
        self._thread = threading.Thread(
            target=self._run, name=f"room-{runtime.room.id}", daemon=True
        )
        self._job_prefix = f"room-{runtime.room.id}"
        self._wake_at: float | None = None

    def put(self, item: RoomInput) -> None:
        """Hand an input to the room (safe from any thread)."""
        self._queue.put(item)

    def start(self) -> None:
        """Start the thread and the room's heartbeat and calendar jobs."""
        self._thread.start()
        first_beat = datetime.now(UTC) + timedelta(seconds=heartbeat_offset(self.runtime.room.id))
        self._scheduler.add_job(
            self.put,
            "interval",
            seconds=HEARTBEAT_S,
            start_date=first_beat,
            args=[Heartbeat()],
            id=f"{self._job_prefix}-heartbeat",
            replace_existing=True,
        )
        for index, entry in enumerate(self.runtime.room.schedule):
            self._scheduler.add_job(
                self.put,
                CronTrigger.from_crontab(entry.cron),
                args=[SceneDue(entry.scene)],
                id=f"{self._job_prefix}-schedule-{index}",
                replace_existing=True,
            )

    def request_stop(self) -> None:
        """Stop the room's jobs and ask its thread to stop once what it recorded is written."""
        for job in self._scheduler.get_jobs():
            if job.id.startswith(self._job_prefix):
                job.remove()
        self.put(Shutdown())

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` for the thread to stop; return whether it has."""
        self._thread.join(timeout=timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                self.runtime.handle(item, self._clock())
                if isinstance(item, Shutdown):
                    return
                self._replan_wake()
            except Exception:
                _LOGGER.exception("room %s failed on %r", self.runtime.room.id, item)
                if isinstance(item, Shutdown):
                    return

    def _replan_wake(self) -> None:
        wake = self.runtime.next_wake(self._clock())
        if wake == self._wake_at:
            return
        self._wake_at = wake
        job_id = f"{self._job_prefix}-wake"
        if wake is None:
            if self._scheduler.get_job(job_id) is not None:
                self._scheduler.remove_job(job_id)
            return
        self._scheduler.add_job(
            self._fire_wake,
            "date",
            run_date=datetime.fromtimestamp(wake, tz=UTC),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
        )

    def _fire_wake(self) -> None:
        self._wake_at = None
        self.put(Wake())
