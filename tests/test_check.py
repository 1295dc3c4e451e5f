"""`roomctl check` on broken files: every problem at its exact FILE:LINE, and the exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from roomctl.cli.check import check
from roomctl.cli.group import cli

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
BROKEN = DATA / "broken"
SMALL_ROOM = DATA / "rooms" / "small.yaml"


def run_check(*paths: Path) -> tuple[int, list[str], str]:
    """Run `roomctl check` in-process; return exit code, stdout lines and stderr."""
    result = CliRunner().invoke(cli, ["check", *map(str, paths)])
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_check_is_a_roomctl_command() -> None:
    assert cli.commands["check"] is check


def where(lines: list[str]) -> list[str]:
    """Return each problem line's `FILE:LINE: field.path` part."""
    return [line.split(": ", 2)[0] + ": " + line.split(": ", 2)[1] for line in lines]


def test_yaml_syntax_error_names_its_line() -> None:
    path = BROKEN / "syntax.yaml"
    code, lines, _ = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}:5: YAML syntax error: quote text that contains ': ' (like note: "
        '"dose: 40 mg"), or indent this line like the other fields at its level '
        "(the YAML reader said: mapping values are not allowed here)"
    ]


def test_duplicate_key_is_reported_at_the_repeat() -> None:
    path = BROKEN / "duplicate-key.yaml"
    code, lines, _ = run_check(path, SMALL_ROOM)
    assert code == 1
    assert lines == [
        f"{path}:6: phases[0].duration: duplicate key 'duration': it is already given on "
        "line 4; keep one (only the first counts)"
    ]


def test_typos_all_at_once_each_with_what_to_write() -> None:
    path = BROKEN / "typos.yaml"
    code, lines, stderr = run_check(path, SMALL_ROOM)
    assert code == 1
    assert lines == [
        f"{path}:4: phases[0].duration: '10 minutes' is not a duration: write a duration "
        "like 45s, 10m, 1h30m or 01:30:00",
        f"{path}:5: phases[0].easing: 'scurve' is not one of linear, s-curve, ease-in, "
        "ease-out: did you mean 's-curve'?",
        f"{path}:7: phases[0].lights.all.brigthness: unknown field 'brigthness': "
        "did you mean 'brightness'?",
        f"{path}:10: phases[1].sound.lop: unknown field 'lop': did you mean 'loop'?",
        f"{path}:11: end: 'stanby' is not one of standby, hold: did you mean 'standby'?",
    ]
    assert stderr.strip() == "5 errors, 0 warnings in 1 of 2 files"


def test_unknown_device_type_lists_the_types() -> None:
    path = BROKEN / "room-device-type.yaml"
    code, lines, _ = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}:5: devices.lamp.type: unknown device type 'tasmotta' (the types are "
        "mqtt_json, shelly, tasmota, wled, zigbee2mqtt, audio): did you mean 'tasmota'?",
        f"{path}:7: devices.strip.topic: missing required field 'topic'",
    ]


def test_room_cross_references() -> None:
    path = BROKEN / "room-references.yaml"
    code, lines, _ = run_check(path)
    assert code == 1
    assert where(lines) == [
        f"{path}:4: devices.all",
        f"{path}:7: groups.ceiling",
        f"{path}:8: groups.warm[0]",
        f"{path}:8: groups.warm[1]",
        f"{path}:11: standby.lights.ceiling.brightness",
        f"{path}:12: standby.lights.desk",
        f"{path}:16: schedule[0].scene",
    ]
    assert "no device 'ceilng' in this room: did you mean 'ceiling'?" in lines[2]
    assert lines[4].endswith(
        "warning: 2% is under the limits.min_brightness of this room: it will play clamped to 5%"
    )
    assert "no scene 'standbye' in this room: did you mean 'standby'?" in lines[6]


