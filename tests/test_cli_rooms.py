"""What `roomctl status` makes of the messages it sees, on an explicit clock."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console, RenderableType

from roomctl.cli.display import notes, watch_view
from roomctl.cli.rooms import STALE_AFTER_S, Rooms, UnreadableStateError, moved_on, read_state

T0 = datetime(2026, 11, 26, 14, 3, 11, 201000, tzinfo=UTC)


def state(**fields: Any) -> bytes:
    """Return a running room's state payload published at T0, with changes."""
    data: dict[str, Any] = {
        "room": "room-1",
        "status": "running",
        "profile": "p",
        "session_id": "s1",
        "phase": "onset",
        "phase_index": 1,
        "phase_count": 2,
        "elapsed_s": 100.0,
        "phase_remaining_s": 50.0,
        "remaining_s": 200.0,
        "paused_by": None,
        "updated_at": "2026-11-26T14:03:11.201Z",
        "devices": {"ceiling": {"online": True}, "lamp": {"online": None}},
        "phases": [{"name": "a", "start_s": 0.0, "end_s": 60.0}],
        "speed": 2.0,
        "next_cue": {"notify": "BP", "phase": "onset", "at_s": 130.0, "in_s": 30.0},
    }
    data.update(fields)
    return json.dumps(data).encode()


PENDING = {
    "id": "0.0",
    "notify": "Baseline blood pressure",
    "phase": "arrival",
    "at_s": 30.0,
    "fired_at": "2026-11-26T14:01:41.201Z",
}


def shown(view: RenderableType) -> str:
    """Return a view as a 200-column terminal shows it, without colour."""
    console = Console(width=200, color_system=None)
    with console.capture() as capture:
        console.print(view)
    return capture.get()


def test_pending_cues_stay_on_screen_until_the_state_drops_them() -> None:
    rooms = Rooms()
    second = {**PENDING, "id": "1.0", "notify": "Pulse", "phase": "onset"}
    rooms.take("roomctl/room-1/state", state(pending_cues=[PENDING, second]), True, T0)
    seen = rooms.snapshot()
    later = T0 + timedelta(minutes=10)  # no new state (it is stale by then): they stay
    fired = datetime(2026, 11, 26, 14, 1, 41, tzinfo=UTC).astimezone().strftime("%H:%M:%S")
    banner = (
        f"CUE {fired}  room-1: Baseline blood pressure  (phase arrival)"
        "  not acknowledged: roomctl ack 0.0 --room room-1"
    )
    assert banner in shown(watch_view(seen, later))
    assert "room-1: Pulse  (phase onset)  not acknowledged: roomctl ack 1.0" in shown(
        watch_view(seen, later)
    )
    once = "\n".join(line.plain for line in notes(seen, T0))
    assert banner in once and "room-1 next cue: BP in " in once
    rooms.take("roomctl/room-1/state", state(pending_cues=[second]), True, T0)
    assert "Baseline blood pressure" not in shown(watch_view(rooms.snapshot(), later))
    rooms.take("roomctl/room-1/state", state(pending_cues=[]), True, T0)
    assert "CUE " not in shown(watch_view(rooms.snapshot(), later))


def test_the_next_cue_line_names_its_id() -> None:
    cue = {"id": "1.1", "notify": "BP", "phase": "onset", "at_s": 130.0, "in_s": 30.0}
    rooms = Rooms()
    rooms.take("roomctl/room-1/state", state(next_cue=cue), True, T0)
    [line] = notes(rooms.snapshot(), T0)
    assert line.plain == "room-1 next cue: BP in 30s (phase onset, cue 1.1)"


def test_a_live_running_room_moves_on_at_its_speed() -> None:
    rooms = Rooms()
    rooms.take("roomctl/room-1/state", state(), retained=True, now=T0)
    seen = rooms.snapshot()["room-1"]
    later = T0 + timedelta(seconds=10)
    assert seen.condition(later) == "live"
    ticked = moved_on(seen, later)
    assert ticked is not None
    assert ticked["elapsed_s"] == pytest.approx(120.0)
    assert ticked["remaining_s"] == pytest.approx(180.0)
    assert ticked["next_cue"]["in_s"] == pytest.approx(10.0)


