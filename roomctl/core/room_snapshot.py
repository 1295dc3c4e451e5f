"""Turn a session into plain data for the journal, and back after a restart."""

from __future__ import annotations

import weakref
from typing import Any

from roomctl.api.state import Status
from roomctl.core.levels import LightLevel, SoundMix, Voice
from roomctl.core.room_session import FiredCue, Session
from roomctl.core.timeline import SessionClock, SessionPlan
from roomctl.models import SessionProfile

SNAPSHOT_VERSION = 1
# A profile's plain form, by the id of the (frozen, shared) profile it was made from: a room
# snapshots its session at every cue and phase, and dumping the whole profile each time
# was the largest part of a phase change. An entry goes with its profile (a weak
# reference), so an edited profile's new object gets a fresh dump.
_PROFILE_DUMPS: dict[int, tuple[weakref.ref[SessionProfile], dict[str, Any]]] = {}


def profile_dump(profile: SessionProfile) -> dict[str, Any]:
    """Return the profile as plain JSON data, made once per profile object (do not change it)."""
    key = id(profile)
    kept = _PROFILE_DUMPS.get(key)
    if kept is not None and kept[0]() is profile:
        return kept[1]
    dump = profile.model_dump(mode="json")
    ref = weakref.ref(profile, lambda _gone: _PROFILE_DUMPS.pop(key, None))
    _PROFILE_DUMPS[key] = (ref, dump)
    return dump


def _light(level: LightLevel) -> dict[str, Any]:
    return {
        "on": level.on,
        "brightness": level.brightness,
        "mireds": level.mireds,
        "color": list(level.color) if level.color is not None else None,
    }


def _light_from(data: dict[str, Any]) -> LightLevel:
    color = data.get("color")
    return LightLevel(
        on=bool(data["on"]),
        brightness=float(data["brightness"]),
        mireds=None if data.get("mireds") is None else float(data["mireds"]),
        color=None if color is None else (float(color[0]), float(color[1]), float(color[2])),
    )


def _mix(mix: SoundMix) -> list[dict[str, Any]]:
    return [{"source": v.source, "gain": v.gain, "loop": v.loop} for v in mix]


def _mix_from(data: list[dict[str, Any]]) -> SoundMix:
    return tuple(Voice(str(v["source"]), float(v["gain"]), bool(v["loop"])) for v in data)


def _fired(cue: FiredCue) -> dict[str, Any]:
    return {
        "id": cue.cue_id,
        "phase": cue.phase,
        "notify": cue.notify,
        "at_s": cue.at,
        "fired_wall": cue.fired_wall,
    }


def _fired_from(data: dict[str, Any]) -> FiredCue:
    return FiredCue(
        str(data["id"]),
        str(data["phase"]),
        str(data["notify"]),
        float(data["at_s"]),
        float(data["fired_wall"]),
    )


def session_snapshot(
    session: Session, status: Status, cues_until: float, announced_phase: int | None
) -> dict[str, Any]:
    """Return everything needed to bring a session back as it stands."""
    return {
        "version": SNAPSHOT_VERSION,
        "status": status,
        "session_id": session.session_id,
        "profile_id": session.profile_id,
        "profile": profile_dump(session.profile),
        "clock": session.clock.to_dict(),
        "plan": session.plan.to_dict(),
        "initial_lights": {name: _light(level) for name, level in session.initial_lights.items()},
        "initial_sound": _mix(session.initial_sound),
        "started_wall": session.started_wall,
        "operator": session.operator,
        "paused_by": session.paused_by,
        "emergency": session.emergency,
        "cues_until": cues_until,
        "announced_phase": announced_phase,
        "pending_cues": [_fired(cue) for cue in session.pending],
    }


def restore_session(data: dict[str, Any]) -> tuple[Session, Status, float, int | None]:
    """Return the session, status, cue mark and announced phase of a snapshot."""
    if data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"session snapshot version {data.get('version')!r} is not supported")
    session = Session(
        session_id=str(data["session_id"]),
        profile_id=str(data["profile_id"]),
        profile=SessionProfile.model_validate(data["profile"]),
        clock=SessionClock.from_dict(data["clock"]),
        plan=SessionPlan.from_dict(data["plan"]),
        initial_lights={k: _light_from(v) for k, v in data["initial_lights"].items()},
        initial_sound=_mix_from(data["initial_sound"]),
        started_wall=float(data["started_wall"]),
        operator=data.get("operator"),
        paused_by=data.get("paused_by"),
        emergency=bool(data.get("emergency")),
        pending=tuple(_fired_from(cue) for cue in data.get("pending_cues", [])),
    )
    announced = data.get("announced_phase")
    return (
        session,
        data["status"],
        float(data["cues_until"]),
        None if announced is None else int(announced),
    )
