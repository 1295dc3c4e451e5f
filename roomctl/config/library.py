"""Load room presets and session profiles, validated in two passes with every problem's line."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from roomctl.api.names import PROFILE_NAME_RULE, is_profile_name, suggested_profile_name
from roomctl.config.emergency_check import emergency_problems
from roomctl.config.folders import room_sounds_dir, sounds_dir
from roomctl.config.problems import ConfigError, Problem, errors
from roomctl.config.references import fit_problems, profile_own_problems, room_problems
from roomctl.config.schema_errors import schema_problems
from roomctl.config.suggest import did_you_mean
from roomctl.config.yamlfile import YamlDocument, read_yaml
from roomctl.models import RoomPreset, SessionProfile

_LOGGER = logging.getLogger(__name__)

PROFILE_SUFFIXES = (".yaml", ".yml")
# A profile modified this recently is read again at every load rather than kept: an edit
# of the same size within one tick of a coarse file-system clock (FAT and SMB shares
# count modification times in 2-s steps) would otherwise go unnoticed.
MTIME_SETTLE_S = 2.0

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A validated model together with the YAML document it came from (for lines)."""

    model: M
    document: YamlDocument


# What the schema pass gives: the model (None when it failed) and the problems found.
Parsed = tuple[Loaded[M] | None, list[Problem]]
LoadedRoom = Loaded[RoomPreset]
LoadedProfile = Loaded[SessionProfile]


def _read(path: Path, model: type[M]) -> Parsed[M]:
    """Run the schema pass: YAML, then the model; return the model if it validated."""
    document, problems = read_yaml(path)
    if document is None:
        return None, problems
    try:
        validated = model.model_validate(document.data)
    except ValidationError as error:
        return None, problems + schema_problems(document, model, error)
    return Loaded(validated, document), problems


def read_room(
    path: Path, profiles_dir: Path | None = None
) -> tuple[LoadedRoom | None, list[Problem]]:
    """Return a room preset (None when its schema fails) and every problem, warnings too.

    Its sound files are looked for where a room served with `profiles_dir` plays them.
    """
    loaded, problems = _read(path, RoomPreset)
    if loaded is not None:
        sounds = room_sounds_dir(path, profiles_dir)
        problems += room_problems(loaded.document, loaded.model, sounds)
        problems += emergency_problems(loaded.document, loaded.model)
    return loaded, problems


def read_profile(
    path: Path, parsed: Parsed[SessionProfile] | None = None
) -> tuple[LoadedProfile | None, list[Problem]]:
    """Return a session profile (None when its schema fails) and every problem, warnings too.

    `parsed` is the schema pass already done (ProfileLibrary keeps it while the file is
    unchanged); the checks that look outside the file, such as its sound files, always run.
    """
    loaded, problems = parsed if parsed is not None else _read(path, SessionProfile)
    problems = [*_file_name_problems(path), *problems]
    if loaded is not None:
        sounds = sounds_dir(path.parent)  # a profile's folder is its profiles folder
        problems += profile_own_problems(loaded.document, loaded.model, sounds)
    return loaded, problems


def _file_name_problems(path: Path) -> list[Problem]:
    """Return an error when the file's name is no profile name: `start` would refuse it."""
    if is_profile_name(path.stem):
        return []
    message = (
        f"'{path.stem}' cannot be started: a profile's name is its file name, which may "
        f"hold {PROFILE_NAME_RULE}; rename the file, e.g. to "
        f"{suggested_profile_name(path.stem)}{path.suffix}"
    )
    return [Problem(path, 0, "", message)]


def profile_problems(profile_doc: LoadedProfile, room: RoomPreset) -> list[Problem]:
    """Return where a profile does not fit a room: targets it lacks, limits, capabilities."""
    return fit_problems(profile_doc.document, profile_doc.model, room)


def _checked(loaded: Loaded[M] | None, problems: list[Problem]) -> M:
    """Return the model, or raise ConfigError with every error; log the warnings."""
    if errors(problems) or loaded is None:
        raise ConfigError(problems)
    for problem in problems:
        _LOGGER.warning("%s", problem.format())
    return loaded.model


def load_room(path: Path, profiles_dir: Path | None = None) -> RoomPreset:
    """Return the room preset in `path`, served with `profiles_dir`; raise ConfigError.

    The error lists every problem, including sound files missing where the room will
    look for them (sounds/ beside the profiles folder).
    """
    return _checked(*read_room(path, profiles_dir))


def load_profile(
    path: Path, room: RoomPreset | None = None, parsed: Parsed[SessionProfile] | None = None
) -> SessionProfile:
    """Return the session profile in `path`, checked against `room` when one is given.

    Raise ConfigError listing every error: schema, cross references, a sound source that
    does not exist and, with a room, targets it lacks and limits the profile breaks.
    """
    loaded, problems = read_profile(path, parsed)
    if loaded is not None and room is not None:
        problems += profile_problems(loaded, room)
    return _checked(loaded, problems)


class ProfileNameError(ConfigError):
    """A profile name that is path-like or names no profile in the library."""

    def __init__(self, directory: Path, message: str) -> None:
        super().__init__([Problem(directory, 0, "", message)], message)


class ProfileLibrary:
    """The session profiles in one folder, by name (the file name without .yaml).

    Each file's schema pass (YAML and model, the costly part of a start) is kept while
    the file is unchanged: same inode, size and modification time. An edited or replaced
    file is read again at its next load.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._parsed: dict[Path, tuple[tuple[int, int, int], Parsed[SessionProfile]]] = {}
        self._lock = threading.Lock()  # rooms load from their own threads

    def names(self) -> list[str]:
        """Return the names of the profiles in the folder, sorted."""
        if not self.directory.is_dir():
            return []
        found = {
            path.stem
            for path in self.directory.iterdir()
            if path.suffix in PROFILE_SUFFIXES and path.is_file() and is_profile_name(path.stem)
        }
        return sorted(found)

    def path_of(self, name: str) -> Path:
        """Return the file of the profile `name`; raise ProfileNameError for a bad name."""
        if not is_profile_name(name):
            message = f"{name!r} is not a profile name: use {PROFILE_NAME_RULE}"
            raise ProfileNameError(self.directory, message)
        for suffix in PROFILE_SUFFIXES:
            path = self.directory / f"{name}{suffix}"
            if path.is_file():
                return path
        names = self.names()
        hint = did_you_mean(name, names) or (
            f": the profiles are {', '.join(names)}" if names else ": there are none"
        )
        message = f"no session profile '{name}' in {self.directory}{hint}"
        raise ProfileNameError(self.directory, message)

    def load(self, name: str, room: RoomPreset | None = None) -> SessionProfile:
        """Return the profile `name`, checked against `room` when one is given.

        Raise ProfileNameError for a path-like or unknown name and ConfigError (its base)
        for a profile with errors or one that does not fit the room.
        """
        path = self.path_of(name)
        return load_profile(path, room, self._parse(path))

    def _parse(self, path: Path) -> Parsed[SessionProfile] | None:
        """Return the file's schema pass, from the last load while the file is unchanged."""
        try:
            status = path.stat()
        except OSError:
            return None  # gone since path_of: load_profile reports it
        stamp = (status.st_ino, status.st_size, status.st_mtime_ns)
        settled = time.time() - status.st_mtime >= MTIME_SETTLE_S
        # Parsed under the lock: rooms starting the same profile at once parse it once.
        with self._lock:
            kept = self._parsed.get(path)
            if kept is None or kept[0] != stamp:
                kept = (stamp, _read(path, SessionProfile))
                if settled:
                    self._parsed[path] = kept
            return kept[1]
