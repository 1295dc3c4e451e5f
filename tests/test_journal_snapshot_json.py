"""A session's snapshot is stored as the same JSON, its profile encoded once per profile."""

from __future__ import annotations

import json
from typing import Any

from roomctl.journal import sql


def _snapshot(profile: dict[str, Any], operator: str = "kim") -> dict[str, Any]:
    return {
        "version": 1,
        "status": "running",
        "session_id": "3f1c9a0b2d4e",
        "profile_id": "calm",
        "profile": profile,
        "clock": {"start": 1.5, "paused_at": None},
        "operator": operator,
        "cues_until": 12.25,
    }


PROFILE = {"title": 'Calm "evening" — ÆØ', "phases": [{"name": "rest", "duration": 60.0}]}


def test_the_stored_text_is_what_encoding_the_whole_snapshot_gives() -> None:
    snapshot = _snapshot(PROFILE)
    assert sql.snapshot_json(snapshot) == json.dumps(snapshot, default=str)
    assert sql._texts[id(PROFILE)] == (PROFILE, json.dumps(PROFILE, default=str))
    later = _snapshot(PROFILE, operator="alex")  # the next cue: the same profile object
    assert sql.snapshot_json(later) == json.dumps(later, default=str)


def test_a_value_that_looks_like_the_placeholder_is_kept_as_it_is() -> None:
    snapshot = _snapshot(PROFILE, operator="\0roomctl-profile\0")
    assert sql.snapshot_json(snapshot) == json.dumps(snapshot, default=str)
    assert json.loads(sql.snapshot_json(snapshot))["operator"] == "\0roomctl-profile\0"


def test_at_most_the_named_number_of_profiles_is_kept() -> None:
    profiles = [{"title": f"p{i}"} for i in range(sql.PROFILE_TEXTS + 5)]
    for profile in profiles:
        assert sql.snapshot_json(_snapshot(profile)) == json.dumps(_snapshot(profile))
    assert len(sql._texts) == sql.PROFILE_TEXTS
    assert id(profiles[-1]) in sql._texts
    assert id(profiles[0]) not in sql._texts
