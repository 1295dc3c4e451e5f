"""Commands on roomctl/R/cmd: a Command or a CommandError with a reason, whatever arrives."""

from __future__ import annotations

import json
import re
import time

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomctl.api import (
    EXCERPT_CHARS,
    MAX_EXTEND_BY_S,
    MAX_PAYLOAD_BYTES,
    AckCommand,
    Command,
    CommandError,
    EmergencyCommand,
    ExtendCommand,
    Inbound,
    PauseCommand,
    StartCommand,
    excerpt,
    parse_command,
    parse_inbound,
)

# Parsing runs on the MQTT network thread: even the worst 64 KiB payload takes a few
# milliseconds; a second leaves room for a loaded 2-core machine and still catches a
# quadratic blow-up (which takes minutes at this size).
WORST_CASE_S = 1.0
# A refusal's reason quotes client values only in short excerpts.
MAX_REASON_CHARS = 300


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


def _refusal(payload: bytes) -> CommandError:
    with pytest.raises(CommandError) as error:
        parse_command(payload)
    reason = error.value.reason
    assert reason and len(reason) <= MAX_REASON_CHARS, reason[:MAX_REASON_CHARS]
    reason.encode("utf-8")  # a reason is always text a journal and a reply can carry
    return error.value


@pytest.mark.parametrize(
    ("payload", "command"),
    [
        (
            {
                "action": "start",
                "profile": "im-60",
                "at": "12m",
                "operator": "kim",
                "request_id": "a",
            },
            StartCommand(request_id="a", operator="kim", profile="im-60", at=720.0),
        ),
        ({"action": "pause", "operator": "Zoë 😀"}, PauseCommand(operator="Zoë 😀")),
        ({"action": "extend", "by": "5m"}, ExtendCommand(by=300.0)),
        ({"action": "extend", "by": "4h"}, ExtendCommand(by=MAX_EXTEND_BY_S)),
        ({"action": "extend", "by": 90}, ExtendCommand(by=90.0)),
        ({"action": "ack"}, AckCommand()),
        (
            {"action": "ack", "cue": "12.345", "operator": "kim", "request_id": "r7"},
            AckCommand(cue="12.345", operator="kim", request_id="r7"),
        ),
    ],
)
def test_honest_commands_parse(payload: dict[str, object], command: Command) -> None:
    assert parse_command(_json(payload)) == command


