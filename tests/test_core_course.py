"""The session's course through the pure core: cues, phases, its end, recovery, devices."""

from __future__ import annotations

import json
import logging

from roomctl.api.events import Cue, DeviceOffline, ManualChange, PhaseStarted, SessionEnded
from roomctl.core import (
    REFUSAL_RECORD_CAP,
    DeviceSeen,
    Emit,
    HoldSound,
    KeepSnapshot,
    LightCameBack,
    LightSetByHand,
    Log,
    PlayLights,
    PreloadSound,
    Progress,
    PublishState,
    ReapplyLights,
    ReapplySound,
    Recover,
    RoomCore,
    SilenceSound,
    Wake,
    light_fields,
)
from roomctl.core.levels import LightLevel, Voice, db_to_gain
from tests.test_core_room import STANDBY, T0, Rig, events, kinds

RAIN = (Voice("rain.ogg", db_to_gain(-20.0), True),)


def started(at: float = T0) -> Rig:
    rig = Rig()
    rig.send(at, action="start", profile="cues", operator="kim")
    return rig


def test_a_cue_at_the_start_fires_at_once_and_the_next_at_its_time() -> None:
    rig = Rig()
    first = rig.send(T0, action="start", profile="cues")
    assert [e.notify for e in events(first) if isinstance(e, Cue)] == ["Check identity"]
    assert first.wake == T0 + 60.0  # the fade's end comes first
    assert rig.feed(Wake(), T0 + 60.0).wake == T0 + 300.0
    second = rig.feed(Wake(), T0 + 300.0)
    assert events(second) == [
        Cue(cue_id="0.1", phase="first", notify="Blood pressure", at_s=300.0, late_s=0.0)
    ]


def test_a_new_phase_is_announced_once_with_its_lights_and_the_state() -> None:
    rig = started()
    rig.feed(Wake(), T0 + 300.0)
    decision = rig.feed(Wake(), T0 + 600.0)
    assert events(decision) == [PhaseStarted(phase="second", phase_index=1)]
    assert PublishState() in decision.effects
    [play] = [e for e in decision.effects if isinstance(e, PlayLights)]
    assert play.fades["ceiling"].target == LightLevel(True, 0.5, STANDBY["ceiling"].mireds)
    assert kinds(rig.feed(Wake(), T0 + 601.0)) == []  # no second announcement


def test_a_session_that_ran_out_ends_at_its_plan_s_end_even_if_noticed_late() -> None:
    rig = started()
    decision = rig.feed(Wake(), T0 + 905.0)  # the 15-minute session, woken 5 s late
    ended = [e for e in events(decision) if isinstance(e, SessionEnded)]
    assert ended == [SessionEnded(reason="completed", elapsed_s=900.0)]
    assert rig.core.status == "ended"
    assert decision.wake is None
    [to_standby] = [e for e in decision.effects if isinstance(e, PlayLights)]
    assert to_standby.fades["ceiling"].target == STANDBY["ceiling"]
    snapshot = [e for e in rig.core.settle(T0 + 905.0).effects if isinstance(e, KeepSnapshot)]
    assert [(s.ended_at, s.end_reason) for s in snapshot] == [(T0 + 900.0, "completed")]


def test_sound_preloads_on_start_holds_on_pause_and_stops_in_an_emergency() -> None:
    rig = Rig()
    start = rig.send(T0, action="start", profile="cues")
    assert PreloadSound((Voice("rain.ogg", 0.0, True),)) in start.effects
    assert rig.core.memory.sound.target == RAIN
    assert HoldSound() in rig.send(T0 + 30.0, action="pause").effects
    assert SilenceSound() in rig.send(T0 + 31.0, action="emergency").effects
    assert rig.core.memory.sound.at(T0 + 32.0) == ()


