"""Home Assistant discovery, pure: the room file's block, the config, templates, contract."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from roomctl.api import asyncapi_document
from roomctl.api.state import DeviceState, JournalProblem, NextCue, PendingCue, RoomState
from roomctl.config import ConfigError, load_room
from roomctl.homeassistant.discovery import config_topic, discovery_config, status_topic
from roomctl.homeassistant.entities import OPERATOR
from tests.fixtures.home_assistant import attributes, entity_value

ROOM = """\
id: room-7
name: Therapy room 7
devices:
  ceiling: {type: zigbee2mqtt, topic: zigbee2mqtt/room7/ceiling}
  lamp:    {type: tasmota, topic: room7-lamp}
  speaker: {type: audio, output: default}
"""
WALL = 1_800_000_000.0


def write_room(tmp_path: Path, block: str) -> Path:
    path = tmp_path / "rooms" / "room-7.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ROOM + block)
    return path


def test_the_block_defaults_to_discovery_under_home_assistants_prefix(tmp_path: Path) -> None:
    room = load_room(write_room(tmp_path, "home_assistant: {}\n"))
    assert room.home_assistant is not None
    assert (room.home_assistant.discovery, room.home_assistant.prefix) == (True, "homeassistant")
    assert load_room(write_room(tmp_path, "")).home_assistant is None


@pytest.mark.parametrize(
    ("block", "line", "says"),
    [
        ("home_assistant:\n  prefix: home/+\n", 8, "'home/+' is not a discovery prefix"),
        ("home_assistant:\n  prefix: /ha\n", 8, "is not a discovery prefix"),
        ("home_assistant:\n  discovery: maybe\n", 8, "expected true or false"),
        ("home_assistant:\n  prefx: ha\n", 8, "did you mean 'prefix'"),
        ("home_assistant:\n  support_url: ftp://x\n", 8, "is not a web address"),
    ],
)
def test_a_wrong_block_is_refused_at_its_line(
    tmp_path: Path, block: str, line: int, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_room(write_room(tmp_path, block))
    (problem,) = caught.value.problems
    assert problem.line == line and says in problem.message, problem.format()
    assert problem.format().startswith(f"{write_room(tmp_path, block)}:{line}: home_assistant.")


def test_the_config_names_the_room_in_every_id_and_each_device_as_a_diagnostic(
    tmp_path: Path,
) -> None:
    block = "home_assistant: {prefix: clinic/ha, support_url: https://it.clinic.lan/roomctl}\n"
    room = load_room(write_room(tmp_path, block))
    config = discovery_config(room, ["calm", "deep"])
    assert config_topic(room.id, "clinic/ha") == "clinic/ha/device/roomctl_room-7/config"
    assert status_topic("clinic/ha") == "clinic/ha/status"
    assert config["dev"]["identifiers"] == ["roomctl_room-7"]
    assert config["dev"]["name"] == "Therapy room 7"
    assert config["o"]["url"] == "https://it.clinic.lan/roomctl"
    cmps = config["cmps"]
    assert all(c["unique_id"] == f"roomctl_room-7_{key}" for key, c in cmps.items())
    assert all(c["availability_topic"] == "roomctl/room-7/availability" for c in cmps.values())
    diagnostics = {k for k, c in cmps.items() if c.get("entity_category") == "diagnostic"}
    assert diagnostics == {"journal", "device_ceiling", "device_lamp", "device_speaker"}
    assert {cmps[k]["device_class"] for k in diagnostics - {"journal"}} == {"connectivity"}
    assert cmps["profile_choice"]["options"] == ["calm", "deep"]
    assert cmps["profile_choice"]["command_topic"] == "roomctl/room-7/ha/profile"
    buttons = {k: c for k, c in cmps.items() if c["platform"] == "button"}
    assert set(buttons) == {
        "pause", "resume", "next", "stop", "emergency", "release", "extend", "ack",
        "start_selected",
    }  # fmt: skip
    assert buttons["emergency"]["command_topic"] == "roomctl/room-7/emergency"
    for key, button in buttons.items():
        if key != "start_selected":
            command = json.loads(button["payload_press"])
            assert command["operator"] == OPERATOR
            assert command["action"] == key
    assert json.loads(buttons["extend"]["payload_press"])["by"] == "5m"
    # With no profile that fits, nothing to choose and nothing to start.
    bare = discovery_config(room, [])["cmps"]
    assert "profile_choice" not in bare and "start_selected" not in bare


def test_templates_read_a_paused_room_with_a_pending_cue_and_a_failing_journal(
    tmp_path: Path,
) -> None:
    room = load_room(write_room(tmp_path, "home_assistant: {}\n"))
    cmps = discovery_config(room, ["calm"])["cmps"]
    state = RoomState(
        room="room-7",
        status="paused",
        profile="calm",
        phase="onset",
        remaining_s=2788.06,
        devices={"ceiling": DeviceState(online=False), "lamp": DeviceState(online=None)},
        next_cue=NextCue(id="1.0", notify="Check pulse", phase="onset", at_s=2400, in_s=1588),
        pending_cues=[
            PendingCue(
                id="0.0",
                notify="Baseline blood pressure " + "x" * 300,
                phase="arrival",
                at_s=30,
                fired_at="2026-11-26T13:50:08.801Z",
            )
        ],
        journal=JournalProblem(error="the disk is full"),
    ).payload(WALL)
    payload = state.encode()
    assert entity_value(cmps["status"], payload) == "paused"
    assert entity_value(cmps["ends_at"], payload) is None
    assert entity_value(cmps["time_left"], payload) == 2788
    pending = entity_value(cmps["pending_cue"], payload)
    assert pending.startswith("Baseline blood pressure") and len(pending) == 255
    assert attributes(cmps["pending_cue"], payload)["count"] == 1
    assert entity_value(cmps["next_cue"], payload) == "Check pulse"
    assert attributes(cmps["next_cue"], payload)["in_s"] == 1588
    assert entity_value(cmps["journal"], payload) is True
    assert attributes(cmps["journal"], payload) == {"error": "the disk is full"}
    assert entity_value(cmps["device_ceiling"], payload) is False
    assert entity_value(cmps["device_lamp"], payload) is None  # not heard from yet
    assert entity_value(cmps["device_speaker"], payload) is None  # not in the state
    # An event the entity does not list is ignored, as Home Assistant ignores "".
    assert entity_value(cmps["room_event"], b'{"type": "device_online", "device": "x"}') is None


def test_the_contract_has_the_home_assistant_topics_and_the_config_matches_it(
    tmp_path: Path,
) -> None:
    document = asyncapi_document()
    addresses = {c["address"] for c in document["channels"].values()}
    assert {
        "roomctl/{room}/ha/profile",
        "roomctl/{room}/ha/start",
        "{prefix}/device/roomctl_{room}/config",
        "{prefix}/status",
    } <= addresses
    state = document["components"]["schemas"]["RoomState"]
    assert state["properties"]["ends_at"]["format"] == "date-time"
    config = discovery_config(load_room(write_room(tmp_path, "home_assistant: {}\n")), ["calm"])
    root = {"$ref": "#/components/schemas/HomeAssistantDiscovery"}
    validator = jsonschema.Draft7Validator({**root, "components": document["components"]})
    assert list(validator.iter_errors(config)) == []
    assert list(validator.iter_errors({"dev": {}, "cmps": {}}))
