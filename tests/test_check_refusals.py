"""`roomctl check` refuses what the daemon would refuse, and says how to fix it.

Profile names `start` refuses, rooms to check against (`--room`), rate networks, YAML and
encoding errors, emergency scenes and tones out of range.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from roomctl.api.commands import CommandError, parse_command
from roomctl.cli.check import check
from tests.test_check import SMALL_ROOM, run_check


def run_check_with(*args: str) -> tuple[int, list[str], str]:
    """Run `roomctl check` in-process with any arguments; return code, lines and stderr."""
    result = CliRunner().invoke(check, list(args))
    return result.exit_code, result.stdout.splitlines(), result.stderr


PROFILE = "title: p\nphases:\n  - {name: a, duration: 1m}\n"
ROOM = "id: r\ndevices:\n  lamp: {type: wled, topic: w}\n  spk: {type: audio}\n"


@pytest.mark.parametrize(
    ("stem", "suggested"),
    [("my session", "my_session"), ("Ünïcode", "Unicode"), ("a" * 65, "a" * 64)],
)
def test_a_profile_name_start_refuses_fails_check(
    tmp_path: Path, stem: str, suggested: str
) -> None:
    # The daemon's command parser refuses the name: the rule is api.names' one.
    with pytest.raises(CommandError, match="is not a name"):
        parse_command(json.dumps({"action": "start", "profile": stem}).encode())
    (tmp_path / "rooms").mkdir()
    (tmp_path / "rooms" / "r.yaml").write_text(ROOM)
    (tmp_path / "sessions").mkdir()
    path = tmp_path / "sessions" / f"{stem}.yaml"
    path.write_text(PROFILE)
    code, lines, _ = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}: '{stem}' cannot be started: a profile's name is its file name, which may "
        "hold letters A-Z and a-z, digits, '-' and '_' only, at most 64 of them; rename "
        f"the file, e.g. to {suggested}.yaml"
    ]


def test_no_room_to_check_against_is_said_and_room_option_checks(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("title: p\nphases:\n  - name: a\n    duration: 1m\n    lights: {lamb: off}\n")
    code, lines, stderr = run_check(path)
    assert code == 0
    assert lines == [
        f"{path}: warning: not checked against any room, so the device checks (lights, "
        f"groups, limits) were skipped: no room presets in {tmp_path.parent / 'rooms'}; "
        "name one with --room FILE"
    ]
    assert stderr.strip() == "0 errors, 1 warning in 1 of 1 file"
    room = tmp_path / "room.yaml"
    room.write_text(ROOM)
    code, lines, stderr = run_check_with(str(path), "--room", str(room))
    assert code == 1
    assert lines == [
        f"{path}:5: phases[0].lights.lamb: room 'r' has no light or group 'lamb': "
        "did you mean 'lamp'?"
    ]
    assert stderr.strip() == "1 error, 0 warnings in 1 of 2 files"


def test_a_misspelt_rate_network_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(ROOM + "rates: {zigbe2mqtt: 5, wled: 2}\n")
    code, lines, _ = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}:5: rates.zigbe2mqtt: unknown network 'zigbe2mqtt' (the networks are "
        "mqtt_json, shelly, tasmota, wled, zigbee2mqtt): did you mean 'zigbee2mqtt'?"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"id: r\ndevices:\n\tlamp: {type: wled, topic: w}\n",
            ":3: YAML syntax error: use spaces, not tabs: replace the tab on this line with "
            "spaces (the YAML reader said: found character '\\t' that cannot start any token)",
        ),
        (
            b"id: r\nname: Room 1: the quiet one\ndevices: {}\n",
            ":2: YAML syntax error: quote text that contains ': ' (like note: \"dose: 40 mg\"), "
            "or indent this line like the other fields at its level (the YAML reader said: "
            "mapping values are not allowed here)",
        ),
        (
            b"id: r\ndevices:\n  lamp: {type: wled, topic: w}\n name: x\n",
            ":4: YAML syntax error: this line is indented differently from the lines above: "
            "line it up, with spaces, with the other fields at its level (the YAML reader "
            "said: expected <block end>, but found '<block mapping start>' (while parsing a "
            "block mapping that starts on line 1))",
        ),
        (
            b"id: r\nname: Ther\xe4pie\ndevices: {}\n",
            ":2: byte 0xe4 on this line is not UTF-8 text: save the file as UTF-8 (in the "
            "editor's Save As or encoding menu) (the reader said: 'utf-8' codec can't decode "
            "byte 0xe4 in position 16: invalid continuation byte)",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xfb\xfb",
            ": this is not a text file: a room or profile is text written in an editor; is "
            "this the right file? (the reader said: 'utf-8' codec can't decode byte 0x89 in "
            "position 0: invalid start byte)",
        ),
    ],
)
def test_yaml_and_encoding_errors_say_the_fix(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "rooms" / "r.yaml"
    path.parent.mkdir()
    path.write_bytes(content)
    code, lines, _ = run_check(path)
    assert code == 1
    assert lines == [f"{path}{expected}"]


def test_an_emergency_scene_that_is_dim_or_sounds_fails(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        ROOM
        + "  desk: {type: wled, topic: d}\n"
        + "emergency:\n"
        + "  lights:\n"
        + "    all: {brightness: 100%}\n"
        + "    lamp: {brightness: 10%}\n"
        + "    desk: off\n"
        + '  sound: {source: "noise:brown", volume: -30 dB}\n'
    )
    code, lines, _ = run_check(path)
    assert code == 1
    bright = (
        ": an emergency must light the room brightly so staff can see the client; give "
        "every light 80% or more (all: {brightness: 100%})"
    )
    assert lines == [
        f"{path}:9: emergency.lights.lamp: the emergency scene lights 'lamp' at 10%{bright}",
        f"{path}:10: emergency.lights.desk: the emergency scene switches 'desk' off{bright}",
        f"{path}:11: emergency.sound: the emergency scene must be silent, so staff can hear "
        "the client; roomctl silences the sound at an emergency anyway: write sound: off "
        "instead of noise:brown",
    ]


def test_an_emergency_scene_that_leaves_a_light_out_fails(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        ROOM + "  desk: {type: wled, topic: d}\nemergency:\n  lights: {lamp: {brightness: 90%}}\n"
    )
    code, lines, _ = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}:7: emergency.lights: no target names 'desk', so the emergency scene "
        "switches it off: an emergency must light the room brightly so staff can see the "
        "client; give every light 80% or more (all: {brightness: 100%})"
    ]


@pytest.mark.parametrize("tone", ["tone:99999", "tone:10", "tone:-5"])
def test_a_tone_outside_the_audible_range_fails_with_the_range(tmp_path: Path, tone: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        f'title: p\nphases:\n  - name: a\n    duration: 1m\n    sound: {{source: "{tone}"}}\n'
    )
    code, lines, _ = run_check_with(str(path), "--room", str(SMALL_ROOM))
    assert code == 1
    assert lines == [
        f"{path}:5: phases[0].sound.source: '{tone}': tone frequency must be between 20 "
        "and 20000 Hz"
    ]
