"""The room runtime on an explicit clock: real adapters and outputs, publications recorded."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from roomctl.api.messages import Inbound, Message
from roomctl.config.library import ProfileLibrary
from roomctl.core.easing import Easing
from roomctl.core.levels import SoundMix
from roomctl.devices.registry import adapter_for
from roomctl.journal import Journal, StoredEvent
from roomctl.journal.spill import RUNTIME_ENV
from roomctl.models import RoomPreset
from roomctl.mqtt.held_writes import held_writes, hold
from roomctl.runtime.acks import ACK_WAIT_S
from roomctl.runtime.inputs import Heartbeat, JournalWritten, Recover, Shutdown, Wake
from roomctl.runtime.intake import CommandIntake
from roomctl.runtime.lights import LightOutput
from roomctl.runtime.pool import RoomPool
from roomctl.runtime.recorder import JOURNAL_STALL_S, Recorder
from roomctl.runtime.room import RoomRuntime
from roomctl.runtime.sound import SoundOutput
from roomctl.runtime.worker import RoomWorker
from tests.fixtures.room import wait_for

T0 = 1_800_000_000.0
# A journal write on a local disk ends within milliseconds; 5 s covers a loaded CI machine.
WRITE_TIMEOUT_S = 5.0
# Junk commands queued ahead of an emergency, as in the red team's flood.
JUNK = 500
_REPLY = "roomctl/room-t/reply"
PROFILE = """
title: Cue test
phases:
  - name: first
    duration: 10m
    fade: 1m
    easing: linear
    lights: {all: {brightness: 20%}}
    cues:
      - {at: 0s, notify: Check identity}
      - {at: 5m, notify: Blood pressure}
  - name: second
    duration: 5m
    lights: {all: {brightness: 50%}}
"""


class Outbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    def publish(self, msg: Message) -> None:
        self.messages.append(msg)

    def reply(self, inbound: Inbound, msg: Message) -> None:
        self.messages.append(msg)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(m.payload) for m in self.messages if m.topic.endswith("/events")]

    def replies(self) -> list[dict[str, Any]]:
        return [json.loads(m.payload) for m in self.messages if m.topic.endswith("/reply")]

    def to(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(m.payload) for m in self.messages if m.topic == topic]


class Speaker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, SoundMix, float]] = []

    def preload(self, mix: SoundMix) -> None:
        self.calls.append(("preload", mix, 0.0))

    def apply(self, mix: SoundMix, transition_s: float, easing: Easing) -> None:
        self.calls.append(("apply", mix, transition_s))

    def hold(self) -> None:
        self.calls.append(("hold", (), 0.0))

    def silence(self) -> None:
        self.calls.append(("silence", (), 0.0))


def _runtime(
    tmp_path: Path, journal: Journal | None = None, outbox: Outbox | None = None
) -> tuple[RoomRuntime, Outbox]:
    room = RoomPreset.model_validate(
        {"id": "room-t", "devices": {"ceiling": {"type": "zigbee2mqtt", "topic": "z/ceiling"}}}
    )
    sessions = tmp_path / "sessions"
    sessions.mkdir(exist_ok=True)
    (sessions / "cues.yaml").write_text(PROFILE)
    outbox = outbox or Outbox()
    adapters = {n: adapter_for(n, s) for n, s in room.lights().items()}
    runtime = RoomRuntime(
        room,
        ProfileLibrary(sessions),
        LightOutput(adapters, {}, outbox.publish),
        SoundOutput({"speaker": Speaker()}),
        outbox,
        recorder=Recorder(journal),
    )
    return runtime, outbox


_INTAKE = CommandIntake()


def _command(runtime: RoomRuntime, now: float, **body: object) -> None:
    arrived = _INTAKE.take(Inbound("roomctl/room-t/cmd", json.dumps(body).encode()))
    assert arrived is not None
    runtime.handle(arrived, now)


def test_a_cue_at_the_start_fires_at_start_and_the_next_at_its_time(tmp_path: Path) -> None:
    runtime, outbox = _runtime(tmp_path)
    _command(runtime, T0, action="start", profile="cues")
    cues = [e for e in outbox.events() if e["type"] == "cue"]
    assert [c["notify"] for c in cues] == ["Check identity"]
    wake = runtime.next_wake(T0)
    assert wake == T0 + 60.0  # the fade's end comes first
    runtime.handle(Wake(), T0 + 60.0)
    assert runtime.next_wake(T0 + 60.0) == T0 + 300.0
    runtime.handle(Wake(), T0 + 300.0)
    cues = [e for e in outbox.events() if e["type"] == "cue"]
    assert [c["notify"] for c in cues] == ["Check identity", "Blood pressure"]
    assert cues[1]["at_s"] == 300.0


class Connection(Outbox):
    """An outbox that holds a turn's publications as a bus does; `writes` is what left when."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[Message] = []
        self.writes: list[list[str]] = []  # each write's topics, in order

    def publish(self, msg: Message) -> None:
        super().publish(msg)
        self.waiting.append(msg)
        if not hold(self, self):  # type: ignore[arg-type]  # a connection's stand-in
            self.write_waiting()

    def reply(self, inbound: Inbound, msg: Message) -> None:
        self.publish(msg)

    def write_waiting(self) -> bool:
        self.writes.append([m.topic for m in self.waiting])
        self.waiting = []
        return False  # nothing left for a network thread

    def hand_over(self, client: object) -> None:
        raise AssertionError("everything was written")


