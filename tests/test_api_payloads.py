"""What roomctl publishes, byte for byte as before the types: replies, state and events."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any, Literal, get_args, get_origin

import pytest

from roomctl.api import (
    EVENT_TYPES,
    CommandRejected,
    DeviceOffline,
    DeviceState,
    JournalProblem,
    LightLevelFields,
    ManualChange,
    NextCue,
    Paused,
    PendingCue,
    PhaseSpan,
    PhaseStarted,
    Reply,
    RoomState,
    compact_json,
    dump_plain,
    event_fields,
    event_payload,
    iso_timestamp,
    plain_fields,
    read_event,
    reply_payload,
)
from roomctl.api.events import EventType

WALL = 1_800_000_000.2017  # 2027-01-15 08:00:00.201 UTC


@pytest.mark.parametrize(
    ("args", "wire"),
    [
        (
            ("a1", True, "running", None, True),
            '{"request_id":"a1","ok":true,"status":"running","recorded":true}',
        ),
        (
            ("a1", True, "running", "disk slow", False),
            '{"request_id":"a1","ok":true,"status":"running","recorded":false,'
            '"warning":"disk slow"}',
        ),
        (
            (None, False, "idle", "bad", None),
            '{"request_id":null,"ok":false,"status":"idle","error":"bad"}',
        ),
        (
            ("x", False, "paused", "stalled", False),
            '{"request_id":"x","ok":false,"status":"paused","error":"stalled","recorded":false,'
            '"warning":"stalled"}',
        ),
        (("x", True, "paused", None, None), '{"request_id":"x","ok":true,"status":"paused"}'),
    ],
)
def test_a_reply_reads_as_before(args: tuple[object, ...], wire: str) -> None:
    assert reply_payload(*args) == wire  # type: ignore[arg-type]


def test_an_idle_state_reads_as_before() -> None:
    state = RoomState(
        room="room-1",
        status="idle",
        devices={"ceiling": DeviceState(online=True), "lamp": DeviceState(online=None)},
    )
    assert state.payload(WALL) == (
        '{"room":"room-1","status":"idle","profile":null,"session_id":null,"phase":null,'
        '"phase_index":null,"phase_count":null,"elapsed_s":null,"phase_remaining_s":null,'
        '"remaining_s":null,"paused_by":null,"updated_at":"2027-01-15T08:00:00.201Z",'
        '"devices":{"ceiling":{"online":true},"lamp":{"online":null}},"next_cue":null,'
        '"pending_cues":[]}'
    )


def test_a_running_state_reads_as_before_rounded_with_its_manual_levels_and_journal() -> None:
    state = RoomState(
        room="room-1",
        status="running",
        profile="im-60",
        session_id="3f1c9a0b2d4e",
        phase="onset",
        phase_index=1,
        phase_count=5,
        elapsed_s=812.44,
        phase_remaining_s=88.0,
        remaining_s=2788.06,
        devices={
            "ceiling": DeviceState(
                online=True, manual=LightLevelFields(on=True, brightness=0.8, mireds=333)
            ),
            "lamp": DeviceState(
                online=None, manual=LightLevelFields(on=True, brightness=0.25, color=(255, 16, 0))
            ),
        },
        phases=[PhaseSpan(name="arrival", start_s=0.0, end_s=600.0)],
        speed=1.0,
        next_cue=NextCue(id="1.0", notify="Check", phase="onset", at_s=2400.0, in_s=1588.0),
        pending_cues=[
            PendingCue(
                id="0.0",
                notify="BP",
                phase="arrival",
                at_s=30.0,
                fired_at="2027-01-15T07:47:00.000Z",
            )
        ],
        journal=JournalProblem(error="the disk is full"),
    )
    assert state.payload(WALL) == (
        '{"room":"room-1","status":"running","profile":"im-60","session_id":"3f1c9a0b2d4e",'
        '"phase":"onset","phase_index":1,"phase_count":5,"elapsed_s":812.4,'
        '"phase_remaining_s":88.0,"remaining_s":2788.1,"paused_by":null,'
        '"updated_at":"2027-01-15T08:00:00.201Z","devices":{"ceiling":{"online":true,'
        '"manual":{"on":true,"brightness":0.8,"mireds":333}},"lamp":{"online":null,'
        '"manual":{"on":true,"brightness":0.25,"color":[255,16,0]}}},'
        '"phases":[{"name":"arrival","start_s":0.0,"end_s":600.0}],"speed":1.0,'
        '"next_cue":{"id":"1.0","notify":"Check","phase":"onset","at_s":2400.0,"in_s":1588.0},'
        '"pending_cues":[{"id":"0.0","notify":"BP","phase":"arrival","at_s":30.0,'
        '"fired_at":"2027-01-15T07:47:00.000Z"}],'
        '"journal":{"ok":false,"error":"the disk is full"}}'
    )


def test_events_read_as_before() -> None:
    assert event_payload(DeviceOffline(device="lamp"), "room-1", "s1", WALL) == (
        '{"type":"device_offline","ts":"2027-01-15T08:00:00.201Z","room":"room-1",'
        '"session_id":"s1","device":"lamp"}'
    )
    assert event_payload(Paused(by=None, elapsed_s=None), "room-1", "s1", WALL) == (
        '{"type":"paused","ts":"2027-01-15T08:00:00.201Z","room":"room-1","session_id":"s1",'
        '"by":null,"elapsed_s":null}'
    )
    change = ManualChange(
        device="lamp",
        reported=LightLevelFields(on=True, brightness=0.5, color=(1, 2, 3)),
        kept=LightLevelFields(on=True, brightness=0.3, mireds=250),
    )
    assert event_payload(change, "room-1", None, WALL) == (
        '{"type":"manual_change","ts":"2027-01-15T08:00:00.201Z","room":"room-1",'
        '"device":"lamp","reported":{"on":true,"brightness":0.5,"color":[1,2,3]},'
        '"kept":{"on":true,"brightness":0.3,"mireds":250}}'
    )


def test_an_event_read_back_from_its_stored_fields_is_the_same_event() -> None:
    change = ManualChange(
        device="lamp",
        reported=LightLevelFields(on=True, brightness=0.5),
        kept=LightLevelFields(on=True, brightness=0.3, mireds=250),
    )
    assert read_event("manual_change", event_fields(change)) == change


def test_the_event_type_names_are_the_event_models() -> None:
    published = [e.model_fields["type"].default for e in EVENT_TYPES]
    assert sorted(published) == sorted(EventType.__args__)  # type: ignore[attr-defined]
    assert len(set(published)) == len(published) == 21


@pytest.mark.parametrize(
    "args",
    list(
        itertools.product(
            [None, "a1"],
            [True, False],
            ["idle", "running", "paused", "emergency", "ended"],
            [None, "the disk is slow"],
            [None, True, False],
        )
    ),
)
def test_a_reply_reads_as_its_model_writes_it(args: tuple[Any, ...]) -> None:
    assert reply_payload(*args) == Reply.answer(*args).payload()


def test_only_models_of_plain_fields_are_written_without_pydantic() -> None:
    assert plain_fields(ManualChange) is None  # nested levels: pydantic writes them
    assert plain_fields(Paused, skip=frozenset({"type"})) == (("by", False), ("elapsed_s", True))
    fields = plain_fields(DeviceOffline, skip=frozenset({"type"}))
    assert fields is not None
    assert dump_plain(DeviceOffline(device="lamp"), fields) == {"device": "lamp"}
    assert dump_plain(PhaseStarted(phase="a", phase_index=0), (("phase", False),)) == {"phase": "a"}
    assert dump_plain(Paused(elapsed_s=float("nan")), (("elapsed_s", True),)) is None
    rejected = CommandRejected(reason="x")
    assert dump_plain(rejected, (("reason", False),)) == {"reason": "x"}


# Values of each kind a plain field can hold; a float field also gets an int and infinity.
_SAMPLES: dict[Any, list[Any]] = {
    str: ["Zimmer 3\n\u00e9"],
    bool: [True],
    int: [3],
    float: [2, 12.25, float("inf")],
    type(None): [None],
}


def _samples(annotation: Any) -> list[Any]:
    """Return values of each kind a field of this type can hold."""
    if annotation in _SAMPLES:
        return _SAMPLES[annotation]
    if annotation is LightLevelFields:
        return [LightLevelFields(on=True, brightness=0.5, color=(1, 2, 3))]
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    return [value for arg in get_args(annotation) for value in _samples(arg)]


@pytest.mark.parametrize("model", EVENT_TYPES, ids=lambda model: model.__name__)
def test_every_event_reads_as_pydantic_writes_it(model: Any) -> None:
    fields = {name: info for name, info in model.model_fields.items() if name != "type"}
    choices = [_samples(info.annotation) for info in fields.values()]
    for values in itertools.product(*choices):
        kwargs = dict(zip(fields, values, strict=True))
        unchecked = model.model_construct(**kwargs)  # an int kept in a float field
        written = unchecked.model_dump(mode="json", exclude={"type"})
        assert json.dumps(event_fields(unchecked)) == json.dumps(written)
        event = model(**kwargs)
        written = event.model_dump(mode="json", exclude={"type"})
        assert json.dumps(event_fields(event)) == json.dumps(written)
        envelope = {"type": event.type, "ts": "2027-01-15T08:00:00.201Z", "room": "room-1"}
        wire = json.dumps({**envelope, "session_id": "s1", **written}, separators=(",", ":"))
        assert event_payload(event, "room-1", "s1", WALL) == wire


@pytest.mark.parametrize(
    ("wall", "text"),
    [
        (WALL, "2027-01-15T08:00:00.201Z"),
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_800_000_000.9996, "2027-01-15T08:00:00.999Z"),  # cut, not rounded up
        (1_800_000_059.9999999, "2027-01-15T08:01:00.000Z"),  # to the microsecond first
        (4_102_444_799.5, "2099-12-31T23:59:59.500Z"),
    ],
)
def test_a_timestamp_reads_as_before(wall: float, text: str) -> None:
    moment = datetime.fromtimestamp(wall, tz=UTC)
    before = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    assert iso_timestamp(wall) == before == text


def test_compact_json_reads_as_json_dumps_did() -> None:
    value = {"a": [1, 2.5, None, True], "é": "x\n\u2028", "n": {"inf": float("inf")}}
    assert compact_json(value) == json.dumps(value, separators=(",", ":"))
    assert compact_json(value) == (
        '{"a":[1,2.5,null,true],"\\u00e9":"x\\n\\u2028","n":{"inf":Infinity}}'
    )


@pytest.mark.parametrize(
    "phases",
    [
        None,
        [],
        [PhaseSpan(name="a", start_s=0, end_s=600), PhaseSpan(name="b", start_s=600, end_s=1234.5)],
    ],
)
def test_the_state_writes_its_phases_as_pydantic_would(phases: list[PhaseSpan] | None) -> None:
    state = RoomState(room="room-1", status="running", phases=phases, speed=1.0)
    assert state.payload(WALL) == _state_as_pydantic_writes_it(state)


def _state_as_pydantic_writes_it(state: RoomState) -> str:
    """Return the state's payload the way model_dump would write it, `updated_at` added."""
    expected = {}
    for key, value in state.model_dump(mode="json").items():
        expected[key] = value
        if key == "paused_by":
            expected["updated_at"] = "2027-01-15T08:00:00.201Z"
    return compact_json(expected)