def test_profile_against_the_room_beside_it() -> None:
    """With no room given, a profile in sessions/ is checked against ../rooms/*.yaml."""
    path = DATA / "sessions" / "misfit.yaml"
    code, lines, stderr = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}:7: phases[0].lights.lamb: room 'small' has no light or group 'lamb': "
        "did you mean 'lamp'?",
        f"{path}:8: phases[0].lights.soft.brightness: warning: 5% is under the "
        "limits.min_brightness of room 'small': it will play clamped to 10%",
        f"{path}:9: phases[0].sound.volume: warning: -10 dB is above the limits.max_volume of "
        "room 'small': it will play clamped to -20 dB",
        f"{path}:13: phases[1].cues[0].at: cue at 6m is after the end of phase 'onset' "
        "(5m long): times count from the phase's start; move the cue to a later phase",
        f"{path}:15: phases[2].name: phase name 'arrival' is already used by phases[0]: "
        "give each phase its own name",
    ]
    assert stderr.strip() == "3 errors, 2 warnings in 1 of 1 file"


def test_profile_against_a_room_given_instead_of_the_one_beside(tmp_path: Path) -> None:
    room = tmp_path / "wide.yaml"
    room.write_text(
        "id: wide\ndevices:\n  lamb: {type: wled, topic: w}\n  lamp: {type: wled, topic: v}\n"
        "  spk: {type: audio}\n"
        "groups:\n  soft: [lamp]\nlimits: {min_brightness: 1%, max_volume: 0 dB}\n"
    )
    path = DATA / "sessions" / "misfit.yaml"
    code, lines, _ = run_check(path, room)
    assert code == 1
    assert where(lines) == [f"{path}:13: phases[1].cues[0].at", f"{path}:15: phases[2].name"]


def test_files_are_sorted_and_every_file_reported(tmp_path: Path) -> None:
    code, lines, stderr = run_check(BROKEN / "typos.yaml", BROKEN / "syntax.yaml", SMALL_ROOM)
    assert code == 1
    assert [line.split(":")[0] for line in lines] == [str(BROKEN / "syntax.yaml")] + [
        str(BROKEN / "typos.yaml")
    ] * 5
    assert stderr.strip() == "6 errors, 0 warnings in 2 of 3 files"


def test_warnings_alone_do_not_fail() -> None:
    path = DATA / "sessions" / "warn-only.yaml"
    code, lines, stderr = run_check(path)
    assert code == 0
    assert lines == [
        f"{path}:6: phases[0].lights.lamp.color: warning: 'lamp' (tasmota) cannot show "
        "color and will ignore it",
        f"{path}:7: phases[0].lights.panel.color_temp: warning: 'panel' (shelly) cannot "
        "show color_temp and will ignore it",
    ]
    assert stderr.strip() == "0 errors, 2 warnings in 1 of 1 file"


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    code, lines, _ = run_check(SMALL_ROOM, missing)
    assert code == 1
    assert lines == [f"{missing}: no such file or folder"]


def test_a_folder_without_yaml_is_an_error(tmp_path: Path) -> None:
    code, lines, _ = run_check(tmp_path)
    assert code == 1
    assert lines == [f"{tmp_path}: no *.yaml or *.yml files in this folder"]


def test_a_file_that_is_neither_room_nor_profile(tmp_path: Path) -> None:
    path = tmp_path / "other.yml"
    path.write_text("title: what is this\n")
    code, lines, _ = run_check(path)
    assert code == 1
    assert lines[0].startswith(f"{path}:1: cannot tell a room preset (it has devices:)")


def test_an_invalid_room_beside_a_profile_is_a_warning_on_the_profile(tmp_path: Path) -> None:
    (tmp_path / "rooms").mkdir()
    (tmp_path / "sessions").mkdir()
    room = tmp_path / "rooms" / "r.yaml"
    room.write_text("id: r\ndevices: {}\n")
    profile = tmp_path / "sessions" / "p.yaml"
    profile.write_text("title: p\nphases:\n  - {name: a, duration: 1m}\n")
    code, lines, _ = run_check(profile)
    assert code == 0
    assert lines == [
        f"{profile}:1: warning: not checked against {room}: that room has errors "
        f"(run roomctl check {room})"
    ]


def test_the_shipped_examples_pass() -> None:
    code, lines, stderr = run_check(ROOT / "profiles")
    assert (code, lines) == (0, [])
    assert stderr.strip() == "6 files checked: no problems"


