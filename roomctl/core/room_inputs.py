"""What the room's core decides on: commands, timer firings, device news, recovery.

Every input is a plain value. What only the edges can know (a profile read from YAML,
what a light's report means, a fresh session id) arrives already resolved in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roomctl.api.commands import Command, CommandError
from roomctl.core.levels import LightLevel
from roomctl.models import SessionProfile


@dataclass(frozen=True, slots=True)
class CommandIn:
    """A command, numbered in arrival order, or the reason it could not be read.

    For a start, the edge has looked its profile up: `profile` is the loaded profile, or
    `profile_refusal` says why it could not be loaded; `session_id` is the new session's.
    """

    command: Command | CommandError
    seq: int
    profile: SessionProfile | None = None
    profile_refusal: str | None = None
    session_id: str = ""


@dataclass(frozen=True, slots=True)
class Wake:
    """The room's timer fired: a phase boundary, a cue, a fade step or a fade end is due."""


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Time to republish state while a session runs."""


@dataclass(frozen=True, slots=True)
class SceneDue:
    """A scene from the room's schedule is due."""

    scene: str


@dataclass(frozen=True, slots=True)
class BrokerConnected:
    """The room's MQTT connection came up (again)."""


@dataclass(frozen=True, slots=True)
class Shutdown:
    """Stop the room, once what it recorded is on disk."""


@dataclass(frozen=True, slots=True)
class DeviceSeen:
    """A device said it is online or offline; `rejoined` marks a light that just booted."""

    device: str
    online: bool
    reason: str = ""
    rejoined: bool = False


@dataclass(frozen=True, slots=True)
class LightReported:
    """A light reported its level: a sign of life where nothing else says it is online."""

    device: str
    has_availability: bool


@dataclass(frozen=True, slots=True)
class LightSetByHand:
    """A light's report shows a change made at the light; the room keeps `kept`."""

    device: str
    reported: LightLevel
    kept: LightLevel


@dataclass(frozen=True, slots=True)
class LightRestored:
    """A light's report shows it lost power; it was given its level again."""

    device: str
    reported: LightLevel


@dataclass(frozen=True, slots=True)
class Recover:
    """Bring back a session the journal holds as unfinished, or ended with cues pending."""

    session_id: str
    snapshot: dict[str, Any]
    alive_at: float
    ended: tuple[float, str] | None = None  # when and why it ended, if it had


CoreInput = (
    CommandIn
    | Wake
    | Heartbeat
    | SceneDue
    | BrokerConnected
    | Shutdown
    | DeviceSeen
    | LightReported
    | LightSetByHand
    | LightRestored
    | Recover
)
