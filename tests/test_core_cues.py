"""Cues staff must acknowledge, through the pure core with an explicit clock."""

from __future__ import annotations

import json
from typing import Any

from roomctl.api.events import Cue, CueAcknowledged
from roomctl.api.state import PendingCue
from roomctl.core import Accept, Heartbeat, KeepSnapshot, Recover, Refuse, Wake
from roomctl.core.room_cues import PendingViews
from roomctl.core.room_session import FiredCue, Session
from tests.test_core_room import T0, Rig, events, kinds


def state(rig: Rig, now: float) -> dict[str, Any]:
    """Return the state the room would publish at `now`, as clients read it."""
    loaded: dict[str, Any] = json.loads(rig.core.view(now, {}, None).payload(now))
    return loaded


def pending(rig: Rig, now: float) -> list[tuple[str, str, str]]:
    """Return the pending cues' ids, texts and firing times, as the state shows them."""
    return [(c["id"], c["notify"], c["fired_at"]) for c in state(rig, now)["pending_cues"]]


def two_fired() -> Rig:
    """Return a rig whose session has fired both its first-phase cues (at 0 s and 5 min)."""
    rig = Rig()
    rig.send(T0, action="start", profile="cues", operator="kim")
    rig.feed(Wake(), T0 + 60.0)
    fired = rig.feed(Wake(), T0 + 300.0)
    assert [(e.cue_id, e.notify) for e in events(fired) if isinstance(e, Cue)] == [
        ("0.1", "Blood pressure")
    ]
    return rig


def test_fired_cues_stay_pending_oldest_first_and_the_next_cue_has_its_id() -> None:
    rig = Rig()
    rig.send(T0, action="start", profile="cues")
    shown = state(rig, T0 + 1.0)
    assert shown["next_cue"]["id"] == "0.1"
    assert [c["id"] for c in shown["pending_cues"]] == ["0.0"]
    rig = two_fired()
    assert pending(rig, T0 + 301.0) == [
        ("0.0", "Check identity", "2027-01-15T08:00:00.000Z"),
        ("0.1", "Blood pressure", "2027-01-15T08:05:00.000Z"),
    ]


def test_a_turn_taken_past_a_cue_before_its_wake_up_keeps_the_wake_up_at_the_cue() -> None:
    """Another input handled just after a cue's time must not plan the next wake past it.

    Under load a room can take a heartbeat (or a device's news) after a cue's instant and
    before the wake-up planned for it; the edge then skips wake-ups that come before the
    core's own, so a wake planned after the cue would leave it unfired until the next change.
    """
    rig = Rig()
    rig.send(T0, action="start", profile="cues")
    rig.feed(Wake(), T0 + 60.0)
    late = T0 + 300.004  # the 5-min cue's instant has passed; its wake-up not yet handled
    turn = rig.feed(Heartbeat(), late)
    assert turn.wake is not None and turn.wake <= late
    fired = rig.feed(Wake(), late)
    assert [e.cue_id for e in events(fired) if isinstance(e, Cue)] == ["0.1"]


def test_an_ack_names_who_and_how_long_after_and_clears_that_cue_only() -> None:
    rig = two_fired()
    decision = rig.send(T0 + 341.3, action="ack", cue="0.1", operator="alex", request_id="r7")
    assert events(decision) == [
        CueAcknowledged(
            cue_id="0.1", phase="first", notify="Blood pressure", by="alex", after_s=41.3
        )
    ]
    assert Accept("r7", "running") in decision.effects
    assert [c[0] for c in pending(rig, T0 + 342.0)] == ["0.0"]
    oldest = rig.send(T0 + 400.0, action="ack")  # no cue named: the oldest pending
    assert [(e.cue_id, e.by, e.after_s) for e in events(oldest)] == [("0.0", None, 400.0)]
    assert pending(rig, T0 + 401.0) == []


def test_an_ack_of_a_cue_not_pending_is_refused_and_changes_nothing() -> None:
    rig = two_fired()
    rig.send(T0 + 310.0, action="ack", cue="0.1")
    before = pending(rig, T0 + 320.0)
    for cue, reason in (("0.1", "cue 0.1 is not pending"), ("9.9", "cue 9.9 is not pending")):
        decision = rig.send(T0 + 320.0, action="ack", cue=cue, request_id="r")
        assert [e for e in decision.effects if isinstance(e, Refuse)] == [Refuse("r", reason, 0)]
        assert kinds(decision) == ["command_rejected"]
        assert pending(rig, T0 + 320.0) == before
    rig.send(T0 + 330.0, action="ack")
    emptied = rig.send(T0 + 340.0, action="ack", request_id="q")
    assert [e for e in emptied.effects if isinstance(e, Refuse)] == [
        Refuse("q", "no cue is pending", 0)
    ]


