"""The Shelly Gen2 adapter: exact RPC frames, transition bounds, online, notifications."""

from __future__ import annotations

import json
from typing import Any

import pytest

from roomctl.api.messages import Message
from roomctl.core.levels import LightLevel
from roomctl.devices import DeviceEcho, DeviceHealth, Network
from roomctl.devices.shelly import ShellyLight, ShellySpec

TOPIC = "shellyprorgbwpm-room1"


def panel(mode: str = "rgb", channel: int = 0) -> ShellyLight:
    spec = ShellySpec.model_validate(
        {"type": "shelly", "topic": TOPIC, "mode": mode, "channel": channel}
    )
    return ShellyLight("panel", spec)


SOURCE = f"roomctl-{TOPIC}"
ANSWERS = f"{SOURCE}/rpc"


def frame(messages: list[Message]) -> dict[str, Any]:
    assert len(messages) == 1
    assert messages[0].topic == f"{TOPIC}/rpc"
    document: dict[str, Any] = json.loads(messages[0].payload)
    assert isinstance(document.pop("id"), int)
    return document


def test_rgb_set_with_colour_brightness_and_transition() -> None:
    document = frame(panel().command(LightLevel(True, 0.4, color=(255.0, 64.0, 0.0)), 12.0))
    assert document == {
        "src": SOURCE,
        "method": "RGB.Set",
        "params": {
            "id": 0,
            "on": True,
            "brightness": 40,
            "rgb": [255, 64, 0],
            "transition_duration": 12,
        },
    }


def test_light_mode_on_its_channel_has_brightness_only() -> None:
    document = frame(panel("light", 2).command(LightLevel(True, 0.255, 300.0, None), 0.0))
    assert document == {
        "src": SOURCE,
        "method": "Light.Set",
        "params": {"id": 2, "on": True, "brightness": 26, "transition_duration": 0.5},
    }


def test_off_and_instant_changes_take_the_shortest_transition() -> None:
    # Left out, the device would run its configured default (3 s from the factory).
    document = frame(panel().command(LightLevel(False), 5.0))
    assert document["params"] == {"id": 0, "on": False, "transition_duration": 0.5}


def test_transition_bounds() -> None:
    short = frame(panel().command(LightLevel(True, 0.5), 0.2))["params"]
    assert short["transition_duration"] == 0.5
    long = frame(panel().command(LightLevel(True, 0.5), 20000.0))["params"]
    assert long["transition_duration"] == 10800
    instant = frame(panel().command(LightLevel(True, 0.5), 0.0))["params"]
    assert instant["transition_duration"] == 0.5


def test_request_ids_differ() -> None:
    adapter = panel()
    first = json.loads(adapter.command(LightLevel(True, 0.5), 0.0)[0].payload)["id"]
    second = json.loads(adapter.command(LightLevel(True, 0.5), 0.0)[0].payload)["id"]
    assert first != second


def test_capabilities_by_mode() -> None:
    rgb, white = panel().capabilities, panel("light").capabilities
    assert (rgb.brightness, rgb.color_temp, rgb.color) == (True, False, True)
    assert (white.brightness, white.color_temp, white.color) == (True, False, False)
    assert rgb.max_transition_s == 10800.0 and rgb.network == Network("shelly", TOPIC)


@pytest.mark.parametrize(("payload", "online"), [(b"true", True), (b"false", False)])
def test_online(payload: bytes, online: bool) -> None:
    adapter = panel()
    assert f"{TOPIC}/online" in adapter.subscriptions()
    assert adapter.parse(f"{TOPIC}/online", payload) == DeviceHealth("panel", online)


def test_notify_status_partial_updates_merge() -> None:
    adapter = panel()
    status = b'{"id":0,"output":true,"brightness":40,"rgb":[255,64,0],"source":"rpc"}'
    assert adapter.parse(f"{TOPIC}/status/rgb:0", status) == DeviceEcho(
        "panel", LightLevel(True, 0.4, None, (255.0, 64.0, 0.0))
    )
    notify = {
        "src": "shellyprorgbwpm-abc",
        "dst": f"{TOPIC}/events",
        "method": "NotifyStatus",
        "params": {"ts": 1.0, "rgb:0": {"id": 0, "brightness": 55}},
    }
    assert adapter.parse(f"{TOPIC}/events/rpc", json.dumps(notify).encode()) == DeviceEcho(
        "panel", LightLevel(True, 0.55, None, (255.0, 64.0, 0.0))
    )


def test_notifications_for_other_components_say_nothing() -> None:
    notify = {"method": "NotifyStatus", "params": {"ts": 1.0, "rgb:1": {"id": 1, "output": False}}}
    assert panel().parse(f"{TOPIC}/events/rpc", json.dumps(notify).encode()) is None
    event = {"method": "NotifyEvent", "params": {"events": []}}
    assert panel().parse(f"{TOPIC}/events/rpc", json.dumps(event).encode()) is None


def test_refresh_answer_is_matched_by_request_id() -> None:
    adapter, other = panel(), panel()
    (request,) = adapter.refresh()
    document = json.loads(request.payload)
    assert request.topic == f"{TOPIC}/rpc"
    assert (document["method"], document["params"]) == ("RGB.GetStatus", {"id": 0})
    # Answers come on the light's own source topic, not one every room shares.
    assert adapter.subscriptions()[-1] == ANSWERS
    assert "roomctl/rpc" not in adapter.subscriptions()
    answer = {
        "id": document["id"],
        "src": "shelly",
        "dst": SOURCE,
        "result": {"id": 0, "output": False, "brightness": 20, "rgb": [0, 0, 255]},
    }
    raw = json.dumps(answer).encode()
    assert other.parse(ANSWERS, raw) is None
    assert adapter.parse(ANSWERS, raw) == DeviceEcho(
        "panel", LightLevel(False, 0.2, None, (0.0, 0.0, 255.0))
    )
    # An answer is read once.
    assert adapter.parse(ANSWERS, raw) is None
