"""`roomctl check`: validate room presets and session profiles, and profiles against rooms."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from roomctl.config.folders import ROOMS_FOLDER, SESSIONS_FOLDER, beside
from roomctl.config.library import (
    LoadedProfile,
    LoadedRoom,
    profile_problems,
    read_profile,
    read_room,
)
from roomctl.config.problems import Problem, errors, sort_key
from roomctl.config.yamlfile import read_yaml

_LOGGER = logging.getLogger(__name__)

Kind = Literal["room", "profile"]
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class CheckReport:
    """Every problem found, sorted by file and line, and the files that were checked."""

    problems: list[Problem]
    files: list[Path]

    @property
    def failed(self) -> bool:
        """Return whether any problem is an error (warnings alone pass)."""
        return bool(errors(self.problems))

    def summary(self) -> str:
        """Return one line such as `3 errors, 1 warning in 2 of 7 files`."""
        total = len({*self.files, *(p.file for p in self.problems)})
        if not self.problems:
            return f"{_count(total, 'file')} checked: no problems"
        n_errors = len(errors(self.problems))
        n_warnings = len(self.problems) - n_errors
        affected = len({p.file for p in self.problems})
        counts = f"{_count(n_errors, 'error')}, {_count(n_warnings, 'warning')}"
        return f"{counts} in {affected} of {_count(total, 'file')}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check_paths(
    paths: Sequence[Path], room_files: Sequence[Path] = (), profiles_dir: Path | None = None
) -> CheckReport:
    """Check the files and folders (recursively, *.yaml and *.yml) given; report everything.

    `room_files` are room presets to check the profiles against (`--room FILE`), on top
    of any room among `paths`. `profiles_dir` is the folder `roomctl run --profiles` will
    be given: the rooms' sound files are looked for beside it, as the daemon will.
    """
    files, problems = _expand([*room_files, *paths])
    forced = {path.resolve() for path in room_files}
    rooms: dict[Path, LoadedRoom | None] = {}
    profiles: list[LoadedProfile] = []
    for path in files:
        kind, kind_problems = ("room", []) if path.resolve() in forced else _kind_of(path)
        problems += kind_problems
        if kind == "room":
            room, room_problems = read_room(path, profiles_dir)
            problems += room_problems
            rooms[path] = room if not errors(room_problems) else None
        elif kind == "profile":
            profile, own_problems = read_profile(path)
            problems += own_problems
            if profile is not None:
                profiles.append(profile)
    for profile in profiles:
        problems += _fit(profile, rooms, profiles_dir)
    unique = list(dict.fromkeys(problems))
    return CheckReport(sorted(unique, key=sort_key), files)


def _expand(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """Return the YAML files under the paths, in order, and a problem per useless path."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
            if not found:
                problems.append(Problem(path, 0, "", "no *.yaml or *.yml files in this folder"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(path, 0, "", "no such file or folder"))
    unique: dict[Path, Path] = {}
    for path in files:
        unique.setdefault(path.resolve(), path)
    return list(unique.values()), problems


def _kind_of(path: Path) -> tuple[Kind | None, list[Problem]]:
    """Tell a room preset from a session profile by its folder, else by its fields."""
    if path.parent.name == ROOMS_FOLDER:
        return "room", []
    if path.parent.name == SESSIONS_FOLDER:
        return "profile", []
    document, problems = read_yaml(path)
    if document is None:
        return None, problems
    if "devices" in document.data:
        return "room", []
    if "phases" in document.data:
        return "profile", []
    message = (
        "cannot tell a room preset (it has devices:) from a session profile (it has phases:); "
        f"put the file in a {ROOMS_FOLDER}/ or {SESSIONS_FOLDER}/ folder or add the field"
    )
    return None, [Problem(path, 1, "", message)]


def _fit(
    profile: LoadedProfile, given: dict[Path, LoadedRoom | None], profiles_dir: Path | None
) -> list[Problem]:
    """Return where a profile does not fit the rooms given, else the rooms beside it."""
    path = profile.document.path
    if given:
        problems = [
            p for room in given.values() if room for p in profile_problems(profile, room.model)
        ]
        for room_path in (p for p, room in given.items() if room is None):
            problems.append(_not_checked(path, room_path))
        return problems
    problems = []
    nearby = _rooms_beside(path)
    if not nearby:
        message = (
            f"not checked against any room, so the device checks (lights, groups, limits) "
            f"were skipped: no room presets in {beside(path.resolve().parent, ROOMS_FOLDER)}; "
            "name one with --room FILE"
        )
        problems.append(Problem(path, 0, "", message, "warning"))
    for room_path in nearby:
        room, room_problems = read_room(room_path, profiles_dir)
        if room is None or errors(room_problems):
            problems.append(_not_checked(path, room_path))
        else:
            problems += profile_problems(profile, room.model)
    return problems


def _not_checked(path: Path, room_path: Path) -> Problem:
    message = (
        f"not checked against {room_path}: that room has errors (run roomctl check {room_path})"
    )
    return Problem(path, 1, "", message, "warning")


def _rooms_beside(profile_path: Path) -> list[Path]:
    """Return the room presets in the `rooms/` folder beside the profile's folder."""
    folder = beside(profile_path.parent, ROOMS_FOLDER)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
