"""What the room's core asks the edges to do: plain values, carried out in order.

Light effects go to the lights' output, sound effects to the speakers, `Emit` is one
typed event (published, logged, and recorded unless its budget says not), `PublishState`
asks for the retained state, `KeepSnapshot` a session's journal row, `Refuse` and `Accept`
answer the command being decided, `Log` is a line for the operator's log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from roomctl.api.events import Event
from roomctl.api.state import Status
from roomctl.core.levels import LightFade, LightLevel, SoundFade, SoundMix


@dataclass(frozen=True, slots=True)
class PlayLights:
    """Play each light's wall-time fade from now on (one already playing is left alone)."""

    fades: Mapping[str, LightFade]


@dataclass(frozen=True, slots=True)
class FreezeLights:
    """Stop every light that is mid-fade at its current level, ahead of anything queued."""


@dataclass(frozen=True, slots=True)
class JumpLights:
    """Send every light to a level at once, ahead of anything queued (emergency)."""

    levels: Mapping[str, LightLevel]


@dataclass(frozen=True, slots=True)
class ReapplyLights:
    """Give one light (or, with None, every light) the level it should have now."""

    device: str | None = None


@dataclass(frozen=True, slots=True)
class LightCameBack:
    """Note that a light came back: its next reports show how it booted."""

    device: str


@dataclass(frozen=True, slots=True)
class PlaySound:
    """Play a wall-time sound fade from now on."""

    fade: SoundFade


@dataclass(frozen=True, slots=True)
class HoldSound:
    """Freeze the sound where it is."""


@dataclass(frozen=True, slots=True)
class SilenceSound:
    """Stop all sound at once."""


@dataclass(frozen=True, slots=True)
class PreloadSound:
    """Load a session's sources ahead of their phases."""

    mix: SoundMix


@dataclass(frozen=True, slots=True)
class ReapplySound:
    """Give a speaker that came back the mix it should play now."""

    device: str


@dataclass(frozen=True, slots=True)
class Emit:
    """Publish an event (at `qos`), log it, and record it if `record`."""

    event: Event
    session_id: str | None
    record: bool = True
    qos: int = 1


@dataclass(frozen=True, slots=True)
class PublishState:
    """Publish the room's retained state as it is now."""


@dataclass(frozen=True, slots=True)
class KeepSnapshot:
    """Record a session's latest snapshot (a newer one replaces it in the journal)."""

    session_id: str
    profile: str
    started_at: float
    ended_at: float | None
    end_reason: str | None
    alive_at: float
    snapshot: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Refuse:
    """Answer the command at once: refused, and why (at `qos`)."""

    request_id: str | None
    reason: str
    qos: int


@dataclass(frozen=True, slots=True)
class Accept:
    """Answer the command as carried out, once the records made so far are on disk."""

    request_id: str | None
    status: Status


@dataclass(frozen=True, slots=True)
class Log:
    """Write a line to the operator's log (%-style `args`)."""

    level: int
    message: str
    args: tuple[object, ...] = ()


Effect = (
    PlayLights
    | FreezeLights
    | JumpLights
    | ReapplyLights
    | LightCameBack
    | PlaySound
    | HoldSound
    | SilenceSound
    | PreloadSound
    | ReapplySound
    | Emit
    | PublishState
    | KeepSnapshot
    | Refuse
    | Accept
    | Log
)


@dataclass(frozen=True, slots=True)
class Decision:
    """The effects of one input, in order, and when the session next needs a wake."""

    effects: tuple[Effect, ...]
    wake: float | None