def test_offline_and_stale_rooms_stand_still() -> None:
    rooms = Rooms()
    rooms.take("roomctl/room-1/state", state(), retained=True, now=T0)
    rooms.take("roomctl/room-1/availability", b"offline", retained=True, now=T0)
    offline = rooms.snapshot()["room-1"]
    assert offline.condition(T0) == "offline"
    assert offline.availability_seen_at is None  # retained: we did not see it change
    assert moved_on(offline, T0 + timedelta(seconds=10)) == offline.state
    rooms.take("roomctl/room-1/availability", b"online", retained=False, now=T0)
    back = rooms.snapshot()["room-1"]
    assert back.availability_seen_at == T0
    just_fresh = T0 + timedelta(seconds=STALE_AFTER_S)
    assert back.condition(just_fresh) == "live"
    stale = just_fresh + timedelta(seconds=0.1)
    assert back.condition(stale) == "stale"
    assert moved_on(back, stale) == back.state
    # An idle room has no heartbeat to miss: never stale.
    rooms.take("roomctl/room-1/state", state(status="idle"), retained=True, now=T0)
    assert rooms.snapshot()["room-1"].condition(T0 + timedelta(hours=5)) == "live"


def test_the_room_comes_from_the_topic_and_other_topics_are_ignored() -> None:
    rooms = Rooms(only="zz")
    assert rooms.take("roomctl/zz/state", state(room="room-1"), retained=True, now=T0)
    assert not rooms.take("roomctl/room-1/state", state(), retained=True, now=T0)
    assert not rooms.take("zigbee2mqtt/x/availability", b"online", retained=True, now=T0)
    assert not rooms.take("roomctl/zz/reply", b"{}", retained=False, now=T0)
    assert list(rooms.snapshot()) == ["zz"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1]", "not a JSON object"),
        (state(status="dancing"), "status"),
        (state(devices=[1]), "devices must be an object, not [1]"),
        (state(devices={"x": 1}), "devices.x must be"),
        (state(devices={"x": {"online": "yes"}}), "devices.x must be"),
        (state(elapsed_s="12"), "elapsed_s must be a number"),
        (state(phase_index=True), "phase_index must be a whole number"),
        (state(updated_at="yesterday"), "updated_at"),
        (state(updated_at="2026-11-26T14:03:11"), "no time zone"),
        (state(phases=[{"name": "a"}]), "phases has"),
        (state(speed=0), "speed must be a positive number"),
        (state(next_cue={"notify": 3}), "next_cue"),
        (state(profile=["p"]), "profile must be a text"),
        (state(pending_cues={"id": "0.0"}), "pending_cues must be a list"),
        (state(pending_cues=[{"id": "0.0", "notify": "BP"}]), "pending_cues has"),
        (state(pending_cues=[dict(PENDING, fired_at="soon")]), "pending_cues[0].fired_at"),
        (state(next_cue={"id": 1, "notify": "BP", "at_s": 1, "in_s": 1}), "next_cue"),
    ],
)
def test_a_malformed_state_is_unreadable_with_its_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(UnreadableStateError, match=re.escape(reason)):
        read_state(payload)
    rooms = Rooms()
    rooms.take("roomctl/bad/state", payload, retained=True, now=T0)
    seen = rooms.snapshot()["bad"]
    assert seen.condition(T0) == "unreadable" and seen.state is None


def test_a_cue_event_is_kept_and_other_events_are_not() -> None:
    rooms = Rooms()
    cue = {"type": "cue", "ts": "2026-11-26T14:05:00.000Z", "room": "x", "notify": "BP"}
    assert rooms.take("roomctl/room-1/events", json.dumps(cue).encode(), False, T0)
    assert not rooms.take("roomctl/room-1/events", b'{"type": "paused"}', False, T0)
    assert not rooms.take("roomctl/room-1/events", b"[", False, T0)
    last = rooms.snapshot()["room-1"].last_cue
    assert last is not None and last.notify == "BP" and last.at.minute == 5
