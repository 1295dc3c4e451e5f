"""The state disk's faults: full, read-only, stalled; records spilled at stop, newest first."""

from __future__ import annotations

import json
import logging
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.core import REFUSAL_RECORD_CAP
from roomctl.journal import Journal, JournalUnwritableError, SessionRow, StoredEvent
from roomctl.journal.spill import RUNTIME_ENV, spill_dirs
from tests.fixtures.broker import Mosquitto
from tests.fixtures.disk import FreezableDisk, ReadOnlyDisk, SmallDisk
from tests.test_recovery import ROOM_ID, Setup, wait_for

T0 = 1_800_000_000.0
# A journal that could not be written is tried again every REOPEN_S (3 s); its kept
# records then go out with the room's next write. Generous for a loaded machine.
WRITABLE_AGAIN_TIMEOUT_S = 20.0
# A daemon stops within its 5-s stop timeout; the rest is the interpreter's exit.
STOP_TIMEOUT_S = 15.0
# How long a write to a frozen disk is watched to see that it does not land: a commit on
# a free disk takes milliseconds, so one that has not ended by then is held by the disk.
STALL_WATCH_S = 1.0


@pytest.fixture
def setup(tmp_path: Path, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    # The daemons' spill files go under the test's folder (they inherit the environment).
    monkeypatch.setenv(RUNTIME_ENV, str(tmp_path / "run"))
    env_setup = Setup(tmp_path, mosquitto)
    yield env_setup
    env_setup.close()


def _stop(setup: Setup) -> None:
    assert setup.process is not None
    setup.process.terminate()
    assert setup.process.wait(timeout=STOP_TIMEOUT_S) == 0
    wait_for(lambda: setup.supervisor.availability == "offline", 10.0, "offline")


def _log_mark(setup: Setup) -> int:
    return setup.log.stat().st_size if setup.log.exists() else 0


def _log_since(setup: Setup, mark: int) -> str:
    return setup.log.read_bytes()[mark:].decode(errors="replace")


def _seen(setup: Setup, session_id: str) -> list[str]:
    """Return the session's events the supervisor saw, once each, in order."""
    # QoS 1 is at-least-once: a subscriber may see an event twice, never miss one.
    unique = {(e["type"], e["ts"]): e for e in setup.supervisor.events}.values()
    return [
        e["type"]
        for e in sorted(unique, key=lambda e: e["ts"])
        if e.get("session_id") == session_id
    ]


def _journal_error(setup: Setup) -> str:
    journal: dict[str, Any] = setup.supervisor.state.get("journal", {})
    assert journal.get("ok") is False
    return str(journal["error"])


def _recoveries(setup: Setup) -> int:
    """Return how many recoveries the supervisor saw (each once: QoS 1 may repeat one)."""
    return len({e["ts"] for e in setup.supervisor.events if e["type"] == "recovered"})


def test_a_full_disk_at_start_is_reported_the_session_recovered_and_written_later(
    small_disk: SmallDisk, setup: Setup
) -> None:
    setup.state_dir = small_disk.path
    setup.run()
    assert setup.supervisor.send("start", profile="long", operator="kim")["ok"] is True
    session_id = setup.supervisor.state["session_id"]
    _stop(setup)  # a stopped daemon leaves its session unfinished, to be recovered
    small_disk.fill()
    mark = _log_mark(setup)
    setup.run()
    wait_for(lambda: _recoveries(setup) == 1, 10, "the recovered event")
    state = setup.supervisor.state
    assert state["session_id"] == session_id
    assert state["status"] == "running"
    wait_for(lambda: "journal" in setup.supervisor.state, 5, "the journal problem")
    assert "disk is full" in _journal_error(setup)
    log = _log_since(setup, mark)
    assert "disk is full: free space on" in log
    assert "damaged" not in log
    assert setup.process is not None and setup.process.poll() is None
    small_disk.free()
    wait_for(
        lambda: "journal" not in setup.supervisor.state,
        WRITABLE_AGAIN_TIMEOUT_S,
        "the journal to be writable again",
    )
    assert "can be written again" in _log_since(setup, mark)
    recorded = [e.type for e in Journal(small_disk.path, readonly=True).events(session_id)]
    assert recorded == _seen(setup, session_id)
    assert recorded == ["session_started", "phase_started", "recovered"]


def test_records_a_read_only_disk_refused_are_spilled_and_the_newest_is_recovered(
    readonly_disk: ReadOnlyDisk, setup: Setup, tmp_path: Path
) -> None:
    setup.state_dir = readonly_disk.path
    setup.run()
    assert setup.supervisor.send("start", profile="long", operator="kim")["ok"] is True
    session_id = setup.supervisor.state["session_id"]
    _stop(setup)
    readonly_disk.make_read_only()
    mark = _log_mark(setup)
    seen_before = len(_seen(setup, session_id))
    setup.run()
    wait_for(lambda: _recoveries(setup) == 1, 10, "the recovered event")
    wait_for(lambda: "journal" in setup.supervisor.state, 5, "the journal problem")
    assert "read-only" in _journal_error(setup)
    assert setup.supervisor.send("pause", operator="lee")["ok"] is True
    assert setup.supervisor.send("emergency", operator="lee")["ok"] is True
    wait_for(lambda: setup.supervisor.state.get("status") == "emergency", 5, "emergency")
    kept_events = len(_seen(setup, session_id)) - seen_before  # recovered, paused, emergency
    _stop(setup)
    log = _log_since(setup, mark)
    kept = r"(\d+) journal records could not be written \(.*read-only.*\); they are kept in (\S+) "
    found = re.search(kept, log)
    assert found is not None, log
    count, spill = int(found[1]), Path(found[2])
    assert count == kept_events + 1  # and the session's latest snapshot
    assert spill.parent in spill_dirs(readonly_disk.path)
    assert spill.is_relative_to(tmp_path / "run")
    assert len(spill.read_text().splitlines()) == count

    readonly_disk.make_writable()
    setup.run()
    wait_for(lambda: _recoveries(setup) == 2, 10, "the second recovered event")
    state = setup.supervisor.state
    assert state["session_id"] == session_id
    assert state["status"] == "emergency"
    assert state["paused_by"] == "lee"
    assert "journal" not in state
    assert not spill.exists()
    assert setup.supervisor.send("release", operator="lee")["status"] == "paused"
    _stop(setup)
    journal = Journal(readonly_disk.path, readonly=True)
    recorded = [e.type for e in journal.events(session_id)]
    assert recorded == _seen(setup, session_id)
    assert recorded.count("recovered") == 2
    assert recorded[-4:] == ["paused", "emergency", "recovered", "released"]


def test_a_disk_that_fills_while_running_loses_nothing_at_stop(
    small_disk: SmallDisk, setup: Setup
) -> None:
    setup.state_dir = small_disk.path
    setup.run()
    assert setup.supervisor.send("start", profile="long", operator="kim")["ok"] is True
    session_id = setup.supervisor.state["session_id"]
    small_disk.fill()
    assert setup.supervisor.send("pause", operator="lee")["ok"] is True
    assert setup.supervisor.send("emergency", operator="lee")["ok"] is True
    wait_for(lambda: "journal" in setup.supervisor.state, 5, "the journal problem")
    assert "disk is full" in _journal_error(setup)
    mark = _log_mark(setup)
    _stop(setup)
    kept = r"(\d+) journal records could not be written \(.*disk is full.*\); they are kept in "
    assert re.search(kept, _log_since(setup, mark)) is not None
    small_disk.free()
    setup.run()
    wait_for(lambda: _recoveries(setup) == 1, 10, "the recovered event")
    state = setup.supervisor.state
    assert (state["session_id"], state["status"], state["paused_by"]) == (
        session_id,
        "emergency",
        "lee",
    )
    _stop(setup)
    recorded = [e.type for e in Journal(small_disk.path, readonly=True).events(session_id)]
    assert recorded == _seen(setup, session_id)
    assert recorded[-3:] == ["paused", "emergency", "recovered"]


def test_a_damaged_journal_on_a_read_only_disk_is_refused_untouched(
    readonly_disk: ReadOnlyDisk, setup: Setup
) -> None:
    journal_file = readonly_disk.path / "journal.sqlite3"
    journal_file.write_bytes(b"garbage" * 1000)
    readonly_disk.make_read_only()
    result = subprocess.run(
        [
            *(sys.executable, "-m", "roomctl", "run", "--room", str(setup.room_file)),
            *("--broker", setup.broker.url, "--state-dir", str(readonly_disk.path)),
            "--no-sound",
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert b"damaged" in result.stderr
    assert journal_file.read_bytes() == b"garbage" * 1000


# -- the journal alone, on an ordinary disk ------------------------------------------------


def _row(status: str, alive_at: float, ended_at: float | None = None) -> SessionRow:
    return SessionRow("s1", "room-1", "long", T0, ended_at, None, alive_at, {"status": status})


def _event(kind: str, at: float) -> StoredEvent:
    return StoredEvent("room-1", "s1", T0 + at, kind, {})


@pytest.fixture
def spill_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(RUNTIME_ENV, str(tmp_path / "run"))
    return tmp_path / "run"


def test_spilled_records_count_for_recovery_and_are_written_at_the_next_open(
    tmp_path: Path, spill_home: Path
) -> None:
    journal = Journal(tmp_path / "state")
    journal.write([_event("session_started", 0)], [_row("running", T0 + 5)])
    journal.spill([_event("paused", 6), _event("emergency", 7)], [_row("emergency", T0 + 7)])
    unfinished = journal.unfinished("room-1")
    assert unfinished is not None and unfinished.snapshot == {"status": "emergency"}
    journal.close()

    again = Journal(tmp_path / "state")
    assert [e.type for e in again.events("s1")] == ["session_started", "paused", "emergency"]
    stored = again.session("s1")
    assert stored is not None and stored.snapshot == {"status": "emergency"}
    assert list(spill_home.rglob("*.jsonl")) == []
    again.close()


def test_a_spilled_event_the_disk_took_after_all_is_not_written_twice(
    tmp_path: Path, spill_home: Path
) -> None:
    journal = Journal(tmp_path / "state")
    # The stalled disk answered after the stop had spilled its write: both hold "paused".
    journal.write([_event("session_started", 0), _event("paused", 6)])
    journal.spill([_event("paused", 6), _event("emergency", 7)], [])
    journal.close()
    again = Journal(tmp_path / "state")
    assert [e.type for e in again.events("s1")] == ["session_started", "paused", "emergency"]
    again.close()


def test_a_spilled_record_older_than_the_journal_does_not_replace_it(
    tmp_path: Path, spill_home: Path
) -> None:
    journal = Journal(tmp_path / "state")
    journal.spill([], [_row("running", T0 + 5)])
    journal.write([], [_row("paused", T0 + 9)])
    journal.close()
    again = Journal(tmp_path / "state")
    stored = again.session("s1")
    assert stored is not None and stored.snapshot == {"status": "paused"}
    again.close()


def test_a_session_that_ended_in_a_spill_is_not_recovered(tmp_path: Path, spill_home: Path) -> None:
    journal = Journal(tmp_path / "state")
    journal.write([], [_row("running", T0 + 5)])
    journal.spill([], [_row("ended", T0 + 9, ended_at=T0 + 9)])
    assert journal.unfinished("room-1") is None
    journal.close()


def test_records_that_cannot_be_spilled_are_logged_as_lost_with_their_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(RUNTIME_ENV, str(blocker))
    monkeypatch.setattr("tempfile.tempdir", str(blocker))
    journal = Journal(tmp_path / "state")
    with caplog.at_level(logging.ERROR):
        journal.spill([_event("paused", 6)], [_row("paused", T0 + 6)])
    journal.close()
    messages = [r.getMessage() for r in caplog.records]
    assert any("LOST 2 journal records" in m for m in messages)
    assert any(m.startswith("lost event") and '"paused"' in m for m in messages)
    assert any(m.startswith("lost session") and '"s1"' in m for m in messages)


def test_writes_are_refused_at_once_while_the_journal_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    journal = Journal(blocker / "state")  # its folder cannot be made: not damaged, unwritable
    assert journal.fault is not None
    with pytest.raises(JournalUnwritableError, match="cannot write"):
        journal.write([_event("paused", 6)])
    assert journal.unfinished("room-1") is None
    journal.close()


def test_a_write_to_a_frozen_disk_waits_for_the_thaw_and_then_lands(
    frozen_disk: FreezableDisk,
) -> None:
    journal = Journal(frozen_disk.path)
    try:
        journal.write([_event("session_started", 0)], [_row("running", T0)])
        frozen_disk.freeze()
        written = threading.Event()
        journal.submit([_event("paused", 6)], on_done=lambda _write: written.set())
        assert not written.wait(STALL_WATCH_S)  # the disk holds the commit
        frozen_disk.thaw()
        assert written.wait(WRITABLE_AGAIN_TIMEOUT_S)
        assert [e.type for e in journal.events("s1")] == ["session_started", "paused"]
    finally:
        frozen_disk.thaw()
        journal.close()


# -- a stalled disk (fsfreeze) never holds a room back ------------------------------

# Junk commands queued ahead of the emergency, as in the red team's flood.
JUNK = 500
# The room answers a command whose record the disk has not taken within 1 s (ACK_WAIT_S);
# 5 s is that on a loaded machine, far short of the 26 s the frozen disk held it before.
REPLY_TIMEOUT_S = 5.0
# The state topic says the disk stalls 2 s into a write (JOURNAL_STALL_S), plus load.
STALL_SHOWN_TIMEOUT_S = 8.0


def _send(setup: Setup, action: str, **fields: object) -> str:
    request_id = f"r{time.monotonic_ns()}"
    body = {"action": action, "request_id": request_id, **fields}
    setup.supervisor._client.publish(f"roomctl/{ROOM_ID}/cmd", json.dumps(body), qos=1)
    return request_id


def _reply(setup: Setup, request_id: str) -> dict[str, Any]:
    wait_for(lambda: request_id in setup.supervisor.replies, REPLY_TIMEOUT_S, "the reply")
    return setup.supervisor.replies[request_id]


def _flood(setup: Setup) -> None:
    """Queue JUNK refusable commands from another client, as fast as it can publish them."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="junk")
    client.connect("127.0.0.1", setup.broker.port)
    client.loop_start()
    infos = [
        client.publish(f"roomctl/{ROOM_ID}/cmd", b'{"action": "dance"}', qos=1) for _ in range(JUNK)
    ]
    for info in infos:
        info.wait_for_publish(REPLY_TIMEOUT_S)
    client.disconnect()
    client.loop_stop()


def _ceiling_since(setup: Setup, since: float) -> list[dict[str, Any]]:
    device = setup.sim.devices["ceiling"]
    return [
        json.loads(p) for t, topic, p in device.received if t >= since and topic.endswith("/set")
    ]


def test_a_frozen_state_disk_holds_back_neither_pause_nor_emergency_and_loses_nothing(
    setup: Setup, frozen_disk: FreezableDisk
) -> None:
    setup.state_dir = frozen_disk.path
    setup.run()
    started = _reply(setup, _send(setup, "start", profile="long", operator="kim"))
    assert started["ok"] is True and started["recorded"] is True
    session_id = setup.supervisor.state["session_id"]

    frozen_disk.freeze()
    paused = _reply(setup, _send(setup, "pause", operator="kim"))
    # Carried out and answered, said to be not yet on disk.
    assert paused["ok"] is True and paused["status"] == "paused"
    assert paused["recorded"] is False
    assert "state disk" in paused["warning"]
    wait_for(lambda: setup.supervisor.state.get("status") == "paused", 5.0, "paused")
    wait_for(
        lambda: setup.supervisor.state.get("journal", {}).get("ok") is False,
        STALL_SHOWN_TIMEOUT_S,
        "the stalled disk on the state topic",
    )

    _flood(setup)
    sent = time.monotonic()
    emergency = _send(setup, "emergency", operator="lee")
    wait_for(
        lambda: any(c.get("brightness") == 254 for c in _ceiling_since(setup, sent)),
        REPLY_TIMEOUT_S,
        "the emergency at the ceiling",
    )
    assert _reply(setup, emergency)["status"] == "emergency"

    # A stop on the frozen disk does its work in time: offline, and the log says where
    # the records the disk did not take are. (The process itself cannot end while one of
    # its threads waits in the kernel for the frozen disk: no process can, even killed.)
    assert setup.process is not None
    setup.process.send_signal(signal.SIGTERM)
    wait_for(lambda: setup.supervisor.availability == "offline", STOP_TIMEOUT_S, "offline")
    wait_for(
        lambda: "journal records could not be written" in setup.log.read_text(errors="replace"),
        STOP_TIMEOUT_S,
        "the spilled records in the log",
    )
    frozen_disk.thaw()
    assert setup.process.wait(timeout=STOP_TIMEOUT_S) == 0

    # Restarted on the thawed disk: the session comes back in emergency, and the record
    # has the pause and the emergency.
    setup.run()
    wait_for(
        lambda: (
            setup.supervisor.state.get("session_id") == session_id
            and setup.supervisor.state.get("status") == "emergency"
        ),
        10.0,
        "the session back in emergency",
    )
    journal = Journal(setup.state_dir, readonly=True)

    def recorded() -> list[str]:
        return [e.type for e in journal.events(session_id)]

    wait_for(lambda: "emergency" in recorded(), 10.0, "the emergency in the journal")
    kinds = recorded()
    assert kinds.index("session_started") < kinds.index("paused") < kinds.index("emergency")
    # The junk, refused while frozen, kept and then written: the first ones one by one,
    # the rest counted (a flood does not fill the record).
    assert kinds.count("command_rejected") == REFUSAL_RECORD_CAP
    [left_out] = [e for e in journal.events(session_id) if e.type == "commands_unrecorded"]
    assert left_out.data["count"] == JUNK - REFUSAL_RECORD_CAP
