"""Reconciling lights, on an explicit clock: what a report means, and the record's budget."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from roomctl.core import RECORD_CAP, RECORD_WINDOW_S, HealthRecordLimit, Unrecorded
from roomctl.core.levels import LightLevel
from roomctl.devices.base import DeviceEcho, DeviceHealth
from roomctl.devices.zigbee2mqtt import Zigbee2MqttLight, Zigbee2MqttSpec
from roomctl.journal import Journal
from roomctl.runtime.inputs import Heartbeat, Shutdown, Wake
from roomctl.runtime.reconcile import (
    ECHO_GRACE_S,
    RETURN_WINDOW_S,
    LightMemory,
    Verdict,
    judge,
    within_limits,
)
from tests.test_runtime_room import T0, _command, _runtime

CAPS = Zigbee2MqttLight(
    "ceiling", Zigbee2MqttSpec.model_validate({"type": "zigbee2mqtt", "topic": "z/c"})
).capabilities
SET = LightLevel(True, 0.6, 333.0)
LONG_AGO = T0 - 100.0


def memory(
    *,
    sent: LightLevel | None = SET,
    sent_at: float = LONG_AGO,
    pending: bool = False,
    returned_at: float = -math.inf,
    moving: bool = False,
) -> LightMemory:
    return LightMemory(sent, sent_at, pending, returned_at, moving)


def test_a_report_while_a_command_is_in_flight_is_its_echo() -> None:
    off = LightLevel(False)
    assert judge(off, memory(sent_at=T0 - ECHO_GRACE_S / 2), T0, CAPS, in_session=True) == (
        Verdict.ECHO
    )
    assert judge(off, memory(pending=True), T0, CAPS, in_session=True) == Verdict.ECHO


def test_a_report_of_what_was_set_to_the_devices_rounding_is_as_set() -> None:
    rounded = LightLevel(True, round(0.6 * 254) / 254, 334.0)
    assert judge(rounded, memory(), T0, CAPS, in_session=True) == Verdict.AS_SET
    assert judge(LightLevel(False), memory(sent=None), T0, CAPS, in_session=True) == (
        Verdict.AS_SET
    )


def test_a_different_report_soon_after_the_light_came_back_is_a_power_cycle() -> None:
    full = LightLevel(True, 1.0, 370.0)  # power_on_behavior "on": full, default white
    back = memory(returned_at=T0 - RETURN_WINDOW_S / 2)
    assert judge(full, back, T0, CAPS, in_session=False) == Verdict.POWER_CYCLE
    later = memory(returned_at=T0 - RETURN_WINDOW_S - 1)
    assert judge(full, later, T0, CAPS, in_session=False) == Verdict.MANUAL


def test_off_against_a_session_is_lost_power_but_between_sessions_a_choice() -> None:
    off = LightLevel(False)
    assert judge(off, memory(), T0, CAPS, in_session=True) == Verdict.POWER_CYCLE
    assert judge(off, memory(), T0, CAPS, in_session=False) == Verdict.MANUAL


def test_a_difference_while_a_fade_runs_is_left_to_the_fade() -> None:
    half = LightLevel(True, 0.3, 333.0)
    assert judge(half, memory(moving=True), T0, CAPS, in_session=True) == Verdict.AS_SET
    assert judge(half, memory(), T0, CAPS, in_session=True) == Verdict.MANUAL


def test_a_level_set_by_hand_is_kept_within_the_rooms_floor() -> None:
    assert within_limits(LightLevel(True, 0.02, 300.0), 0.1) == LightLevel(True, 0.1, 300.0)
    assert within_limits(LightLevel(True, 0.5), 0.1) == LightLevel(True, 0.5)


def test_the_record_takes_the_cap_per_device_per_window_then_a_summary() -> None:
    limit = HealthRecordLimit()
    admitted = [limit.admit("lamp", T0 + i * 0.01) for i in range(100)]
    assert admitted.count(True) == RECORD_CAP
    assert admitted[:RECORD_CAP] == [True] * RECORD_CAP
    assert limit.admit("ceiling", T0 + 1.0) is True  # another device has its own budget
    assert limit.closed(T0 + RECORD_WINDOW_S - 0.1) == []
    gaps = limit.closed(T0 + RECORD_WINDOW_S)
    assert gaps == [Unrecorded("lamp", 100 - RECORD_CAP, T0, T0 + RECORD_WINDOW_S)]
    assert limit.closed(T0 + 2 * RECORD_WINDOW_S) == []  # the ceiling left nothing out
    assert limit.admit("lamp", T0 + 2 * RECORD_WINDOW_S) is True  # a new window


def test_a_window_without_loss_gives_no_summary() -> None:
    limit = HealthRecordLimit(cap=2, window_s=10.0)
    assert limit.admit("lamp", T0) and limit.admit("lamp", T0 + 1)
    assert limit.closed(T0 + 10.0) == []
    with pytest.raises(ValueError, match="cap"):
        HealthRecordLimit(cap=0)


def test_the_room_shows_every_forged_event_and_records_the_cap_and_a_summary(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "state")
    try:
        runtime, outbox = _runtime(tmp_path, journal)
        _command(runtime, T0, action="start", profile="cues")
        session_id = runtime.session.session_id if runtime.session else ""
        for i in range(500):
            runtime.handle(DeviceHealth("ceiling", False), T0 + 1 + i * 0.01)
            runtime.handle(DeviceHealth("ceiling", True), T0 + 1.005 + i * 0.01)
        live = [e for e in outbox.events() if e["type"].startswith("device_")]
        assert len(live) == 1000
        runtime.handle(Heartbeat(), T0 + 1 + RECORD_WINDOW_S)
        _command(runtime, T0 + 2 + RECORD_WINDOW_S, action="stop")
        runtime.handle(Shutdown(), T0 + 3 + RECORD_WINDOW_S)  # its records are on disk
        recorded = [e for e in journal.events(session_id) if e.type.startswith("device_")]
    finally:
        journal.close()
    assert [e.type for e in recorded[:RECORD_CAP]] == ["device_offline", "device_online"] * (
        RECORD_CAP // 2
    )
    assert len(recorded) == RECORD_CAP + 1
    summary = recorded[-1]
    assert summary.type == "device_events_unrecorded"
    assert summary.data == {"device": "ceiling", "count": 1000 - RECORD_CAP, "window_s": 60.0}


def test_a_light_set_by_hand_in_a_phase_is_kept_and_shown(tmp_path: Path) -> None:
    runtime, outbox = _runtime(tmp_path)
    _command(runtime, T0, action="start", profile="cues")
    sent = outbox.to("z/ceiling/set")[-1]
    assert sent["brightness"] == round(0.2 * 254)
    runtime.handle(DeviceEcho("ceiling", LightLevel(True, 0.2, None)), T0 + 0.1)  # its echo
    now = T0 + 0.1
    while (wake := runtime.next_wake(now)) is not None and wake < T0 + 70.0:
        assert wake > now, "the room asks to be woken in the past"
        runtime.handle(Wake(), wake)
        now = wake
    runtime.handle(DeviceEcho("ceiling", LightLevel(True, 0.9, None)), T0 + 70.0)  # by hand
    event = [e for e in outbox.events() if e["type"] == "manual_change"][-1]
    assert event["device"] == "ceiling"
    assert event["kept"]["brightness"] == 0.9
    state = outbox.to("roomctl/room-t/state")[-1]
    assert state["devices"]["ceiling"] == {
        "online": True,
        "manual": {"on": True, "brightness": 0.9},
    }
    count = len(outbox.to("z/ceiling/set"))
    runtime.handle(Heartbeat(), T0 + 80.0)
    assert len(outbox.to("z/ceiling/set")) == count  # kept: nothing sent over it
