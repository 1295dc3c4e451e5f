from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from roomctl.journal import SCHEMA_VERSION, Journal, JournalError, SessionRow, StoredEvent
from roomctl.journal.report import as_csv, as_json, as_markdown, build_report, local_time
from roomctl.runtime.recorder import Recorder

T0 = 1_800_000_000.0
# Rooms writing at once in the group-commit tests.
WRITERS = 8


def _row(session_id: str = "s1", ended_at: float | None = None, start: float = T0) -> SessionRow:
    return SessionRow(
        session_id=session_id,
        room="room-1",
        profile="im-ketamine-60",
        started_at=start,
        ended_at=ended_at,
        end_reason="completed" if ended_at else None,
        alive_at=T0 + 5,
        snapshot={"profile": {"title": "IM ketamine"}, "operator": "kim"},
    )


def _event(kind: str, at: float, **data: object) -> StoredEvent:
    return StoredEvent("room-1", "s1", T0 + at, kind, dict(data))


def test_a_new_journal_has_the_current_schema_and_keeps_what_is_written(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.write([_event("session_started", 0, profile="p")], [_row()])
    journal.close()

    again = Journal(tmp_path)
    assert again.unfinished("room-1") == _row()
    assert again.events("s1") == [_event("session_started", 0, profile="p")]
    connection = sqlite3.connect(tmp_path / "journal.sqlite3")
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_ended_session_is_not_unfinished_and_history_filters(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.write([], [_row("s1", ended_at=T0 + 60), _row("s2", start=T0 + 100)])
    unfinished = journal.unfinished("room-1")
    assert unfinished is not None
    assert unfinished.session_id == "s2"
    assert journal.unfinished("room-2") is None
    assert [r.session_id for r in journal.sessions(room="room-1")] == ["s2", "s1"]
    assert journal.sessions(room="room-9") == []
    assert [r.session_id for r in journal.sessions(since=T0 + 1)] == ["s2"]


def test_a_journal_from_a_newer_roomctl_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match="newer roomctl"):
        Journal(tmp_path)
    assert path.read_bytes() == before


def test_a_corrupt_journal_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list" * 100)
    before = path.read_bytes()
    with pytest.raises(JournalError, match="damaged"):
        Journal(tmp_path)
    assert path.read_bytes() == before


def test_the_recorder_keeps_records_while_the_journal_fails_then_writes_them(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path)
    recorder = Recorder(journal)
    # Hold an exclusive lock from another connection: writes fail as on a locked or full disk.
    blocker = sqlite3.connect(tmp_path / "journal.sqlite3", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    recorder.event(_event("paused", 10, by="kim"))
    recorder.session(_row())
    assert recorder.flush() is True
    assert recorder.error is not None
    assert "cannot write" in recorder.error
    assert recorder.pending == 2
    recorder.event(_event("resumed", 20, by="kim"))
    assert recorder.flush() is False  # still failing: no change to report
    blocker.rollback()
    blocker.close()
    assert recorder.flush() is True
    assert recorder.error is None
    assert recorder.pending == 0
    assert [e.type for e in journal.events("s1")] == ["paused", "resumed"]
    assert journal.session("s1") == _row()


def _write_from_threads(journal: Journal, blocker: sqlite3.Connection, release: bool) -> list[str]:
    """Write one event from each of WRITERS threads while `blocker` holds the file.

    The first writer's commit waits for the file; the others queue behind it. Once they
    have all queued, the blocker lets go (release) or keeps the file past the busy
    timeout. Return what each writer raised ("" for none).
    """
    outcomes = [""] * WRITERS

    def write(index: int) -> None:
        try:
            journal.write([_event("cue", index, index=index)])
        except JournalError as error:
            outcomes[index] = str(error)

    first = threading.Thread(target=write, args=(0,))
    first.start()
    # The writer takes the queue, then commits it: committing with an empty queue means it
    # has taken the first write as a batch of one and is in its commit.
    _wait_until(lambda: journal.committing and journal.waiting == 0)
    others = [threading.Thread(target=write, args=(i,)) for i in range(1, WRITERS)]
    for thread in others:
        thread.start()
    _wait_until(lambda: journal.waiting == WRITERS - 1)
    if release:
        blocker.rollback()
    for thread in [first, *others]:
        thread.join(timeout=10)
    return outcomes


def _wait_until(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 1.0  # well within the journal's busy timeout
    while not done():
        assert time.monotonic() < deadline, "writers did not queue"
        time.sleep(0.001)


def test_writes_queued_during_a_commit_are_committed_together(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    blocker = sqlite3.connect(tmp_path / "journal.sqlite3", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    outcomes = _write_from_threads(journal, blocker, release=True)
    assert outcomes == [""] * WRITERS
    assert journal.commits == 2  # the first writer's, then one for the seven queued behind it
    stored = journal.events("s1")
    assert sorted(e.data["index"] for e in stored) == list(range(WRITERS))


def test_every_write_of_a_failed_commit_is_told(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    blocker = sqlite3.connect(tmp_path / "journal.sqlite3", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    outcomes = _write_from_threads(journal, blocker, release=False)
    blocker.rollback()
    assert all("cannot write" in outcome and "locked" in outcome for outcome in outcomes)
    assert journal.commits == 0
    assert journal.events("s1") == []


def test_one_writes_bad_rows_fail_only_that_write_and_the_writer_goes_on(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path)
    blocker = sqlite3.connect(tmp_path / "journal.sqlite3", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    first = journal.submit([_event("cue", 1, index=1)])
    _wait_until(lambda: journal.waiting == 0)  # the writer is committing it, waiting
    # A time SQLite cannot hold, queued with a good write: one batch.
    bad = journal.submit([StoredEvent("room-1", "s1", 2**70, "cue", {"index": 2})])
    good = journal.submit([_event("cue", 3, index=3)])
    _wait_until(lambda: journal.waiting == 2)
    blocker.rollback()
    assert first.wait() is None
    assert good.wait() is None
    error = bad.wait()
    assert error is not None and "cannot write" in str(error)
    journal.write([_event("cue", 4, index=4)])  # the writer is still there
    assert [e.data["index"] for e in journal.events("s1")] == [1, 3, 4]


def _recorder_with_the_journal_held(
    tmp_path: Path,
) -> tuple[Journal, Recorder, threading.Event, sqlite3.Connection]:
    """Return a journal, its recorder, an event set when a write ends, and the holder.

    The holder is another connection with an exclusive lock on the file, as another
    process (or a stalled disk) would hold it: writes wait for it up to the busy timeout.
    """
    journal = Journal(tmp_path)
    recorder = Recorder(journal)
    written = threading.Event()
    recorder.on_written = written.set
    blocker = sqlite3.connect(tmp_path / "journal.sqlite3", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    return journal, recorder, written, blocker


def test_the_recorder_goes_on_while_the_journal_is_busy_and_keeps_the_order(
    tmp_path: Path,
) -> None:
    journal, recorder, written, blocker = _recorder_with_the_journal_held(tmp_path)
    recorder.event(_event("cue", 1, index=1))
    began = time.monotonic()
    recorder.flush(wait=False)
    recorder.event(_event("cue", 2, index=2))
    recorder.flush(wait=False)  # the first write is in flight: this one waits its turn
    assert time.monotonic() - began < 0.5  # not the journal's 2-s busy timeout
    assert recorder.pending == 2
    blocker.rollback()
    assert written.wait(timeout=5.0)
    assert recorder.flush(wait=True) is False
    assert recorder.pending == 0
    assert [e.data["index"] for e in journal.events("s1")] == [1, 2]


def test_a_failed_write_is_kept_ahead_of_newer_records(tmp_path: Path) -> None:
    journal, recorder, written, blocker = _recorder_with_the_journal_held(tmp_path)
    recorder.event(_event("cue", 1, index=1))
    recorder.flush(wait=False)
    recorder.event(_event("cue", 2, index=2))
    assert written.wait(timeout=5.0)  # failed after the busy timeout
    assert recorder.flush(wait=False) is True  # the failure shows
    assert recorder.error is not None and "locked" in recorder.error
    assert recorder.pending == 2  # not tried again at once: no loop on a failing disk
    blocker.rollback()
    assert recorder.flush(wait=True) is True  # the next flush writes both, in order
    assert recorder.error is None
    assert [e.data["index"] for e in journal.events("s1")] == [1, 2]


def test_a_report_shows_phases_pauses_cues_and_incidents() -> None:
    events = [
        _event("session_started", 0, profile="im-ketamine-60", at_s=0.0),
        _event("phase_started", 0, phase="arrival", phase_index=0),
        _event("phase_started", 600, phase="onset", phase_index=1),
        _event("paused", 700, by="kim"),
        _event("resumed", 760, by="kim", paused_s=60.0),
        _event(
            "cue",
            3000,
            cue_id="1.0",
            notify="Check blood pressure",
            phase="onset",
            at_s=3000,
            late_s=0,
        ),
        _event("cue", 3050, cue_id="1.1", notify="Pulse", phase="onset", at_s=3050, late_s=0),
        _event(
            "cue_acknowledged",
            3041.3,
            cue_id="1.0",
            phase="onset",
            notify="Check blood pressure",
            by="kim",
            after_s=41.3,
        ),
        _event("emergency", 3100, by="lee"),
        _event("released", 3130, by="lee"),
        _event("resumed", 3190, by="lee", paused_s=90.0),
        _event("device_offline", 3200, device="lamp"),
        _event("device_online", 3260, device="lamp"),
        _event("session_ended", 3600, reason="completed"),
    ]
    report = build_report(_row(ended_at=T0 + 3600), events)
    assert [(p.name, p.length_s) for p in report.phases] == [("arrival", 600), ("onset", 3000)]
    assert [(p.by, p.length_s, p.emergency) for p in report.pauses] == [
        ("kim", 60.0, False),
        ("lee", 90.0, True),
    ]
    assert [(c.text, c.acknowledged_by, c.acknowledged_after_s) for c in report.cues] == [
        ("Check blood pressure", "kim", 41.3),
        ("Pulse", None, None),
    ]
    assert [i.kind for i in report.incidents] == [
        "emergency",
        "released",
        "device_offline",
        "device_online",
    ]
    assert report.observation_s == 3600
    markdown = as_markdown(report)
    assert "| onset |" in markdown
    assert "Total observation time: 1h00m" in markdown
    assert "| lee | 1m30s | yes |" in markdown
    acked = [line for line in markdown.splitlines() if "Check blood pressure" in line]
    assert acked == [
        f"| {local_time(T0 + 3000)} | 50m | Check blood pressure |"
        f" {local_time(T0 + 3041.3)} by kim, after 41.3 s |  |"
    ]
    assert "| Pulse | not acknowledged |" in markdown
    csv_cues = [r[-1] for r in csv.reader(io.StringIO(as_csv(report))) if r[3] == "cue"]
    assert csv_cues[0].endswith(f"; {local_time(T0 + 3041.3)} by kim, after 41.3 s")
    assert csv_cues[1] == "Pulse (due at 50m50s); not acknowledged"
    rows = as_csv(report).splitlines()
    assert rows[0] == "session_id,room,profile,kind,time,length_s,detail"
    assert sum(1 for r in rows if ",pause," in r) == 2
    data = json.loads(as_json(report))
    assert data["cues"][0]["text"] == "Check blood pressure"
    assert data["cues"][0]["acknowledged_by"] == "kim"
    assert data["cues"][0]["acknowledged_after_s"] == 41.3
    assert data["cues"][1]["acknowledged"] is None
    assert data["end_reason"] == "completed"


def test_a_finished_write_lets_go_of_its_rows_and_its_records_are_kept(tmp_path: Path) -> None:
    """A room may hold a finished write until its next turn: the rows (kilobytes) go."""
    journal = Journal(tmp_path)
    write = journal.submit([_event("cue", 1.0, cue_id="0.1")], [_row()])
    assert write.wait(5.0) is None
    assert (write.events, write.sessions) == ([], [])
    assert [e.type for e in journal.events("s1")] == ["cue"]
    journal.close()