def test_a_phases_event_leaves_before_the_rest_of_its_turn(tmp_path: Path) -> None:
    connection = Connection()
    runtime, _ = _runtime(tmp_path, outbox=connection)
    _command(runtime, T0, action="start", profile="cues")
    connection.writes.clear()
    with held_writes():  # as the worker runs a turn
        runtime.handle(Wake(), T0 + 600.0)  # the second phase starts
    first, *rest = connection.writes
    assert first == ["roomctl/room-t/events"]  # alone: the state and the fade come after
    later = [topic for write in rest for topic in write]
    assert "roomctl/room-t/state" in later and "z/ceiling/set" in later
    assert connection.events()[-1]["type"] == "phase_started"
    assert connection.events()[-1]["phase"] == "second"


def test_a_refusal_leaves_with_its_reply_in_one_write(tmp_path: Path) -> None:
    connection = Connection()
    runtime, _ = _runtime(tmp_path, outbox=connection)
    with held_writes():
        _command(runtime, T0, action="resume", request_id="r1")  # nothing to resume
    assert connection.writes == [["roomctl/room-t/events", _REPLY]]  # a flood's, once each
    assert connection.events()[-1]["type"] == "command_rejected"
    assert connection.replies()[-1]["ok"] is False


def test_pause_sends_the_ceiling_its_current_level_without_transition(tmp_path: Path) -> None:
    runtime, outbox = _runtime(tmp_path)
    _command(runtime, T0, action="start", profile="cues")
    first = outbox.to("z/ceiling/set")
    # One native, linear fade from standby (40%) to 20% over the minute.
    assert len(first) == 1
    assert first[0]["brightness"] == round(0.2 * 254)
    assert first[0]["transition"] == 60.0
    _command(runtime, T0 + 30.0, action="pause", operator="kim")
    freeze = outbox.to("z/ceiling/set")[-1]
    assert freeze["brightness"] == round(0.3 * 254)
    assert freeze.get("transition", 0) == 0
    assert runtime.next_wake(T0 + 30.0) is None  # nothing more while paused
    count = len(outbox.to("z/ceiling/set"))
    _command(runtime, T0 + 90.0, action="resume")
    resumed = outbox.to("z/ceiling/set")[count:]
    assert resumed[0]["brightness"] == round(0.2 * 254)
    assert resumed[0]["transition"] == 30.0
    state = outbox.to("roomctl/room-t/state")[-1]
    assert state["elapsed_s"] == 30.0
    assert state["phase_remaining_s"] == 570.0


def _written(runtime: RoomRuntime, now: float) -> None:
    """Wait for the journal write; hand the room its JournalWritten as the worker does."""
    written = threading.Event()
    runtime.on_journal_written(written.set)
    assert written.wait(WRITE_TIMEOUT_S)
    runtime.handle(JournalWritten(), now)