def test_a_recovered_session_fires_the_cue_it_missed_late_and_says_so() -> None:
    rig = started()
    [keep] = [e for e in rig.core.settle(T0).effects if isinstance(e, KeepSnapshot)]
    assert keep.ended_at is None and keep.alive_at == T0
    again = Rig()
    decision = again.feed(Recover(keep.session_id, keep.snapshot, keep.alive_at), T0 + 400.0)
    assert kinds(decision) == ["recovered", "cue"]
    assert events(decision)[1] == Cue(
        cue_id="0.1", phase="first", notify="Blood pressure", at_s=300.0, late_s=100.0
    )
    assert again.core.status == "running"
    assert again.core.session is not None and again.core.session.session_id == "s1"
    state = json.loads(again.core.view(T0 + 400.0, {}, None).payload(T0 + 400.0))
    assert (state["elapsed_s"], state["phase"], state["next_cue"]) == (400.0, "first", None)


def test_a_snapshot_that_cannot_be_read_is_logged_and_nothing_is_recovered() -> None:
    rig = Rig()
    decision = rig.feed(Recover("s9", {"version": 99}, T0), T0 + 10.0)
    [log] = decision.effects
    assert isinstance(log, Log) and log.level == logging.ERROR
    assert "cannot recover session" in log.message and log.args[1] == "s9"
    assert rig.core.status == "idle"


def test_a_device_going_offline_is_news_and_first_contact_is_not() -> None:
    rig = started()
    first = rig.feed(DeviceSeen("ceiling", True), T0 + 1.0)
    assert kinds(first) == []
    assert first.effects == (ReapplyLights("ceiling"), ReapplySound("ceiling"), PublishState())
    gone = rig.feed(DeviceSeen("ceiling", False, "no state report after a command"), T0 + 2.0)
    reason = "no state report after a command"
    assert events(gone) == [DeviceOffline(device="ceiling", reason=reason)]
    back = rig.feed(DeviceSeen("ceiling", True), T0 + 3.0)
    assert back.effects[0] == LightCameBack("ceiling")  # its next reports show its boot
    assert kinds(back) == ["device_online"]
    assert kinds(rig.feed(DeviceSeen("stranger", False), T0 + 4.0)) == []


def test_a_light_set_by_hand_is_published_and_shown_in_the_state() -> None:
    rig = started()
    kept = LightLevel(True, 0.9, 370.0)
    decision = rig.feed(LightSetByHand("ceiling", LightLevel(True, 0.9, 370.4), kept), T0 + 70)
    [event] = events(decision)
    assert isinstance(event, ManualChange) and event.kept.mireds == 370
    state = json.loads(rig.core.view(T0 + 70, {"ceiling": kept}, None).payload(T0 + 70))
    assert state["devices"]["ceiling"] == {
        "online": None,
        "manual": {"on": True, "brightness": 0.9, "mireds": 370},
    }


def test_refusals_beyond_the_budget_are_published_but_not_recorded_then_counted() -> None:
    rig = Rig()
    recorded: list[bool] = []
    for i in range(REFUSAL_RECORD_CAP + 5):
        decision = rig.send(T0 + i * 0.01, action="pause")
        recorded += [e.record for e in decision.effects if isinstance(e, Emit)]
    assert recorded == [True] * REFUSAL_RECORD_CAP + [False] * 5
    summary = [e for e in rig.core.settle(T0 + 61.0).effects if isinstance(e, Emit)]
    assert [(e.event.type, e.record) for e in summary] == [("commands_unrecorded", True)]
    assert summary[0].event.model_dump()["count"] == 5


def test_a_snapshot_is_kept_only_when_something_changed() -> None:
    rig = started()
    assert any(isinstance(e, KeepSnapshot) for e in rig.core.settle(T0).effects)
    assert rig.core.settle(T0 + 1.0).effects == ()
    idle = RoomCore(rig.core.room)
    assert idle.settle(T0).effects == ()


def test_progress_moves_on_and_what_remains_stops_at_zero() -> None:
    progress = Progress(elapsed_s=100.0, phase_remaining_s=20.0, remaining_s=500.0)
    assert progress.moved_on(30.0) == Progress(130.0, 0.0, 470.0, None)


def test_a_level_is_shown_rounded_and_within_bounds() -> None:
    shown = light_fields(LightLevel(True, 1.0000001, None, (254.6, 0.2, 10.0)))
    assert shown.model_dump() == {
        "on": True,
        "brightness": 1.0,
        "color": (255, 0, 10),
    }  # the wire leaves out what a light does not show (no mireds here)