def test_pending_cues_stay_through_pause_emergency_and_the_end_and_a_new_start_clears() -> None:
    rig = two_fired()
    for action in ("pause", "emergency", "release", "stop"):
        rig.send(T0 + 320.0, action=action)
        assert [c[0] for c in pending(rig, T0 + 321.0)] == ["0.0", "0.1"], action
    assert rig.core.status == "ended"
    acked = rig.send(T0 + 330.0, action="ack", cue="0.0", operator="kim")
    assert kinds(acked) == ["cue_acknowledged"]
    rig.send(T0 + 340.0, action="start", profile="cues")
    assert [c[0] for c in pending(rig, T0 + 341.0)] == ["0.0"]  # the new session's first cue
    assert pending(rig, T0 + 341.0)[0][2] == "2027-01-15T08:05:40.000Z"


def test_pending_cues_and_acks_come_back_from_the_snapshot_after_a_restart() -> None:
    rig = two_fired()
    rig.send(T0 + 310.0, action="ack", cue="0.0", operator="kim")
    [keep] = [e for e in rig.core.settle(T0 + 310.0).effects if isinstance(e, KeepSnapshot)]
    again = Rig()
    back = again.feed(Recover(keep.session_id, keep.snapshot, keep.alive_at), T0 + 500.0)
    assert kinds(back) == ["recovered"]  # nothing fired again
    assert pending(again, T0 + 500.0) == [("0.1", "Blood pressure", "2027-01-15T08:05:00.000Z")]
    acked = again.send(T0 + 520.0, action="ack", operator="alex")
    assert [(e.cue_id, e.by, e.after_s) for e in events(acked)] == [("0.1", "alex", 220.0)]


def test_a_cue_firing_on_a_wake_publishes_the_state_that_lists_it() -> None:
    rig = Rig()
    rig.send(T0, action="start", profile="cues")
    rig.feed(Wake(), T0 + 60.0)
    fired = rig.feed(Wake(), T0 + 300.0)
    order = [type(e).__name__ for e in fired.effects]
    assert "PublishState" in order[order.index("Emit") :]


def test_an_ended_session_comes_back_for_its_pending_cues_quietly_and_keeps_its_end() -> None:
    rig = two_fired()
    rig.send(T0 + 320.0, action="stop")
    [keep] = [e for e in rig.core.settle(T0 + 320.0).effects if isinstance(e, KeepSnapshot)]
    assert keep.ended_at == T0 + 320.0 and keep.snapshot["status"] == "ended"
    again = Rig()
    ended = (T0 + 320.0, "stopped")
    back = again.feed(Recover(keep.session_id, keep.snapshot, keep.alive_at, ended), T0 + 900.0)
    assert kinds(back) == [] and again.core.status == "ended"  # nothing recorded
    assert [c[0] for c in pending(again, T0 + 900.0)] == ["0.0", "0.1"]
    acked = again.send(T0 + 910.0, action="ack", operator="lee")
    assert [(e.cue_id, e.by) for e in events(acked)] == [("0.0", "lee")]
    [kept] = [e for e in again.core.settle(T0 + 910.0).effects if isinstance(e, KeepSnapshot)]
    assert (kept.ended_at, kept.end_reason) == ended  # the session's end stays as it was
    assert [c["id"] for c in kept.snapshot["pending_cues"]] == ["0.1"]
    again.send(T0 + 920.0, action="start", profile="cues")
    assert [c[0] for c in pending(again, T0 + 921.0)] == ["0.0"]  # the new session's own


def _session_with(*cues: FiredCue) -> Session:
    """Return a started session of the cue profile whose pending cues are `cues`."""
    rig = Rig()
    rig.send(T0, action="start", profile="cues")
    session = rig.core.session
    assert session is not None
    return session.with_pending(cues)


def _shown(views: list[PendingCue]) -> list[tuple[str, str]]:
    return [(view.id, view.fired_at) for view in views]


def test_pending_views_follow_fires_acks_and_a_restored_session_and_reuse_the_unchanged() -> None:
    first = FiredCue("0.0", "arrival", "Check identity", 0.0, T0)
    second = FiredCue("0.1", "arrival", "Blood pressure", 300.0, T0 + 300.0)
    third = FiredCue("1.0", "onset", "Breathing", 900.0, T0 + 900.5)
    views = PendingViews()
    one = views.of(_session_with(first))
    three = views.of(_session_with(first, second, third))  # fired: added at the end
    assert _shown(three) == [
        ("0.0", "2027-01-15T08:00:00.000Z"),
        ("0.1", "2027-01-15T08:05:00.000Z"),
        ("1.0", "2027-01-15T08:15:00.500Z"),
    ]
    assert three[0] is one[0]  # made once, not again for every state message
    acked = views.of(_session_with(first, third))  # the middle one acknowledged
    assert _shown(acked) == [
        ("0.0", "2027-01-15T08:00:00.000Z"),
        ("1.0", "2027-01-15T08:15:00.500Z"),
    ]
    assert acked[1] is three[2]
    restored = FiredCue("0.0", "arrival", "Check identity", 0.0, T0 + 1.0)  # not the same cue
    assert _shown(views.of(_session_with(restored))) == [("0.0", "2027-01-15T08:00:01.000Z")]
    assert views.of(_session_with()) == []