# The red team's payloads and what their refusal must say.
RED_TEAM: list[tuple[str, bytes, str]] = [
    ("1,000-deep JSON", b'{"action": "pause", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}", "nested"),
    ("64 KiB of [", b"[" * MAX_PAYLOAD_BYTES, "nested"),
    (
        "400-digit at",
        b'{"action": "start", "profile": "p", "at": ' + b"9" * 400 + b"}",
        "'at' must be a finite duration",
    ),
    ("400-digit by", b'{"action": "extend", "by": ' + b"9" * 400 + b"}", "'by' must be a finite"),
    ("999...9h", _json({"action": "extend", "by": "9" * 400 + "h"}), "at most 32 characters"),
    ("by 1e308", b'{"action": "extend", "by": 1e308}', "'by' is at most 4h00m per extend"),
    ("by 1e400", b'{"action": "extend", "by": 1e400}', "'by' must be a finite duration"),
    ("by NaN", b'{"action": "extend", "by": NaN}', "'by' must be a finite duration"),
    ("by Infinity", b'{"action": "extend", "by": Infinity}', "'by' must be a finite duration"),
    (
        "at -Infinity",
        b'{"action": "start", "profile": "p", "at": -Infinity}',
        "'at' must be a finite",
    ),
    ("extend 2400h", _json({"action": "extend", "by": "2400h"}), "at most 4h00m per extend"),
    (
        "lone surrogate operator",
        b'{"action": "pause", "operator": "\\ud800"}',
        "'operator' is not valid text",
    ),
    (
        "lone surrogate profile",
        b'{"action": "start", "profile": "\\udfff"}',
        "'profile' is not valid text",
    ),
    ("lone surrogate key", b'{"action": "pause", "\\ud800": 1}', "field name is not valid text"),
    ("NUL in operator", b'{"action": "pause", "operator": "k\\u0000m"}', "control characters"),
    ("newline in operator", _json({"action": "pause", "operator": "kim\nfake line"}), "control"),
    ("5000-digit integer", b'{"action": "extend", "by": ' + b"9" * 5000 + b"}", "not JSON"),
    ("nested action", _json({"action": {"a": [[["pause"]]]}}), "unknown action an object"),
    ("long action", _json({"action": "x" * 60_000}), "unknown action"),
    ("many fields", _json({"action": "pause", **{f"k{i}": 1 for i in range(5000)}}), "more"),
    ("cue on pause", _json({"action": "pause", "cue": "0.0"}), "'cue' goes with ack, not pause"),
    ("cue a number", _json({"action": "ack", "cue": 2.0}), "'cue' must be a cue id like"),
    ("cue with newline", _json({"action": "ack", "cue": "2.0\n"}), "'cue' must be a cue id"),
    ("cue 4 digits", _json({"action": "ack", "cue": "1000.0"}), "'cue' must be a cue id"),
    ("cue Arabic digits", _json({"action": "ack", "cue": "\u0662.0"}), "'cue' must be"),
    ("ack with by", _json({"action": "ack", "by": "5m"}), "'by' goes with extend, not ack"),
    ("ack with profile", _json({"action": "ack", "profile": "p"}), "go with start, not ack"),
    ("ack, operator NUL", b'{"action": "ack", "operator": "k\\u0000m"}', "control characters"),
]


@pytest.mark.parametrize(("name", "payload", "reason"), RED_TEAM, ids=[c[0] for c in RED_TEAM])
def test_bad_input_is_refused_with_a_bounded_reason(name: str, payload: bytes, reason: str) -> None:
    assert reason in _refusal(payload).reason, name


def test_a_lone_surrogate_request_id_is_refused_and_never_echoed() -> None:
    error = _refusal(b'{"action": "pause", "request_id": "\\ud800"}')
    assert "'request_id' is not valid text" in error.reason
    assert error.request_id is None


def test_a_refusal_still_carries_a_good_request_id() -> None:
    error = _refusal(b'{"action": "pause", "operator": "\\ud800", "request_id": "r1"}')
    assert error.request_id == "r1"


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * MAX_PAYLOAD_BYTES,
        b"{" * MAX_PAYLOAD_BYTES,
        b'{"a":' * (MAX_PAYLOAD_BYTES // 5),
        b'{"action": "extend", "by": ' + b"9" * (MAX_PAYLOAD_BYTES - 40) + b"}",
        b'{"action": "extend", "by": "' + b"9" * (MAX_PAYLOAD_BYTES - 40) + b'h"}',
        b'{"action": "extend", "by": "' + b"1:" * (MAX_PAYLOAD_BYTES // 2 - 40) + b'"}',
        _json({"action": "pause", "operator": "\ud800" * 10_000}),
        _json({f"k{i}": [] for i in range(5000)}),
    ],
)
def test_the_worst_64_kib_payloads_are_refused_quickly(payload: bytes) -> None:
    assert len(payload) <= MAX_PAYLOAD_BYTES
    started = time.perf_counter()
    _refusal(payload)
    assert time.perf_counter() - started < WORST_CASE_S


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["pause", "start", "extend", "5m", "1e308", "\ud800"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(["action", "profile", "at", "by", "cue", "operator", "request_id", "x"])
COMMANDISH = st.dictionaries(FIELDS, JSON_VALUES, max_size=6)
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _command_or_refusal(payload: bytes) -> None:
    """Parse; anything but a Command or a CommandError fails the test."""
    try:
        command = parse_command(payload)
    except CommandError as error:
        assert error.reason and len(error.reason) <= MAX_REASON_CHARS
        error.reason.encode("utf-8")
        return
    assert isinstance(command, Command)
    # Only start has `profile` and `at`, only extend has `by`.
    for text in (command.operator, getattr(command, "profile", None), command.request_id):
        if text is not None:
            text.encode("utf-8")
    for seconds in (getattr(command, "at", None), getattr(command, "by", None)):
        assert seconds is None or 0.0 <= seconds < float("inf")
    cue = getattr(command, "cue", None)  # only an ack names a cue, and only like "2.0"
    assert cue is None or re.fullmatch(r"[0-9]{1,3}\.[0-9]{1,3}", cue)


@PROPERTY_SETTINGS
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_command_or_a_refusal(payload: bytes) -> None:
    _command_or_refusal(payload)


@PROPERTY_SETTINGS
@given(JSON_VALUES)
def test_any_json_value_gives_a_command_or_a_refusal(value: object) -> None:
    _command_or_refusal(json.dumps(value).encode())


@PROPERTY_SETTINGS
@given(COMMANDISH)
def test_any_command_shaped_object_gives_a_command_or_a_refusal(value: dict[str, object]) -> None:
    _command_or_refusal(json.dumps(value).encode())


@PROPERTY_SETTINGS
@given(st.integers(min_value=1, max_value=5000), st.sampled_from(["[", '{"a":', '[{"b":']))
def test_any_nesting_depth_gives_a_command_or_a_refusal(depth: int, opener: str) -> None:
    _command_or_refusal(('{"action": "pause", "x": ' + opener * depth).encode())
    closer = {"[": "]", '{"a":': "}", '[{"b":': "}]"}[opener]
    _command_or_refusal(
        ('{"action": "pause", "x": ' + opener * depth + "1" + closer * depth + "}").encode()
    )


# -- the message around the payload --------------------------------------------------------

PAUSE = b'{"action": "pause", "request_id": ";Power OFF;"}'


def test_a_command_with_a_reply_topic_under_the_namespace_is_parsed() -> None:
    inbound = Inbound("roomctl/r/cmd", PAUSE, response_topic="roomctl/replies/kim/1")
    assert parse_inbound(inbound) == PauseCommand(request_id=";Power OFF;")


def test_a_response_topic_outside_the_namespace_refuses_the_command() -> None:
    inbound = Inbound("roomctl/r/cmd", PAUSE, response_topic="cmnd/room2-lamp/Backlog")
    with pytest.raises(CommandError) as error:
        parse_inbound(inbound)
    assert error.value.reason.startswith(
        'response topic "cmnd/room2-lamp/Backlog" is outside roomctl/replies/: '
    )
    assert error.value.request_id == ";Power OFF;"


def test_a_wildcard_response_topic_refuses_the_command() -> None:
    inbound = Inbound("roomctl/r/cmd", PAUSE, response_topic="roomctl/replies/#")
    with pytest.raises(CommandError, match="no '\\+', '#' or NUL"):
        parse_inbound(inbound)


def test_a_retained_command_is_never_executed() -> None:
    with pytest.raises(CommandError) as error:
        parse_inbound(Inbound("roomctl/r/cmd", PAUSE, retain=True))
    assert error.value.reason == (
        "retained commands are never executed: publish without the retain flag"
    )
    assert error.value.request_id == ";Power OFF;"


def test_a_retained_garbage_command_is_refused_too() -> None:
    with pytest.raises(CommandError, match="retained"):
        parse_inbound(Inbound("roomctl/r/cmd", b"[" * 5000, retain=True))


# -- excerpts for log lines ------------------------------------------------------------------


def test_an_excerpt_is_bounded_and_says_how_much_there_was() -> None:
    payload = b'{"operator": "' + b"x" * 70_000 + b'"}'
    text = excerpt(payload)
    assert len(text) < EXCERPT_CHARS + 40
    assert text.endswith(f"... ({len(payload)} bytes in all)")
    assert excerpt(b"short") == "b'short'"
    assert excerpt("\ud800") == "'\\ud800'"  # ASCII: a log handler can always write it


@pytest.mark.parametrize(
    "command",
    [
        StartCommand(request_id="a1", operator="kim", profile="im-60", at=720.0),
        StartCommand(profile="demo"),
        PauseCommand(operator="Zoë 😀"),
        ExtendCommand(by=300.5, request_id="x"),
        EmergencyCommand(),
        AckCommand(cue="2.0", operator="kim", request_id="r7"),
        AckCommand(),
    ],
)
def test_a_command_encodes_to_what_parses_back_and_its_schema_takes(command: Command) -> None:
    payload = command.to_payload()
    assert json.loads(payload)["action"] == command.action
    assert parse_command(payload.encode()) == command
    schema = type(command).model_json_schema()
    assert list(jsonschema.Draft7Validator(schema).iter_errors(json.loads(payload))) == []


def test_a_duration_encodes_as_whole_seconds_when_it_is_whole() -> None:
    assert ExtendCommand(by=300.0).to_payload() == '{"action":"extend","by":300}'
