"""The catalog: the profiles of a folder that fit a room, pictured, and why the others do not."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from roomctl.api.contract import asyncapi_document
from roomctl.api.messages import Message
from roomctl.config.library import ProfileLibrary, load_room
from roomctl.runtime.catalog import catalog_shape, room_catalog
from roomctl.runtime.catalog_watch import SETTLE_S, CatalogPublisher, CatalogRoom

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "profiles"
# Far enough in the past that a file counts as settled (config.library's rule).
SETTLED_AGO_S = 10 * SETTLE_S
MISSPELT = """\
title: Reading
phases:
  - name: arrival
    duration: 1m
    lights: {all: {brightness: 50%}}
  - name: reading
    duration: 1m
    lights: {reading_lmap: {brightness: 80%}}
"""
NO_SUCH_SOUND = """\
title: Waves
phases:
  - name: waves
    duration: 1m
    sound: {source: waves.wav, volume: -20 dB}
"""


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """Return a copy of the shipped profiles folder (rooms/, sessions/) to change at will."""
    shutil.copytree(SHIPPED, tmp_path / "profiles")
    return tmp_path / "profiles"


def _validator() -> jsonschema.Draft7Validator:
    root = {"$ref": "#/components/schemas/Catalog", "components": asyncapi_document()["components"]}
    return jsonschema.Draft7Validator(root)


def _settle(folder: Path) -> None:
    """Date every file of the folder back, as files saved a while ago are."""
    past = time.time() - SETTLED_AGO_S
    for path in folder.rglob("*"):
        os.utime(path, (past, past))


def test_the_shipped_profiles_all_fit_room_1_and_match_the_contract(clinic: Path) -> None:
    room = load_room(clinic / "rooms" / "room-1.yaml")
    payload = json.loads(room_catalog(room, ProfileLibrary(clinic / "sessions"), 0.0).payload())
    assert _validator().is_valid(payload)
    assert payload["room"] == "room-1"
    assert payload["updated_at"] == "1970-01-01T00:00:00.000Z"
    assert payload["point_fields"] == ["t_s", "brightness", "mireds", "volume"]
    names = [p["name"] for p in payload["profiles"]]
    assert names == [
        "demo",
        "esketamine-observation",
        "im-ketamine-60",
        "integration-30",
        "iv-ketamine-40",
    ]
    assert payload["problems"] == []
    demo = payload["profiles"][0]
    assert (demo["title"], demo["duration_s"]) == ("Demo, 7 minutes", 450.0)
    arrival = demo["phases"][0]
    assert (arrival["name"], arrival["start_s"], arrival["end_s"], arrival["fade_s"]) == (
        "arrival",
        0.0,
        60.0,
        10.0,
    )
    assert arrival["cues"] == [{"id": "0.0", "at_s": 30.0, "notify": "Baseline blood pressure"}]
    # From standby (40 % at 3500 K, the panel 30 % of #ffd9a0) to 60 % at 3000 K (the
    # panel 40 % of #ffc27a): brown noise fading in to -30 dB under the room's -12 dB cap.
    first, last = arrival["points"][0], arrival["points"][-1]
    assert first[0] == 0.0 and first[1] == pytest.approx((4 * 0.4 + 0.3) / 5, abs=0.001)
    assert first[2] == 286 and first[3] == 0.0
    assert last[0] == 60.0 and last[1] == pytest.approx((4 * 0.6 + 0.4) / 5, abs=0.001)
    assert last[2] == 333 and last[3] == pytest.approx(10 ** (-30 / 20), abs=0.0001)
    cue_ids = [c["id"] for phase in demo["phases"] for c in phase["cues"]]
    assert cue_ids == ["0.0", "2.0"]
    for profile in payload["profiles"]:
        for phase in profile["phases"]:
            times = [p[0] for p in phase["points"]]
            assert times == sorted(times) and times[0] == phase["start_s"]
            assert times[-1] == phase["end_s"]


def test_a_profile_that_does_not_fit_is_a_problem_without_paths(clinic: Path) -> None:
    sessions = clinic / "sessions"
    (sessions / "reading.yaml").write_text(MISSPELT)
    (sessions / "waves.yaml").write_text(NO_SUCH_SOUND)
    (sessions / "Bad Name.yaml").write_text(MISSPELT.replace("reading_lmap", "reading_lamp"))
    room = load_room(clinic / "rooms" / "room-1.yaml")
    text = room_catalog(room, ProfileLibrary(sessions), time.time()).payload()
    payload = json.loads(text)
    assert _validator().is_valid(payload)
    assert "reading" not in [p["name"] for p in payload["profiles"]]
    problems = {p["profile"]: p["error"] for p in payload["problems"]}
    assert set(problems) == {"reading", "waves", "Bad Name"}
    assert problems["reading"] == (
        "phases[1].lights.reading_lmap: room 'room-1' has no light or group 'reading_lmap': "
        "did you mean 'reading_lamp'?"
    )
    assert problems["waves"].startswith("phases[0].sound.source: ")
    assert problems["Bad Name"].startswith("'Bad Name' is not a profile name")
    assert str(clinic) not in text and str(clinic.resolve()) not in text


def test_a_broken_catalog_fails_the_contract(clinic: Path) -> None:
    room = load_room(clinic / "rooms" / "room-1.yaml")
    payload: dict[str, Any] = json.loads(
        room_catalog(room, ProfileLibrary(clinic / "sessions"), 0.0).payload()
    )
    payload["profiles"][0]["phases"][0]["points"][0] = [0.0, 1.5, 286, 0.0]  # 150 % light
    assert not _validator().is_valid(payload)


def test_the_publisher_publishes_at_once_and_again_only_on_a_real_change(clinic: Path) -> None:
    sessions = clinic / "sessions"
    room = load_room(clinic / "rooms" / "room-1.yaml")
    sent: list[Message] = []
    publisher = CatalogPublisher([CatalogRoom(room, sessions, sent.append)])
    _settle(clinic)
    publisher.poll()
    assert [(m.topic, m.retain, m.qos) for m in sent] == [("roomctl/room-1/catalog", True, 1)]
    publisher.poll()
    assert len(sent) == 1  # nothing changed
    (sessions / "demo.yaml").touch()  # a new time, the same profile
    publisher.poll()
    _settle(clinic)
    publisher.poll()
    assert len(sent) == 1
    demo = sessions / "demo.yaml"
    demo.write_text(demo.read_text().replace("Demo, 7 minutes", "Demo, seven minutes"))
    publisher.poll()
    assert len(sent) == 2
    titles = [p["title"] for p in json.loads(sent[-1].payload)["profiles"]]
    assert "Demo, seven minutes" in titles
    demo.unlink()
    publisher.poll()
    assert "demo" not in [p["name"] for p in json.loads(sent[-1].payload)["profiles"]]


def test_building_the_shipped_catalog_takes_milliseconds(clinic: Path) -> None:
    room = load_room(clinic / "rooms" / "room-1.yaml")
    profiles = ProfileLibrary(clinic / "sessions")
    room_catalog(room, profiles, 0.0)  # the files parsed once, as at the first poll
    started = time.perf_counter()
    room_catalog(room, profiles, 0.0).payload()
    took = time.perf_counter() - started
    # About 20 ms on an idle 2-core machine; a loaded one may take several times that.
    assert took < 1.0


def test_rooms_alike_share_one_catalog_each_under_its_own_id(clinic: Path) -> None:
    sessions = clinic / "sessions"
    room = load_room(clinic / "rooms" / "room-1.yaml")
    # Another room with the same lights at other addresses: the same catalog but its id.
    devices = {
        name: spec.model_copy(update={"topic": f"elsewhere/{name}"})
        if hasattr(spec, "topic")
        else spec
        for name, spec in room.devices.items()
    }
    twin = room.model_copy(update={"id": "room-2", "name": "Room two", "devices": devices})
    dimmer = room.model_copy(
        update={"id": "room-3", "limits": room.limits.model_copy(update={"max_volume": -30.0})}
    )
    assert catalog_shape(twin) == catalog_shape(room) != catalog_shape(dimmer)
    sent: list[Message] = []
    publisher = CatalogPublisher(
        [CatalogRoom(r, sessions, sent.append) for r in (room, twin, dimmer)]
    )
    _settle(clinic)
    publisher.poll()
    catalogs = {m.topic: json.loads(m.payload) for m in sent}
    assert sorted(catalogs) == [f"roomctl/room-{n}/catalog" for n in (1, 2, 3)]
    assert [catalogs[f"roomctl/room-{n}/catalog"]["room"] for n in (1, 2, 3)] == [
        "room-1",
        "room-2",
        "room-3",
    ]
    one, two, three = (catalogs[f"roomctl/room-{n}/catalog"] for n in (1, 2, 3))
    assert {**one, "room": ""} == {**two, "room": ""}

    def loudest(catalog: dict[str, Any]) -> float:
        return max(
            p[3] for prof in catalog["profiles"] for ph in prof["phases"] for p in ph["points"]
        )

    # The quieter room's cap (-30 dB, a gain of 0.0316) shows in its own pictures only.
    assert loudest(three) <= 10 ** (-30 / 20) + 1e-4 < loudest(one)