def test_a_command_is_answered_once_its_record_is_on_disk(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state")
    runtime, outbox = _runtime(tmp_path, journal)
    _command(runtime, T0, action="start", profile="cues", operator="kim", request_id="r1")
    # Carried out at once (lights sent, state published), answered only once recorded.
    assert runtime.status == "running"
    assert outbox.to("roomctl/room-t/state")[-1]["status"] == "running"
    assert outbox.replies() == []
    _written(runtime, T0 + 0.01)
    assert outbox.replies() == [
        {"request_id": "r1", "ok": True, "status": "running", "recorded": True}
    ]
    assert journal.unfinished("room-t") is not None


class WriteEnds:
    """Counts the journal writes the room asked a turn for (on the journal's thread)."""

    def __init__(self) -> None:
        self.calls = 0
        self._called = threading.Semaphore(0)

    def __call__(self) -> None:
        self.calls += 1
        self._called.release()

    def turn(self, runtime: RoomRuntime, now: float) -> None:
        """Wait for the next write the room asked a turn for, and give the room that turn."""
        assert self._called.acquire(timeout=WRITE_TIMEOUT_S), "no turn asked for"
        runtime.handle(JournalWritten(), now)


def _after_the_writes_so_far(journal: Journal) -> None:
    """Return once every write handed to the journal so far has ended and called back.

    The journal's thread ends writes, and calls their callbacks, in the order handed over.
    """
    marker, ended = Recorder(journal), threading.Event()
    marker.on_written = ended.set
    marker.event(StoredEvent("room-x", None, T0, "marker", {}))
    marker.flush(wait=False)
    assert ended.wait(WRITE_TIMEOUT_S)


def test_a_write_nothing_waits_on_asks_no_turn_of_the_room(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state")
    runtime, outbox = _runtime(tmp_path, journal)
    ends = WriteEnds()
    runtime.on_journal_written(ends)
    _command(runtime, T0, action="start", profile="cues", request_id="r1")
    ends.turn(runtime, T0 + 0.01)  # the reply waited for it
    runtime.handle(Wake(), T0 + 300.0)  # a cue: its event and snapshot, nothing waits
    _after_the_writes_so_far(journal)
    # The room has not taken up the finished write: it shows no stalled disk for it.
    runtime.handle(Heartbeat(), T0 + 300.0 + JOURNAL_STALL_S + 1.0)
    assert "journal" not in outbox.to("roomctl/room-t/state")[-1]
    _after_the_writes_so_far(journal)  # the heartbeat's snapshot, which nothing waits on
    _command(runtime, T0 + 304.0, action="pause", request_id="r2")
    while len(outbox.replies()) < 2:
        ends.turn(runtime, T0 + 304.01)
    # Writes end in order: the cue's ended before the pause's, without asking a turn.
    assert ends.calls == 2
    assert [r["request_id"] for r in outbox.replies() if r["recorded"]] == ["r1", "r2"]


def test_records_made_behind_a_slow_write_go_with_the_turn_its_end_asks_for(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "state")
    runtime, _outbox = _runtime(tmp_path, journal)
    ends = WriteEnds()
    runtime.on_journal_written(ends)
    _command(runtime, T0, action="start", profile="cues")
    ends.turn(runtime, T0 + 0.01)
    with journal._lock:  # a slow disk: the cue's write stays in flight
        runtime.handle(Wake(), T0 + 599.5)  # the cue due at 5 min
        runtime.handle(Wake(), T0 + 600.0)  # the second phase's records wait behind it
    ends.turn(runtime, T0 + 600.1)  # the cue's write ended: the phase's records go now
    _after_the_writes_so_far(journal)
    kept = journal.unfinished("room-t")
    assert kept is not None and kept.snapshot["announced_phase"] == 1
    assert ends.calls == 2  # the start's (its reply waited) and the cue's


def test_a_command_whose_record_is_late_is_answered_as_not_yet_recorded(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state")
    runtime, outbox = _runtime(tmp_path, journal)
    with journal._lock:  # the writer cannot commit: a stalled disk
        _command(runtime, T0, action="start", profile="cues", request_id="r1")
        assert runtime.next_wake(T0) == T0 + ACK_WAIT_S
        runtime.handle(Wake(), T0 + ACK_WAIT_S)
        [reply] = outbox.replies()
        assert reply["ok"] is True
        assert reply["recorded"] is False
        assert "state disk has not answered" in reply["warning"]
        runtime.handle(Wake(), T0 + JOURNAL_STALL_S)
        state = outbox.to("roomctl/room-t/state")[-1]
        assert state["status"] == "running"
        assert state["journal"]["ok"] is False
    _written(runtime, T0 + JOURNAL_STALL_S + 0.1)
    assert "journal" not in outbox.to("roomctl/room-t/state")[-1]
    assert len(outbox.replies()) == 1  # exactly one reply


def test_an_emergency_refuses_the_commands_it_overtook(tmp_path: Path) -> None:
    runtime, outbox = _runtime(tmp_path)
    _command(runtime, T0, action="start", profile="cues")
    release = _INTAKE.take(Inbound("roomctl/room-t/cmd", b'{"action":"stop","request_id":"s"}'))
    emergency = _INTAKE.take(Inbound("roomctl/room-t/cmd", b'{"action":"emergency"}'))
    assert release is not None and emergency is not None and emergency.urgent
    runtime.handle(emergency, T0 + 1)
    runtime.handle(release, T0 + 1)  # sent before the emergency, handled after it
    assert runtime.status == "emergency"
    assert outbox.replies()[-1]["request_id"] == "s"
    assert outbox.replies()[-1]["ok"] is False
    assert "emergency sent after" in outbox.replies()[-1]["error"]
    _command(runtime, T0 + 2, action="release", request_id="after")
    assert outbox.replies()[-1] == {
        "request_id": "after",
        "ok": True,
        "status": "paused",
    }


def test_a_journalled_session_comes_back_after_a_restart(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state")
    runtime, _ = _runtime(tmp_path, journal)
    _command(runtime, T0, action="start", profile="cues", operator="kim")
    _written(runtime, T0)
    session_id = runtime.session.session_id  # type: ignore[union-attr]
    row = journal.unfinished("room-t")
    assert row is not None
    assert row.session_id == session_id

    again, outbox = _runtime(tmp_path, journal)
    again.handle(Recover(row), T0 + 400.0)
    assert again.session is not None
    assert again.session.session_id == session_id
    assert again.status == "running"
    state = outbox.to("roomctl/room-t/state")[-1]
    assert state["elapsed_s"] == 400.0
    assert state["phase"] == "first"
    # The blood-pressure cue at 5 minutes fell in the gap: it fires on recovery.
    assert [e["type"] for e in outbox.events()][:2] == ["recovered", "cue"]


def test_the_worker_takes_an_emergency_ahead_of_everything_queued(tmp_path: Path) -> None:
    runtime, outbox = _runtime(tmp_path)
    _command(runtime, T0, action="start", profile="cues")
    pool = RoomPool()
    worker = RoomWorker(runtime, pool)
    inbound = Inbound("roomctl/room-t/cmd", b"garbage")
    for _ in range(JUNK):
        worker.put(_INTAKE.take(inbound))  # type: ignore[arg-type]
    worker.put(_INTAKE.take(Inbound("roomctl/room-t/cmd", b'{"action":"emergency"}')))  # type: ignore[arg-type]
    before = len(outbox.messages)
    worker.start()  # the whole queue is there before the room takes its first input
    wait_for(lambda: len(outbox.replies()) >= JUNK + 2, what="every reply")
    worker.request_stop()
    assert worker.join(WRITE_TIMEOUT_S)
    pool.close()
    taken = [m for m in outbox.messages[before:] if m.topic in ("z/ceiling/set", _REPLY)]
    # The emergency's light command leaves first, then its reply; then the junk's refusals.
    assert taken[0].topic == "z/ceiling/set"
    assert json.loads(taken[0].payload)["brightness"] == 254
    assert json.loads(taken[1].payload) == {"request_id": None, "ok": True, "status": "emergency"}
    assert all(json.loads(m.payload)["ok"] is False for m in taken[2:])
    assert len(taken) == JUNK + 2


def test_a_command_is_answered_at_once_when_the_journal_is_failing(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state")
    runtime, outbox = _runtime(tmp_path, journal)
    journal.close()  # every write is now refused at once
    _command(runtime, T0, action="start", profile="cues", request_id="r1")
    runtime.handle(JournalWritten(), T0)  # as the worker does on the refusal's callback
    [reply] = outbox.replies()
    assert reply["ok"] is True and reply["recorded"] is False
    assert "journal is closed" in reply["warning"]


def test_a_room_that_stops_answers_every_command_it_carried_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNTIME_ENV, str(tmp_path / "run"))  # where the stop spills
    journal = Journal(tmp_path / "state")
    runtime, outbox = _runtime(tmp_path, journal)
    with journal._lock:  # a stalled disk: the start's record cannot be written
        _command(runtime, T0, action="start", profile="cues", request_id="r1")
        assert outbox.replies() == []
        runtime.handle(Shutdown(), T0 + 0.1)  # waits STOP_WRITE_WAIT_S, spills, answers
    [reply] = outbox.replies()
    assert reply["request_id"] == "r1" and reply["ok"] is True and reply["recorded"] is False
    assert reply["warning"].startswith("not yet recorded")
    journal.close()


def test_an_emergency_holds_until_released_and_repeats_at_most_once_a_second(
    tmp_path: Path,
) -> None:
    runtime, outbox = _runtime(tmp_path)
    _command(runtime, T0, action="start", profile="cues")
    _command(runtime, T0 + 1, action="emergency")

    def sent() -> int:
        return len(outbox.to("z/ceiling/set"))

    before = sent()
    _command(runtime, T0 + 1.5, action="emergency")  # pressed again at once: nothing more
    assert sent() == before
    _command(runtime, T0 + 2.5, action="emergency")  # a second later: the scene again
    assert sent() == before + 1
    _command(runtime, T0 + 3, action="stop", request_id="s")
    assert outbox.replies()[-1]["ok"] is False
    assert outbox.replies()[-1]["error"].startswith("cannot stop during an emergency")
    assert runtime.status == "emergency"
    _command(runtime, T0 + 4, action="release")
    _command(runtime, T0 + 5, action="stop", request_id="s2")
    assert outbox.replies()[-1]["ok"] is True and runtime.status == "ended"


@pytest.mark.parametrize(
    ("before", "body"),
    [
        ([], {"action": "start", "profile": "cues"}),
        ([{"action": "start", "profile": "cues"}], {"action": "pause"}),
        ([{"action": "start", "profile": "cues"}, {"action": "pause"}], {"action": "resume"}),
        ([{"action": "start", "profile": "cues"}], {"action": "next"}),
        ([{"action": "start", "profile": "cues"}], {"action": "stop"}),
        ([{"action": "start", "profile": "cues"}], {"action": "emergency"}),
        ([{"action": "start", "profile": "cues"}, {"action": "emergency"}], {"action": "release"}),
    ],
    ids=lambda value: value["action"] if isinstance(value, dict) else "",
)
def test_a_command_s_lights_go_out_at_once_while_its_reply_waits_for_the_disk(
    tmp_path: Path, before: list[dict[str, object]], body: dict[str, object]
) -> None:
    journal = Journal(tmp_path / "state")
    runtime, outbox = _runtime(tmp_path, journal)
    for i, earlier in enumerate(before):
        _command(runtime, T0 + 20.0 * i, **earlier)
        _written(runtime, T0 + 20.0 * i)
    now = T0 + 20.0 * len(before) + 10.0  # within the first phase's minute-long fade
    sent = len(outbox.to("z/ceiling/set"))
    replies = len(outbox.replies())
    with journal._lock:  # a stalled disk: nothing the command records can be written
        _command(runtime, now, request_id="r", **body)
        assert len(outbox.to("z/ceiling/set")) > sent  # the lights have it already
        assert len(outbox.replies()) == replies  # the reply waits for the record
    _written(runtime, now + 0.1)
    assert outbox.replies()[-1]["request_id"] == "r"
    assert outbox.replies()[-1]["recorded"] is True
    journal.close()
