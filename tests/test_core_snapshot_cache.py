"""The profile's plain form in a session snapshot is made once per profile object."""

from __future__ import annotations

import gc

from roomctl.core import room_snapshot
from roomctl.core.room_snapshot import profile_dump
from roomctl.models import SessionProfile


def _profile(title: str) -> SessionProfile:
    return SessionProfile.model_validate(
        {"title": title, "phases": [{"name": "rest", "duration": "1m", "lights": {}}]}
    )


def test_the_same_profile_gives_the_same_dump_and_another_its_own() -> None:
    first, other = _profile("A"), _profile("B")
    dump = profile_dump(first)
    assert dump == first.model_dump(mode="json")
    assert profile_dump(first) is dump  # made once
    assert profile_dump(other)["title"] == "B"
    assert profile_dump(other) is not dump


def test_a_profile_that_is_gone_leaves_no_dump_behind() -> None:
    profile = _profile("C")
    profile_dump(profile)
    key = id(profile)
    assert key in room_snapshot._PROFILE_DUMPS
    del profile
    gc.collect()
    assert key not in room_snapshot._PROFILE_DUMPS
