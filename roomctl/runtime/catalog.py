"""A room's catalog: the profiles of its folder that fit it, pictured, and why the others do not."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from roomctl.api.catalog import Catalog, CatalogCue, CatalogPhase, CatalogProblem, CatalogProfile
from roomctl.api.catalog import Point as WirePoint
from roomctl.api.wire import compact_json, iso_timestamp
from roomctl.config.folders import sounds_dir
from roomctl.config.library import PROFILE_SUFFIXES, ProfileLibrary
from roomctl.config.problems import ConfigError, errors
from roomctl.core.plan_picture import PhasePicture, Point, plan_picture
from roomctl.models import RoomPreset
from roomctl.models.devices import LightSpec

_LOGGER = logging.getLogger(__name__)

# Pictures kept (least recently used dropped): a daemon's profiles times its kinds of room,
# with room to spare; each is a few kilobytes.
PICTURE_CACHE_SIZE = 256
_PICTURES: OrderedDict[tuple[str, int, int, str], list[CatalogPhase]] = OrderedDict()


def profile_files(folder: Path) -> list[Path]:
    """Return the folder's profile files, one per name (.yaml before .yml, as `start` picks)."""
    if not folder.is_dir():
        return []
    by_name: dict[str, Path] = {}
    for suffix in PROFILE_SUFFIXES:
        for path in sorted(folder.glob(f"*{suffix}")):
            if path.is_file():
                by_name.setdefault(path.stem, path)
    return [by_name[name] for name in sorted(by_name)]


def catalog_shape(room: RoomPreset) -> str:
    """Return what a room's catalog depends on, as text: rooms with the same have the same.

    Its lights' names, types and capabilities, its groups, scenes, standby and limits: not
    its id, name, site or the lights' addresses (a floor of rooms alike differs only there).
    """
    devices = {
        name: [spec.type, sorted(spec.capabilities or spec.default_capabilities())]
        if isinstance(spec, LightSpec)
        else [spec.type]
        for name, spec in sorted(room.devices.items())
    }
    rest = room.model_dump(mode="json", include={"groups", "standby", "scenes", "limits"})
    return compact_json({"devices": devices, **rest})


def room_catalog(room: RoomPreset, library: ProfileLibrary, wall: float) -> Catalog:
    """Return the room's catalog: each profile without error against it, with its plan.

    Each profile is loaded as a start loads it (`roomctl check`'s checks against the
    room); the library keeps every unchanged file's parse, so a change costs one file.
    """
    fitting: list[CatalogProfile] = []
    problems: list[CatalogProblem] = []
    hidden = _folders(library.directory)
    shape = catalog_shape(room)
    for path in profile_files(library.directory):
        name = path.stem
        try:
            profile = library.load(name, room)
        except ConfigError as error:
            problems.append(CatalogProblem(profile=name, error=_first_error(error, hidden)))
            continue
        fitting.append(
            CatalogProfile(
                name=name,
                title=profile.title,
                description=profile.description.strip(),
                duration_s=profile.duration,
                phases=_pictured(path, shape, partial(plan_picture, profile, room)),
            )
        )
    return Catalog(
        room=room.id, updated_at=iso_timestamp(wall), profiles=fitting, problems=problems
    )


def _pictured(
    path: Path, shape: str, draw: Callable[[], Sequence[PhasePicture]]
) -> list[CatalogPhase]:
    """Return a profile's picture for a room, drawn once per file version and room shape.

    Rooms alike (a floor of identical rooms, 200 in one daemon) share one drawing, and a
    poll that found another file changed redraws nothing: a picture costs ~3 ms of CPU,
    taken from the rooms' own threads.
    """
    try:
        status = path.stat()
    except OSError:
        return [_phase(phase) for phase in draw()]
    key = (str(path), status.st_mtime_ns, status.st_size, shape)
    phases = _PICTURES.get(key)
    if phases is None:
        phases = [_phase(phase) for phase in draw()]
        _PICTURES[key] = phases
        while len(_PICTURES) > PICTURE_CACHE_SIZE:
            _PICTURES.popitem(last=False)
    else:
        _PICTURES.move_to_end(key)
    return phases


def _phase(phase: PhasePicture) -> CatalogPhase:
    return CatalogPhase(
        name=phase.name,
        start_s=phase.start_s,
        end_s=phase.end_s,
        fade_s=phase.fade_s,
        cues=[CatalogCue(id=c.id, at_s=c.at_s, notify=c.notify) for c in phase.cues],
        points=[_point(p) for p in phase.points],
    )


def _point(point: Point) -> WirePoint:
    """Return a point as the wire writes it: ms, 0.1 % of light, whole mireds, 0.01 % gain."""
    mireds = None if point.mireds is None else round(point.mireds)
    return (
        round(point.t_s, 3),
        round(point.brightness, 3),
        mireds,
        round(point.volume, 4),
    )


def _folders(folder: Path) -> list[str]:
    """Return the folders a message may name, longest first: the profiles' and the sounds'."""
    names = {str(folder), str(sounds_dir(folder))}
    names |= {str(folder.resolve()), str(sounds_dir(folder.resolve()))}
    return sorted(names, key=len, reverse=True)


def _first_error(error: ConfigError, folders: list[str]) -> str:
    """Return the first error as `field.path: message`, the daemon's folders left out."""
    wrong = errors(error.problems)  # sorted by line, as `roomctl check` lists them
    if wrong:
        problem = wrong[0]
        text = f"{problem.path}: {problem.message}" if problem.path else problem.message
    else:
        text = error.summary
    for folder in folders:
        text = text.replace(folder, Path(folder).name)
    return text
