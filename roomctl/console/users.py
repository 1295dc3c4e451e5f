"""The console's users file: names, roles, rooms and argon2id password hashes."""

from __future__ import annotations

import io
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from roomctl.console.places import LOCAL
from roomctl.errors import RoomctlError

Role = Literal["viewer", "staff", "supervisor"]
ROLES: tuple[Role, ...] = get_args(Role)
USERS_ENV = "ROOMCTL_USERS"
# What each role may send to a room; a supervisor may send everything.
STAFF_ACTIONS = frozenset({"start", "pause", "resume", "next", "extend", "ack", "emergency"})
SUPERVISOR_ONLY = frozenset({"stop", "release"})
# The record queries: they change nothing, so every role may ask them, through the console's
# record endpoints only (the command endpoint keeps to may_send).
RECORD_QUERIES = frozenset({"history", "report"})
# argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane): ~30 ms a login here. The
# library's default takes 64 MiB a hash, so a burst of logins could take the console's memory.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Hashes checked at once: more logins than this wait their turn, so a burst of them costs at
# most this many times the hash's memory.
CONCURRENT_HASHES = 2
_HASHING = threading.BoundedSemaphore(CONCURRENT_HASHES)
# A hash of a password nobody has: checked for an unknown name, so that a wrong name takes
# as long as a wrong password and the time does not tell which names exist.
_DECOY_HASH = _HASHER.hash("roomctl-no-such-user")


class UsersFileError(RoomctlError):
    """The users file cannot be read or does not say what it must."""


@dataclass(frozen=True, slots=True)
class User:
    """One account: its role, the rooms and sites it is limited to (None: all), its hash.

    A rooms entry is a room id (that room at every site) or `site/room` (one site's).
    """

    name: str
    role: Role
    rooms: tuple[str, ...] | None
    hash: str
    sites: tuple[str, ...] | None = None

    def may_see_site(self, site: str) -> bool:
        """Return whether this user may see a site; one limited to sites sees no LOCAL room."""
        return self.sites is None or site in self.sites

    def may_see(self, room: str, site: str = LOCAL) -> bool:
        """Return whether this user may see a room of a site (LOCAL: the console's own broker)."""
        if not self.may_see_site(site):
            return False
        return self.rooms is None or room in self.rooms or f"{site}/{room}" in self.rooms

    def may_send(self, action: str) -> bool:
        """Return whether this user's role may send a command with this action."""
        if self.role == "supervisor":
            return True
        return self.role == "staff" and action in STAFF_ACTIONS

    def may_read(self, query: str) -> bool:
        """Return whether this user may ask a record query: every role may, they change nothing."""
        return query in RECORD_QUERIES


def default_users_path() -> Path:
    """Return $ROOMCTL_USERS, else $XDG_CONFIG_HOME/roomctl/users.yaml (~/.config/...)."""
    if os.environ.get(USERS_ENV):
        return Path(os.environ[USERS_ENV])
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "roomctl" / "users.yaml"


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _HASHER.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Return whether password is the user's; an unknown user costs as much and fails."""
    try:
        with _HASHING:
            return _HASHER.verify(user.hash if user else _DECOY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def _yaml() -> YAML:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    yaml.width = 4096  # an argon2 hash on one line
    return yaml


def load_users(path: Path) -> dict[str, User]:
    """Return the users of a file by name (none when the file does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise UsersFileError(f"cannot read the users file {path}: {error}") from None
    try:
        data = _yaml().load(text) or {}
    except YAMLError as error:
        raise UsersFileError(f"{path} is not valid YAML: {error}") from None
    entries = data.get("users") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise UsersFileError(f"{path}: expected a mapping 'users:' of names")
    users: dict[str, User] = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict) or entry.get("role") not in ROLES:
            raise UsersFileError(f"{path}: user {name!r} needs a role, one of {', '.join(ROLES)}")
        rooms = entry.get("rooms")
        if rooms is not None and not (
            isinstance(rooms, list) and all(isinstance(r, str) for r in rooms)
        ):
            raise UsersFileError(f"{path}: user {name!r}: rooms must be a list of room ids")
        sites = entry.get("sites")
        if sites is not None and not (
            isinstance(sites, list) and all(isinstance(s, str) and s for s in sites)
        ):
            raise UsersFileError(f"{path}: user {name!r}: sites must be a list of site names")
        if not str(entry.get("hash", "")).startswith("$argon2id$"):
            raise UsersFileError(f"{path}: user {name!r} has no argon2id hash")
        role = cast(Role, entry["role"])
        users[str(name)] = User(
            str(name),
            role,
            tuple(rooms) if rooms is not None else None,
            str(entry["hash"]),
            tuple(sites) if sites is not None else None,
        )
    return users


def save_users(path: Path, users: dict[str, User]) -> None:
    """Write the users file atomically with mode 0600 (readable by its owner only)."""
    entries: dict[str, dict[str, object]] = {}
    for user in sorted(users.values(), key=lambda u: u.name):
        entry: dict[str, object] = {"role": user.role}
        if user.rooms is not None:
            entry["rooms"] = list(user.rooms)
        if user.sites is not None:
            entry["sites"] = list(user.sites)
        entry["hash"] = user.hash
        entries[user.name] = entry
    buffer = io.StringIO()
    _yaml().dump({"users": entries}, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".users-", suffix=".tmp")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(buffer.getvalue())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class UsersFile:
    """The users file as the console sees it: read again whenever it changes on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, User] = {}

    def get(self, name: str) -> User | None:
        """Return a user by name as the file says now."""
        return self.users().get(name)

    def users(self) -> dict[str, User]:
        """Return every user, reading the file again if it changed since the last look."""
        try:
            status = self.path.stat()
            stamp = (status.st_mtime_ns, status.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        if stamp != self._stamp:
            try:
                self._users = load_users(self.path)
            except UsersFileError:
                if self._stamp is None:
                    raise
                return self._users  # a half-edited file: keep the last good one
            self._stamp = stamp
        return self._users