_MANUAL = {
    "plain": DeviceState(online=True),
    "unheard": DeviceState(online=None),
    "warm": DeviceState(online=False, manual=LightLevelFields(on=True, brightness=0.5, mireds=370)),
    "red": DeviceState(
        online=True, manual=LightLevelFields(on=False, brightness=0, color=(255, 0, 0))
    ),
}


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "idle"},
        {"status": "idle", "site": "north", "devices": _MANUAL},
        {
            "status": "running",
            "profile": "p",
            "session_id": "s1",
            "phase": "onset",
            "phase_index": 0,
            "phase_count": 3,
            "elapsed_s": 12,
            "phase_remaining_s": 47.96,
            "remaining_s": 1e9,
            "speed": 60,
            "next_cue": NextCue(id="0.1", notify="é\n", phase="onset", at_s=30, in_s=17.5),
            "pending_cues": [
                PendingCue(id=f"0.{i}", notify="BP", phase="p", at_s=i, fired_at="x")
                for i in range(3)
            ],
            "ends_at": "2027-01-15T08:30:00.000Z",
            "devices": _MANUAL,
        },
        {"status": "paused", "elapsed_s": float("inf"), "remaining_s": float("nan"), "speed": 1.0},
        {"status": "ended", "journal": JournalProblem(error="disk full"), "paused_by": "kim"},
    ],
)
def test_the_state_writes_every_field_as_pydantic_would(fields: dict[str, Any]) -> None:
    state = RoomState(room="room-1", **fields)
    assert state.payload(WALL) == _state_as_pydantic_writes_it(state)
