"""Bad input of every kind gets one refusal and changes nothing; v5 replies reach their asker."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.fixtures.room import RESPONSE_BASE, RigFactory, received, wait_for

HOLD = """\
title: Hold
phases:
  - name: hold
    duration: 10m
    fade: 0s
    lights:
      all: {brightness: 60%, color_temp: 3000K}
"""


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


# (payload, the request_id the reply must carry)
BAD_INPUT: list[tuple[bytes, str | None]] = [
    (b"not json", None),
    (b"\xff\xfe\x00garbage", None),
    (b'{"action": "pause"', None),
    (_json([1, 2, 3]), None),
    (_json("pause"), None),
    (_json(None), None),
    (_json({"action": 5, "request_id": "r-type"}), "r-type"),
    (_json({"action": "pause", "request_id": 123}), None),
    (_json({"action": "start", "profile": 7, "request_id": "r-profile-type"}), "r-profile-type"),
    (_json({"action": "pause", "operator": ["kim"], "request_id": "r-op"}), "r-op"),
    (_json({"action": "dance", "request_id": "r-action"}), "r-action"),
    (_json({"request_id": "r-no-action"}), "r-no-action"),
    (_json({"action": "pause", "colour": "red", "request_id": "r-field"}), "r-field"),
    (_json({"action": "pause", "request_id": "r-huge", "operator": "x" * 70_000}), None),
    (_json({"action": "start", "profile": "../etc/passwd", "request_id": "r-path"}), "r-path"),
    (_json({"action": "start", "profile": "a/b", "request_id": "r-slash"}), "r-slash"),
    (_json({"action": "start", "request_id": "r-no-profile"}), "r-no-profile"),
    (_json({"action": "start", "profile": "hold", "at": "soon", "request_id": "r-at"}), "r-at"),
    (_json({"action": "extend", "request_id": "r-no-by"}), "r-no-by"),
    (_json({"action": "extend", "by": "-5m", "request_id": "r-neg"}), "r-neg"),
    (_json({"action": "extend", "by": -300, "request_id": "r-neg-number"}), "r-neg-number"),
    (_json({"action": "extend", "by": True, "request_id": "r-bool"}), "r-bool"),
    (_json({"action": "pause", "by": "5m", "request_id": "r-by-pause"}), "r-by-pause"),
    (_json({"action": "resume", "request_id": "r-not-paused"}), "r-not-paused"),
]


def test_bad_commands_each_get_one_refusal_and_change_nothing(serve_room: RigFactory) -> None:
    rig = serve_room({"hold": HOLD}, speed=10)
    sup = rig.supervisor
    assert sup.command("start", profile="hold", operator="kim")["ok"] is True
    ceiling = rig.device("ceiling")
    wait_for(lambda: ceiling.level().brightness == round(0.6 * 254) / 254, what="the hold level")
    state = sup.wait_state(lambda s: s["status"] == "running").json()
    # Anything the start itself sends has arrived once every light shows the hold level.
    for name, device in rig.sim.devices.items():
        wait_for(lambda d=device: abs(d.level().brightness - 0.6) < 0.01, what=f"{name} at 60 %")

    since = time.monotonic()
    for payload, _request_id in BAD_INPUT:
        sup.send(payload)
    # A second reply to any of them would come before the barrier's.
    barrier = sup.barrier()
    replies = [r for r in sup.replies(since) if r["request_id"] != barrier["request_id"]]
    assert len(replies) == len(BAD_INPUT)
    for reply, (payload, request_id) in zip(replies, BAD_INPUT, strict=True):
        assert reply["ok"] is False, payload[:60]
        assert reply["request_id"] == request_id, payload[:60]
        assert isinstance(reply["error"], str) and reply["error"], payload[:60]
        assert reply["status"] == "running"
    by_id = {r["request_id"]: r["error"] for r in replies}
    assert "65536" in next(r["error"] for r in replies if "bytes" in r["error"])
    assert "dance" in by_id["r-action"]
    assert "colour" in by_id["r-field"]
    assert "extend" in by_id["r-no-by"]
    rejected = sup.events("command_rejected", since)
    assert [e["reason"] for e in rejected][-1] == barrier["error"]
    assert len(rejected) == len(BAD_INPUT) + 1
    assert all(e["reason"] for e in rejected)
    # Nothing else changed: no new state, no event but the refusals, no light command.
    assert {e["type"] for e in sup.events(since=since)} == {"command_rejected"}
    for name, device in rig.sim.devices.items():
        assert received(device, since) == [], name
    assert sup.state["status"] == state["status"] == "running"
    assert sup.state["session_id"] == state["session_id"]

    # The daemon keeps working.
    after = time.monotonic()
    assert sup.command("pause", operator="kim") == {
        "request_id": sup.replies(after)[-1]["request_id"],
        "ok": True,
        "status": "paused",
        "recorded": True,
    }
    assert sup.wait_state(lambda s: s["status"] == "paused", after).json()["paused_by"] == "kim"


# The red team's payloads that once got no answer at all (and a 64 KiB log line each).
RED_TEAM: list[tuple[bytes, str | None, str]] = [
    (b"[" * 1000 + b"]" * 1000, None, "nested too deeply"),
    (
        b'{"action": "pause", "request_id": "r-deep", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        None,
        "nested too deeply",
    ),
    (
        b'{"action": "start", "profile": "hold", "request_id": "r-at", "at": ' + b"9" * 400 + b"}",
        "r-at",
        "'at' must be a finite duration",
    ),
    (
        b'{"action": "extend", "request_id": "r-by", "by": ' + b"9" * 400 + b"}",
        "r-by",
        "'by' must be a finite duration",
    ),
    (
        _json({"action": "extend", "request_id": "r-9h", "by": "9" * 400 + "h"}),
        "r-9h",
        "at most 32 characters",
    ),
    (b'{"action": "extend", "request_id": "r-e1", "by": 1e308}', "r-e1", "at most 4h00m"),
    (b'{"action": "extend", "request_id": "r-e2", "by": 1e308}', "r-e2", "at most 4h00m"),
    (b'{"action": "extend", "request_id": "r-nan", "by": NaN}', "r-nan", "must be a finite"),
    (b'{"action": "extend", "request_id": "r-inf", "by": Infinity}', "r-inf", "must be a finite"),
    (_json({"action": "extend", "request_id": "r-2400h", "by": "2400h"}), "r-2400h", "4h00m"),
    (
        b'{"action": "pause", "request_id": "r-sur", "operator": "\\ud800"}',
        "r-sur",
        "'operator' is not valid text",
    ),
    (_json({"action": "pause", "request_id": "r-nul", "operator": "k\x00m"}), "r-nul", "control"),
]


def test_the_red_teams_payloads_each_get_one_refusal_and_a_bounded_log(
    serve_room: RigFactory, caplog: pytest.LogCaptureFixture
) -> None:
    rig = serve_room({"hold": HOLD}, speed=10)
    sup = rig.supervisor
    assert sup.command("start", profile="hold", operator="kim")["ok"] is True
    state = sup.wait_state(lambda s: s["status"] == "running").json()
    for name, device in rig.sim.devices.items():
        wait_for(lambda d=device: abs(d.level().brightness - 0.6) < 0.01, what=f"{name} at 60 %")

    caplog.clear()
    since = time.monotonic()
    for payload, _request_id, _reason in RED_TEAM:
        sup.send(payload)
    # A last good command: its answer comes after every refusal, so there is nothing to wait for.
    assert sup.command("pause", operator="kim")["status"] == "paused"
    replies = sup.replies(since)[: len(RED_TEAM)]
    assert len(sup.replies(since)) == len(RED_TEAM) + 1
    for reply, (payload, request_id, reason) in zip(replies, RED_TEAM, strict=True):
        assert reply["ok"] is False, payload[:60]
        assert reply["request_id"] == request_id, payload[:60]
        assert reason in reply["error"], (payload[:60], reply["error"])
        assert reply["status"] == "running"
    rejected = sup.events("command_rejected", since)
    assert [e["reason"] for e in rejected] == [r["error"] for r in replies]
    assert sup.wait_state(lambda s: s["status"] == "paused", since).json()["paused_by"] == "kim"
    assert sup.state["session_id"] == state["session_id"]

    # None of it is worth an error in the log, and no log line carries a whole payload.
    assert [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR] == []
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert "[" * 300 not in text and "9" * 300 not in text, text[:200]


def test_extends_are_capped_per_command_and_per_session(serve_room: RigFactory) -> None:
    rig = serve_room({"hold": HOLD}, speed=10)
    sup = rig.supervisor
    assert sup.command("start", profile="hold")["ok"] is True
    started = time.monotonic()
    refused = sup.command("extend", by="2400h")
    assert refused["ok"] is False
    assert refused["error"] == "'by' is at most 4h00m per extend, not 2400h00m"
    for _ in range(3):
        assert sup.command("extend", by="4h")["ok"] is True
    since = time.monotonic()
    refused = sup.command("extend", by="1m")
    assert refused["ok"] is False
    assert refused["error"] == (
        "extend would take the session past 12h00m of extensions in all: at most 0s more"
    )
    assert [e["reason"] for e in sup.events("command_rejected", since)] == [refused["error"]]
    # 10 min of profile plus 12 h of extensions, less what has run.
    remaining = [s.json()["remaining_s"] for s in sup.states(started)]
    assert 12 * 3600 < remaining[-1] <= 12 * 3600 + 600


def test_garbage_from_devices_is_ignored(serve_room: RigFactory) -> None:
    rig = serve_room({"hold": HOLD}, speed=10)
    sup = rig.supervisor
    since = time.monotonic()
    garbage = [
        ("zigbee2mqtt/test/ceiling", "garbage"),
        ("zigbee2mqtt/test/ceiling", '{"brightness": "very"}'),
        ("zigbee2mqtt/test/ceiling/availability", "{]"),
        ("stat/test-lamp/RESULT", "not json"),
        ("stat/test-lamp/RESULT", '{"Dimmer": [1]}'),
        ("tele/test-lamp/LWT", "\u00ff" * 10),
        ("wled/test/g", "abc"),
        ("wled/test/c", "#zzzzzz"),
        ("wled/test/status", "maybe"),
        ("shelly-test/events/rpc", "[1,2"),
        ("shelly-test/status/rgb:0", '{"output": "yes", "brightness": null}'),
        ("test/cove", "[]"),
        ("test/cove/availability", ""),
    ]
    for topic, payload in garbage:
        sup.publish(topic, payload)
    assert sup.command("start", profile="hold")["ok"] is True
    state = sup.wait_state(lambda s: s["status"] == "running", since).json()
    assert all(d["online"] is True for d in state["devices"].values())
    assert sup.events("device_offline", since) == []
    wait_for(lambda: rig.device("ceiling").level().brightness == 152 / 254, what="the hold")


def test_a_v5_response_topic_gets_the_reply_with_its_correlation_data(
    serve_room: RigFactory,
) -> None:
    rig = serve_room({"hold": HOLD}, speed=10)
    sup = rig.supervisor
    since = time.monotonic()
    sup.send(
        {"action": "start", "profile": "hold", "request_id": "v5-start"},
        response_topic=f"{RESPONSE_BASE}/console-7",
        correlation=b"\x00\x01corr-42",
    )
    sup.send(b"not json", response_topic=f"{RESPONSE_BASE}/console-8", correlation=b"bad-1")
    answers = wait_for(
        lambda: len(a := sup.on(f"{RESPONSE_BASE}/console-7", since)) >= 1 and a, what="response"
    )
    assert answers[0].json() == {
        "request_id": "v5-start",
        "ok": True,
        "status": "running",
        "recorded": True,
    }
    assert answers[0].correlation == b"\x00\x01corr-42"
    refused = wait_for(
        lambda: len(a := sup.on(f"{RESPONSE_BASE}/console-8", since)) >= 1 and a, what="refusal"
    )
    assert refused[0].json()["ok"] is False and refused[0].json()["request_id"] is None
    assert refused[0].correlation == b"bad-1"
    # The reply topic has each as well, exactly once (the refusal may come first: it does
    # not wait for the start's record to reach the disk); a second would come before the
    # barrier's reply.
    barrier = sup.barrier()
    replies = [r for r in sup.replies(since) if r["request_id"] != barrier["request_id"]]
    assert sorted((r["ok"], r["request_id"] or "") for r in replies) == [
        (False, ""),
        (True, "v5-start"),
    ]
    assert len(sup.on(f"{RESPONSE_BASE}/console-7", since)) == 1
    assert len(sup.on(f"{RESPONSE_BASE}/console-8", since)) == 1


# -- what a client can make the daemon publish ------------------------------------------------


def test_a_response_topic_outside_the_reply_namespace_cannot_switch_a_lamp_off(
    serve_room: RigFactory,
) -> None:
    """The red team's attack: a reply aimed at a Tasmota lamp's Backlog with ;Power OFF;."""
    rig = serve_room({"hold": HOLD}, speed=10)
    sup = rig.supervisor
    assert sup.command("start", profile="hold", operator="kim")["ok"] is True
    lamp = rig.device("lamp")
    for name, device in rig.sim.devices.items():
        wait_for(lambda d=device: abs(d.level().brightness - 0.6) < 0.01, what=f"{name} at 60 %")

    since = time.monotonic()
    sup.send(
        {"action": "pause", "request_id": ";Power OFF;"},
        response_topic="cmnd/test-lamp/Backlog",
        correlation=b"attack",
    )
    refusal = wait_for(lambda: len(r := sup.replies(since)) >= 1 and r[0], what="the refusal")
    assert refusal["ok"] is False and refusal["request_id"] == ";Power OFF;"
    assert refusal["status"] == "running"
    assert refusal["error"].startswith(
        'response topic "cmnd/test-lamp/Backlog" is outside roomctl/replies/: '
    )
    assert [e["reason"] for e in sup.events("command_rejected", since)] == [refusal["error"]]

    # A later command's answer on an allowed response topic comes after anything the
    # daemon published for the first: by then the lamp would have had it.
    sup.send(
        {"action": "extend", "by": "1m", "request_id": "after"},
        response_topic=f"{RESPONSE_BASE}/console-1",
    )
    wait_for(lambda: sup.on(f"{RESPONSE_BASE}/console-1", since), what="the later answer")
    assert received(lamp, since) == []
    assert lamp.level().on is True
    assert abs(lamp.level().brightness - 0.6) < 0.01
    assert sup.state["status"] == "running"


def test_a_retained_command_is_refused_and_never_executed(serve_room: RigFactory) -> None:
    """A retained start would run again at every restart: the broker hands it over retained."""
    rig = serve_room({"hold": HOLD}, speed=10, start_daemon=False)
    sup = rig.supervisor
    command = json.dumps({"action": "start", "profile": "hold", "request_id": "kept"})
    sup.publish(sup.topics.cmd, command, retain=True)
    since = time.monotonic()
    rig.serve()
    refusal = wait_for(lambda: len(r := sup.replies(since)) >= 1 and r[0], what="the refusal")
    assert refusal == {
        "request_id": "kept",
        "ok": False,
        "status": "idle",
        "error": "retained commands are never executed: publish without the retain flag",
    }
    assert len(sup.events("command_rejected", since)) == 1
    assert sup.wait_state(lambda s: s["status"] == "idle", since).json()["session_id"] is None
    sup.publish(sup.topics.cmd, "", retain=True)  # clear it, as the daemon will
    assert sup.command("start", profile="hold")["ok"] is True
