"""Publish each room's retained catalog when serving starts and when its profiles change."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from roomctl.api.catalog import Catalog
from roomctl.api.messages import Message
from roomctl.api.topics import RoomTopics
from roomctl.config.folders import sounds_dir
from roomctl.config.library import ProfileLibrary
from roomctl.models import RoomPreset
from roomctl.runtime.catalog import catalog_shape, room_catalog

_LOGGER = logging.getLogger(__name__)

# How often the profiles folders are looked at: a clinic that saves a profile sees it on
# the console within a few seconds, and listing a folder of a few dozen files every 2 s
# costs well under a millisecond (no file is read unless one changed).
CATALOG_POLL_S = 2.0
# A file modified this recently is looked at again at the next poll even if its size
# and time stay the same: an edit within one tick of a coarse file-system clock (FAT and
# SMB shares count in 2-s steps) would otherwise go unnoticed (see config.library).
SETTLE_S = 2.0
# A catalog is no emergency: this gap between two rooms' catalogs keeps a change of the
# folder from sending 200 rooms' catalogs (megabytes) at once through the network thread
# that carries the rooms' light commands; 200 rooms take 2 s.
CATALOG_GAP_S = 0.01
# How long stop() waits for a catalog being built: a few profiles take milliseconds.
STOP_WAIT_S = 2.0

# What a folder looks like from outside: each file's path, size and modification time.
Stamp = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class CatalogRoom:
    """A served room: its preset, its profiles folder, and how to publish on its connection."""

    room: RoomPreset
    folder: Path
    publish: Callable[[Message], None]


def folder_stamp(folder: Path, now: float) -> Stamp | None:
    """Return the profiles' and sounds' files with sizes and times; None while one settles."""
    files: list[tuple[str, int, int]] = []
    settling = False
    # The profiles are the folder's own files; a sound may lie in a folder of the sounds.
    for root, pattern in ((folder, "*"), (sounds_dir(folder), "**/*")):
        if not root.is_dir():
            continue
        for path in sorted(root.glob(pattern)):
            try:
                status = path.stat()
            except OSError:  # removed while listed: the next poll sees the folder as it is
                settling = True
                continue
            if path.is_file():
                files.append((str(path), status.st_size, status.st_mtime_ns))
                settling = settling or now - status.st_mtime < SETTLE_S
    return None if settling else tuple(files)


class CatalogPublisher:
    """One thread for all rooms: build and publish each catalog, then poll for changes.

    Off every room's critical path: the rooms' workers and the emergency line never wait
    for it; it only hands retained messages to the rooms' connections (thread-safe, and
    replayed by them after every reconnect).
    """

    def __init__(self, rooms: Sequence[CatalogRoom], poll_s: float = CATALOG_POLL_S) -> None:
        self._rooms = list(rooms)
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="roomctl-catalog", daemon=True)
        self._stamps: dict[Path, Stamp | None] = {}
        self._libraries: dict[Path, ProfileLibrary] = {}
        self._published: dict[str, str] = {}  # room id -> its catalog without updated_at

    def start(self) -> None:
        """Start publishing (the first catalogs at once)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (the retained catalogs stay on the broker)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(STOP_WAIT_S)

    def poll(self) -> None:
        """Look at every folder once; publish the catalogs of those that changed."""
        for folder in dict.fromkeys(r.folder for r in self._rooms):
            try:
                self._poll(folder)
            except Exception:  # a bad day on one folder must not end the catalogs
                _LOGGER.exception("catalog of the profiles in %s failed", folder)

    def _publish(self, served: CatalogRoom, catalog: Catalog, payload: str) -> None:
        """Publish a room's catalog, then leave a gap before the next room's."""
        topic = RoomTopics(served.room.id).catalog
        served.publish(Message(topic, payload, qos=1, retain=True))
        _LOGGER.info(
            "room %s: catalog of %d profiles (%d that do not fit) published",
            served.room.id,
            len(catalog.profiles),
            len(catalog.problems),
        )
        self._stop.wait(CATALOG_GAP_S)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self._poll_s)

    def _poll(self, folder: Path) -> None:
        """Publish the folder's rooms' catalogs if its files changed since the last look."""
        stamp = folder_stamp(folder, time.time())
        if folder in self._stamps and stamp is not None and self._stamps[folder] == stamp:
            return
        self._stamps[folder] = stamp
        started = time.perf_counter()
        # The catalog's own library: its parses never hold up a room loading a profile.
        library = self._libraries.setdefault(folder, ProfileLibrary(folder))
        # Rooms alike (the same lights and limits) have the same catalog but for their id:
        # it is built once per kind of room, and only its `room` differs on the wire.
        alike: dict[str, list[CatalogRoom]] = {}
        for served in (r for r in self._rooms if r.folder == folder):
            alike.setdefault(catalog_shape(served.room), []).append(served)
        for rooms in alike.values():
            catalog = room_catalog(rooms[0].room, library, time.time())
            content = catalog.model_copy(update={"room": "", "updated_at": ""}).payload()
            wire = catalog.model_copy(update={"room": ""}).payload()
            for served in rooms:
                if self._published.get(served.room.id) != content:
                    self._published[served.room.id] = content
                    self._publish(served, catalog, _with_room(wire, served.room.id))
        _LOGGER.debug(
            "catalog of %s built in %.1f ms", folder, (time.perf_counter() - started) * 1000
        )


def _with_room(payload: str, room_id: str) -> str:
    """Return a catalog encoded with an empty `room` (its first field) as room_id's own."""
    empty = '{"room":""'
    if not payload.startswith(empty):
        raise ValueError("a catalog's payload starts with its room")
    return '{"room":' + json.dumps(room_id) + payload[len(empty) :]
