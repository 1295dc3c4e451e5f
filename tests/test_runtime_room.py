"""The room runtime on an explicit clock: real adapters and outputs, publications recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from roomctl.config import ProfileLibrary
from roomctl.devices.registry import adapter_for
from roomctl.easing import Easing
from roomctl.journal import Journal
from roomctl.levels import SoundMix
from roomctl.messages import Inbound, Message
from roomctl.models import RoomPreset
from roomctl.runtime.inputs import CommandArrived, Recover, Wake
from roomctl.runtime.lights import LightOutput
from roomctl.runtime.recorder import Recorder
from roomctl.runtime.room import RoomRuntime
from roomctl.runtime.sound import SoundOutput

T0 = 1_800_000_000.0
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


def _runtime(tmp_path: Path, journal: Journal | None = None) -> tuple[RoomRuntime, Outbox]:
    room = RoomPreset.model_validate(
        {"id": "room-t", "devices": {"ceiling": {"type": "zigbee2mqtt", "topic": "z/ceiling"}}}
    )
    sessions = tmp_path / "sessions"
    sessions.mkdir(exist_ok=True)
    (sessions / "cues.yaml").write_text(PROFILE)
    outbox = Outbox()
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


def _command(runtime: RoomRuntime, now: float, **body: object) -> None:
    runtime.handle(CommandArrived(Inbound("roomctl/room-t/cmd", json.dumps(body).encode())), now)


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


def test_a_journalled_session_comes_back_after_a_restart(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state")
    runtime, _ = _runtime(tmp_path, journal)
    _command(runtime, T0, action="start", profile="cues", operator="kim")
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
