"""Schema errors: each at the line of its field, in the clinic's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomctl.config import ConfigError, load_profile, load_room, read_yaml
from tests.test_config import DATA, write


def test_line_of_skips_union_tags_and_points_missing_keys_at_their_parent() -> None:
    document, _ = read_yaml(DATA / "sessions" / "misfit.yaml")
    assert document is not None
    assert document.line_of(("phases", 0, "lights", "lamb", "setting", "brightness")) == 7
    assert document.line_of(("phases", 1, "fade")) == 10
    assert document.line_of(("phases", 1, "cues", 0, "at")) == 13
    assert document.line_of(("end",)) == 1
    assert document.field_path(("phases", 0, "lights", "all", "setting", "brightness")) == (
        "phases[0].lights.all.brightness"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ":1: expected a mapping of fields: the file is empty"),
        ("- a\n- b\n", ":1: expected a mapping of fields: found a list"),
        ("title: p\nphases:\n  a: 1\n", ":2: phases: expected a list, got {'a': 1}"),
        (
            "title: p\nphases:\n  - name: a\n    duration: 1m\n    lights: [lamp]\n",
            ":5: phases[0].lights: expected a mapping of fields, got ['lamp']",
        ),
        (
            'title: "p\nphases: []\n',
            ":3: YAML syntax error: a quote is opened and never closed: close it at the end "
            "of its text (the YAML reader said: found unexpected end of stream "
            "(while scanning a quoted scalar that starts on line 1))",
        ),
        (
            "title: p\nphases:\n  - &first {name: a, duration: 1m}\n"
            "  - <<: *first\n    name: b\n    duraton: 2m\n",
            ":6: phases[1].duraton: unknown field 'duraton': did you mean 'duration'?",
        ),
    ],
)
def test_shapes_a_clinic_gets_wrong(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "sessions" / "p.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert [p.format() for p in caught.value.problems] == [f"{path}{expected}"]


def test_a_number_tag_on_text_is_a_problem_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", "title: p\nphases:\n  - name: a\n    duration: !!int abc\n")
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (
            4,
            "YAML error: a tagged value cannot be read (invalid literal for int() with base "
            "10: 'abc'): fix it or drop the tag",
        )
    ]


def test_a_device_name_that_is_not_text(tmp_path: Path) -> None:
    path = write(tmp_path / "rooms" / "r.yaml", "id: r\ndevices:\n  1: {type: wled, topic: w}\n")
    with pytest.raises(ConfigError) as caught:
        load_room(path)
    assert [p.format() for p in caught.value.problems] == [
        f'{path}:3: devices[1]: the name 1 must be text: write it in quotes, like "1"'
    ]
