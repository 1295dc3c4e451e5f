"""Loading room presets and session profiles: models, problems with lines, the library."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from roomctl.config import (
    ConfigError,
    Problem,
    load_profile,
    load_room,
    profile_problems,
    read_profile,
    read_yaml,
    source_problem,
)
from roomctl.devices import capabilities_of
from roomctl.devices.shelly import ShellySpec
from roomctl.models import LightSetting, SoundSetting

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ROOM = ROOT / "profiles" / "rooms" / "room-1.yaml"
SESSIONS = ROOT / "profiles" / "sessions"
DATA = Path(__file__).resolve().parent / "data"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_example_room_loads_with_every_device_type() -> None:
    room = load_room(EXAMPLE_ROOM)
    assert room.id == "room-1"
    assert room.broker == "embedded"
    types = {spec.type for spec in room.devices.values()}
    assert types == {"zigbee2mqtt", "tasmota", "wled", "shelly", "mqtt_json", "audio"}
    assert room.limits.min_brightness == pytest.approx(0.05)
    assert room.limits.max_volume == -12.0
    assert [entry.scene for entry in room.schedule] == ["standby", "cleaning", "night"]
    assert room.standby.lights["all"] == LightSetting(brightness="40%", color_temp="3500K")


def test_capabilities_default_per_type_and_spec_overrides() -> None:
    room = load_room(EXAMPLE_ROOM)
    lights = room.lights()
    assert capabilities_of(lights["ceiling"]) == {"brightness", "color_temp", "color"}
    assert capabilities_of(lights["strip"]) == {"brightness", "color_temp", "color"}
    assert capabilities_of(lights["cove"]) == {"brightness", "color_temp", "color"}
    assert capabilities_of(lights["panel"]) == {"brightness", "color"}
    assert capabilities_of(lights["reading_lamp"]) == {"brightness", "color_temp"}
    white = ShellySpec(type="shelly", topic="s", mode="light")
    assert capabilities_of(white) == {"brightness"}


@pytest.mark.parametrize(
    ("name", "phases", "minutes"),
    [
        ("im-ketamine-60", 5, 60),
        ("iv-ketamine-40", 4, 90),
        ("esketamine-observation", 5, 150),
        ("integration-30", 3, 30),
        ("demo", 4, 7.5),
    ],
)
def test_example_profiles_load_against_the_example_room(
    name: str, phases: int, minutes: float
) -> None:
    room = load_room(EXAMPLE_ROOM)
    profile = load_profile(SESSIONS / f"{name}.yaml", room)
    assert len(profile.phases) == phases
    assert profile.duration == minutes * 60
    assert profile.description.strip()


def test_esketamine_cues_fall_at_40_minutes_and_2_hours_after_dosing() -> None:
    profile = load_profile(SESSIONS / "esketamine-observation.yaml")
    starts: dict[str, float] = {}
    elapsed = 0.0
    for phase in profile.phases:
        starts[phase.name] = elapsed
        elapsed += phase.duration
    dosing = starts["dosing"]
    cues = {
        cue.notify: starts[phase.name] + cue.at - dosing
        for phase in profile.phases
        for cue in phase.cues
    }
    assert [t for text, t in cues.items() if "40 minutes after dosing" in text] == [40 * 60]
    assert [t for text, t in cues.items() if "discharge assessment" in text] == [120 * 60]


def test_yaml_12_keeps_off_and_clock_durations() -> None:
    profile = load_profile(SESSIONS / "im-ketamine-60.yaml")
    onset = profile.phases[2]
    assert onset.lights["reading_lamp"] == "off"
    path = DATA / "sessions" / "warn-only.yaml"
    document, problems = read_yaml(path)
    assert problems == []
    assert document is not None
    assert document.data["phases"][0]["lights"]["lamp"]["color"] == "#ff8800"


def test_clock_duration_is_not_read_as_a_sexagesimal_number(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sessions" / "p.yaml",
        "title: p\nphases:\n  - name: a\n    duration: 01:30:00\n    sound: off\n",
    )
    profile = load_profile(path)
    assert profile.phases[0].duration == 5400.0
    assert profile.phases[0].sound == "off"


def test_load_profile_raises_every_problem_with_its_line() -> None:
    path = DATA / "broken" / "typos.yaml"
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert [(p.line, p.path) for p in caught.value.problems] == [
        (4, "phases[0].duration"),
        (5, "phases[0].easing"),
        (7, "phases[0].lights.all.brigthness"),
        (10, "phases[1].sound.lop"),
        (11, "end"),
    ]
    assert str(caught.value).splitlines()[0] == caught.value.problems[0].format()
    assert caught.value.summary.endswith("(and 4 more)")
    assert isinstance(caught.value, ValueError)


def test_load_room_raises_on_cross_reference_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        load_room(DATA / "broken" / "room-references.yaml")
    assert [p.line for p in caught.value.problems] == [4, 7, 8, 8, 11, 12, 16]


def test_profile_problems_against_a_room() -> None:
    room = load_room(DATA / "rooms" / "small.yaml")
    loaded, own = read_profile(DATA / "sessions" / "misfit.yaml")
    assert loaded is not None
    assert [p.line for p in own] == [13, 15]
    fit = profile_problems(loaded, room)
    assert [(p.line, p.path, p.severity) for p in fit] == [
        (7, "phases[0].lights.lamb", "error"),
        (8, "phases[0].lights.soft.brightness", "warning"),
        (9, "phases[0].sound.volume", "warning"),
    ]


def test_capability_problems_are_warnings_that_load_anyway() -> None:
    room = load_room(DATA / "rooms" / "small.yaml")
    loaded, own = read_profile(DATA / "sessions" / "warn-only.yaml")
    assert loaded is not None and own == []
    fit = profile_problems(loaded, room)
    assert [(p.line, p.severity) for p in fit] == [(6, "warning"), (7, "warning")]
    assert "'lamp' (tasmota) cannot show color" in fit[0].message
    profile = load_profile(DATA / "sessions" / "warn-only.yaml", room)
    assert profile.phases[0].name == "arrival"


def test_off_is_exempt_from_min_brightness_and_zero_percent_is_clamped(tmp_path: Path) -> None:
    room = load_room(DATA / "rooms" / "small.yaml")
    path = write(
        tmp_path / "sessions" / "p.yaml",
        "title: p\nphases:\n  - name: a\n    duration: 1m\n    lights:\n"
        "      lamp: off\n      panel: {brightness: 0%}\n",
    )
    loaded, _ = read_profile(path)
    assert loaded is not None
    assert [(p.line, p.path, p.severity) for p in profile_problems(loaded, room)] == [
        (7, "phases[0].lights.panel.brightness", "warning")
    ]
    assert load_profile(path, room).phases[0].name == "a"


def test_a_dark_colour_is_warned_of_at_its_colour(tmp_path: Path) -> None:
    room = load_room(DATA / "rooms" / "small.yaml")
    path = write(
        tmp_path / "sessions" / "p.yaml",
        "title: p\nphases:\n"
        "  - {name: a, duration: 1m, lights: {ceiling: {brightness: 50%, color: '#000000'}}}\n"
        "  - {name: b, duration: 1m, lights: {ceiling: {brightness: 50%, color: '#101010'}}}\n"
        "  - {name: c, duration: 1m, lights: {ceiling: {brightness: 50%, color: '#ff0000'}}}\n",
    )
    loaded, _ = read_profile(path)
    assert loaded is not None
    found = [(p.line, p.path, p.severity, p.message) for p in profile_problems(loaded, room)]
    clamp = "is under the limits.min_brightness of room 'small': it will play clamped to 10%"
    assert found == [
        (3, "phases[0].lights.ceiling.color", "warning", f"#000000 at 50% emits 0%, which {clamp}"),
        (
            4,
            "phases[1].lights.ceiling.color",
            "warning",
            f"#101010 at 50% emits 3.1%, which {clamp}",
        ),
    ]
    assert len(load_profile(path, room).phases) == 3


def test_fade_longer_than_its_phase(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sessions" / "p.yaml",
        "title: p\nphases:\n  - name: a\n    duration: 2m\n    fade: 2m\n"
        "  - name: b\n    duration: 2m\n    fade: 2m30s\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert [p.format() for p in caught.value.problems] == [
        f"{path}:8: phases[1].fade: fade 2m30s is longer than phase 'b' (2m): write 2m or less"
    ]


def write_sound(path: Path) -> Path:
    """Write a real, short FLAC or WAV file (0.1 s of a quiet sine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 48_000
    samples = 0.1 * np.sin(2 * np.pi * 440 * np.arange(rate // 10) / rate)
    soundfile.write(str(path), samples.astype(np.float32), rate)
    return path


def test_sound_sources_are_generators_or_files_under_sounds(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    write_sound(sounds / "rain.wav")
    assert source_problem("noise:pink", sounds) is None
    assert source_problem("tone:440", sounds) is None
    assert source_problem("scape:rain", sounds) is None
    assert source_problem("rain.wav", sounds) is None
    assert source_problem("noise:brwn", sounds) == (
        "'noise:brwn': unknown noise colour (use white, pink, brown): did you mean 'noise:brown'?"
    )
    assert source_problem("scape:sruf", sounds) == (
        "'scape:sruf': unknown soundscape (use surf, rain): did you mean 'scape:surf'?"
    )
    assert "tone frequency must be a number of Hz" in str(source_problem("tone:abc", sounds))
    assert "between 20 and 20000 Hz" in str(source_problem("tone:5", sounds))
    assert source_problem("surf.ogg", sounds) == f"'surf.ogg': no such file in {sounds}"
    assert "inside the sounds folder" in str(source_problem("../secret.wav", sounds))
    assert "must be .wav, .flac, .ogg" in str(source_problem("rain.mp3", sounds))


def test_a_profile_finds_its_sound_files_beside_its_folder(tmp_path: Path) -> None:
    write_sound(tmp_path / "sounds" / "bowl.flac")
    text = "title: p\nphases:\n  - name: a\n    duration: 1m\n    sound: {source: %s}\n"
    good = write(tmp_path / "sessions" / "good.yaml", text % "bowl.flac")
    sound = load_profile(good).phases[0].sound
    assert isinstance(sound, SoundSetting) and sound.source == "bowl.flac"
    bad = write(tmp_path / "sessions" / "bad.yaml", text % "gong.flac")
    with pytest.raises(ConfigError) as caught:
        load_profile(bad)
    assert caught.value.problems == [
        Problem(
            bad,
            5,
            "phases[0].sound.source",
            f"'gong.flac': no such file in {tmp_path / 'sounds'}",
        )
    ]


def test_the_daemon_refuses_a_room_whose_emergency_scene_is_dim(tmp_path: Path) -> None:
    """`roomctl run` loads rooms with load_room: the emergency rule holds there too."""
    path = write(
        tmp_path / "rooms" / "r.yaml",
        "id: r\ndevices:\n  lamp: {type: wled, topic: w}\n"
        "emergency:\n  lights: {all: {brightness: 50%}}\n  sound: off\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_room(path)
    assert [p.format() for p in caught.value.problems] == [
        f"{path}:5: emergency.lights.all: the emergency scene lights 'lamp' at 50%: an "
        "emergency must light the room brightly so staff can see the client; give every "
        "light 80% or more (all: {brightness: 100%})"
    ]
    # The same room with a bright emergency scene loads.
    path.write_text(path.read_text().replace("50%", "80%"))
    bright = load_room(path).emergency.lights["all"]
    assert isinstance(bright, LightSetting) and bright.brightness == pytest.approx(0.8)


def test_a_profile_file_start_would_refuse_is_an_error_when_loaded(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sessions" / "my session.yaml",
        "title: p\nphases:\n  - {name: a, duration: 1m}\n",
    )
    with pytest.raises(ConfigError, match="'my session' cannot be started"):
        load_profile(path)
