"""Where a clinic's files lie: rooms/, sessions/ and sounds/ side by side in one folder.

The one place the folders are derived from one another: `roomctl check`, the loader and
the daemon all ask here, so they look for a sound file in the same folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

ROOMS_FOLDER = "rooms"
SESSIONS_FOLDER = "sessions"
SOUNDS_FOLDER = "sounds"


def beside(folder: Path, name: str) -> Path:
    """Return the folder `name` in the same parent folder as `folder`."""
    if folder.name in ("", ".."):  # ".", "/" or "..": only the real path knows its parent
        folder = folder.resolve()
    return folder.parent / name


def default_profiles_dir(room_file: Path) -> Path:
    """Return the sessions/ folder beside the room file's folder: `run` without --profiles."""
    return beside(room_file.resolve().parent, SESSIONS_FOLDER)


def sounds_dir(profiles_dir: Path) -> Path:
    """Return the sounds/ folder beside a profiles folder: where its rooms' sounds are found."""
    return beside(profiles_dir, SOUNDS_FOLDER)


def room_sounds_dir(room_file: Path, profiles_dir: Path | None = None) -> Path:
    """Return where a room's sound files are found when served with `profiles_dir`.

    Without one, the profiles are the sessions/ folder beside the room file's folder, and
    the sounds are beside that; the path is kept as written, for the messages.
    """
    return sounds_dir(profiles_dir or beside(room_file.parent, SESSIONS_FOLDER))