def test_the_installed_command_exits_1_on_errors_and_0_on_good_files() -> None:
    roomctl = Path(sys.executable).with_name("roomctl")
    bad = subprocess.run(
        [str(roomctl), "check", str(BROKEN / "typos.yaml"), str(SMALL_ROOM)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0].startswith(f"{BROKEN / 'typos.yaml'}:4: phases[0].duration:")
    assert bad.stderr.strip().splitlines()[-1] == "5 errors, 0 warnings in 1 of 2 files"
    good = subprocess.run(
        [str(roomctl), "check", "profiles"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=ROOT,
    )
    assert (good.returncode, good.stdout) == (0, "")


@pytest.mark.parametrize("name", ["syntax", "duplicate-key", "typos", "room-device-type"])
def test_broken_examples_fail(name: str) -> None:
    code, lines, _ = run_check(BROKEN / f"{name}.yaml", SMALL_ROOM)
    assert code == 1
    assert lines


def test_what_the_limits_clamp_is_a_warning_and_check_passes(tmp_path: Path) -> None:
    room = tmp_path / "rooms" / "r.yaml"
    room.parent.mkdir()
    room.write_text(
        "id: r\ndevices:\n  strip: {type: wled, topic: w}\n  spk: {type: audio}\n"
        "limits: {min_brightness: 5%, max_volume: -12 dB}\n"
    )
    profile = tmp_path / "sessions" / "p.yaml"
    profile.parent.mkdir()
    profile.write_text(
        "title: p\nphases:\n  - name: a\n    duration: 1m\n    lights:\n"
        "      strip: {brightness: 50%, color: '#000000'}\n"
        "    sound: {source: 'tone:440', volume: -6 dB}\n"
    )
    code, lines, stderr = run_check(profile)
    assert code == 0
    assert lines == [
        f"{profile}:6: phases[0].lights.strip.color: warning: #000000 at 50% emits 0%, which is "
        "under the limits.min_brightness of room 'r': it will play clamped to 5%",
        f"{profile}:7: phases[0].sound.volume: warning: -6 dB is above the limits.max_volume of "
        "room 'r': it will play clamped to -12 dB",
    ]
    assert stderr.strip() == "0 errors, 2 warnings in 1 of 1 file"


HINTED_ROOM = """\
id: Room 1
devices:
  lamp: {type: wled, topic: "a b"}
  strip: {type: mqtt_json, command_topic: "x/#"}
standby:
  lights: {lamp: on, strip: 5}
  sound: loud
emergency:
  lights: {all: {brightness: 100%}}
  sound: 7
rates: {zigbe: 3}
scenes:
  calm:
    sound: {source: noise:brown, loop: maybe}
"""


def test_each_field_hint_words_its_own_errors(tmp_path: Path) -> None:
    path = tmp_path / "rooms" / "bad.yaml"
    path.parent.mkdir()
    path.write_text(HINTED_ROOM)
    light = "off or a setting like {brightness: 60%, color_temp: 3000K}"
    sound = "off or a setting like {source: noise:brown, volume: -30 dB}"
    topic = "is not an MQTT topic to publish to: no spaces, '#' or '+'"
    code, lines, _ = run_check(path)
    assert code == 1
    assert lines == [
        f"{path}:1: id: 'Room 1' is not a room id: use lowercase letters, digits and '-' "
        "(like room-1)",
        f"{path}:3: devices.lamp.topic: 'a b' {topic}",
        f"{path}:4: devices.strip.command_topic: 'x/#' {topic}",
        f"{path}:6: standby.lights.lamp: 'on' is not a setting: write {light}",
        f"{path}:6: standby.lights.strip: expected {light}, got 5",
        f"{path}:7: standby.sound: 'loud' is not a setting: write {sound}",
        f"{path}:10: emergency.sound: expected {sound}, got 7",
        f"{path}:11: rates.zigbe: unknown network 'zigbe' (the networks are mqtt_json, "
        "shelly, tasmota, wled, zigbee2mqtt): did you mean 'zigbee2mqtt'?",
        # A hint speaks for its own value only: a field inside a sound setting gets the
        # plain wording, not the setting's.
        f"{path}:14: scenes.calm.sound.loop: expected true or false, got 'maybe'",
    ]
