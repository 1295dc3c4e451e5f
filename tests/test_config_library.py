"""The profile library the daemon starts sessions from: names, reading, suggestions."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from roomctl.api.commands import CommandError, parse_command
from roomctl.config import (
    ConfigError,
    ProfileLibrary,
    ProfileNameError,
    did_you_mean,
    errors,
    load_room,
)
from roomctl.models import SoundSetting
from tests.test_config import DATA, SESSIONS, write, write_sound


def test_library_lists_and_loads_profiles_by_name() -> None:
    library = ProfileLibrary(SESSIONS)
    assert library.names() == [
        "demo",
        "esketamine-observation",
        "im-ketamine-60",
        "integration-30",
        "iv-ketamine-40",
    ]
    assert library.load("demo").title == "Demo, 7 minutes"
    assert library.path_of("demo") == SESSIONS / "demo.yaml"


def test_library_reads_a_profile_again_only_when_its_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "calm.yaml"
    text = "title: %s\nphases:\n  - name: a\n    duration: 1m\n"
    write(path, text % "Calm")
    _age(path)
    library = ProfileLibrary(path.parent)
    first = library.load("calm")
    assert library.load("calm") is first  # unchanged: the parsed profile is kept
    write(path, text % "Calm, edited")
    assert library.load("calm").title == "Calm, edited"
    path.unlink()
    write(path.with_suffix(".yml"), text % "Calm, moved")
    assert library.load("calm").title == "Calm, moved"


def test_library_reads_a_just_modified_profile_at_every_load(tmp_path: Path) -> None:
    text = "title: Calm %s\nphases:\n  - name: a\n    duration: 1m\n"
    path = write(tmp_path / "sessions" / "calm.yaml", text % "B")
    library = ProfileLibrary(path.parent)
    assert library.load("calm").title == "Calm B"
    modified = path.stat().st_mtime_ns
    # Edited in place to the same size within one tick of a coarse file-system clock:
    # the same inode, size and modification time.
    path.write_text(text % "C")
    os.utime(path, ns=(modified, modified))
    assert library.load("calm").title == "Calm C"


def _age(path: Path) -> None:
    """Date a file's modification a minute back, past the library's settle time."""
    back = time.time() - 60.0
    os.utime(path, (back, back))


def test_library_looks_for_sound_files_at_every_load(tmp_path: Path) -> None:
    text = "title: p\nphases:\n  - name: a\n    duration: 1m\n    sound: {source: bowl.flac}\n"
    library = ProfileLibrary(write(tmp_path / "sessions" / "p.yaml", text).parent)
    with pytest.raises(ConfigError, match=r"'bowl\.flac': no such file"):
        library.load("p")
    write_sound(tmp_path / "sounds" / "bowl.flac")  # the clinic adds the file; no edit
    sound = library.load("p").phases[0].sound
    assert isinstance(sound, SoundSetting) and sound.source == "bowl.flac"


@pytest.mark.parametrize(
    "name",
    [
        "../rooms/room-1",
        "/etc/passwd",
        "demo.yaml",
        "a b",
        "",
        "demo\n",
        "sessions/demo",
        "Ünïcode",
        "a" * 65,
    ],
)
def test_library_refuses_path_like_names(name: str) -> None:
    with pytest.raises(ProfileNameError, match="is not a profile name: use letters A-Z"):
        ProfileLibrary(SESSIONS).load(name)
    # The daemon's command parser refuses the very same names.
    with pytest.raises(CommandError, match="is not a name"):
        parse_command(json.dumps({"action": "start", "profile": name}).encode())


def test_library_refuses_unknown_names_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ProfileNameError) as caught:
        ProfileLibrary(SESSIONS).load("dmeo")
    assert str(caught.value) == f"no session profile 'dmeo' in {SESSIONS}: did you mean 'demo'?"
    assert caught.value.problems[0].format() == f"{SESSIONS}: {caught.value}"
    empty = ProfileLibrary(tmp_path / "missing")
    assert empty.names() == []
    with pytest.raises(ProfileNameError, match="there are none"):
        empty.load("demo")


def test_library_refuses_a_profile_that_does_not_fit_the_room() -> None:
    library = ProfileLibrary(DATA / "sessions")
    room = load_room(DATA / "rooms" / "small.yaml")
    with pytest.raises(ConfigError) as caught:
        library.load("misfit", room)
    # Limits clamp rather than refuse: its two limit warnings come along with the 3 errors.
    assert len(caught.value.problems) == 5
    assert len(errors(caught.value.problems)) == 3
    assert library.load("warn-only", room).title == "Only warnings"


def test_did_you_mean_names_the_closest_choice_or_one_it_contains() -> None:
    names = ["ceiling", "reading_lamp", "on"]
    assert did_you_mean("ceilng", names) == ": did you mean 'ceiling'?"
    # Too far for difflib, yet what a person meant: a name holding the word, or inside it.
    assert did_you_mean("lamp", names) == ": did you mean 'reading_lamp'?"
    assert did_you_mean("ceiling_left", names) == ": did you mean 'ceiling'?"
    # Two letters are inside too many words to mean anything.
    assert did_you_mean("front", ["on"]) == ""
    assert did_you_mean("xyz", names) == ""
    assert did_you_mean("lamp", []) == ""
