"""What arrives on a room's queue: commands, timer firings, device news, broker news.

The plain ones are the core's own inputs (core.room_inputs), re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass

from roomctl.api.commands import Command, CommandError
from roomctl.api.messages import Inbound
from roomctl.core.room_inputs import BrokerConnected, Heartbeat, SceneDue, Shutdown, Wake
from roomctl.devices.base import DeviceEcho, DeviceHealth
from roomctl.journal import SessionRow


@dataclass(frozen=True, slots=True)
class CommandArrived:
    """A message on the room's cmd topic, parsed where it arrived, numbered in arrival order."""

    inbound: Inbound
    parsed: Command | CommandError
    seq: int

    @property
    def urgent(self) -> bool:
        """Tell whether the command goes ahead of everything queued (an emergency)."""
        return not isinstance(self.parsed, CommandError) and self.parsed.action == "emergency"


@dataclass(frozen=True, slots=True)
class SpeakerHealth:
    """An audio output went away or came back."""

    device: str
    online: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Recover:
    """Bring back a session the journal holds as unfinished, or ended with cues pending."""

    row: SessionRow


@dataclass(frozen=True, slots=True)
class JournalWritten:
    """The room's last journal write ended: hand over what was recorded meanwhile."""


__all__ = [
    "BrokerConnected",
    "CommandArrived",
    "Heartbeat",
    "JournalWritten",
    "Recover",
    "RoomInput",
    "SceneDue",
    "Shutdown",
    "SpeakerHealth",
    "Wake",
]

RoomInput = (
    CommandArrived
    | Wake
    | Heartbeat
    | SceneDue
    | DeviceHealth
    | DeviceEcho
    | SpeakerHealth
    | BrokerConnected
    | Recover
    | JournalWritten
    | Shutdown
)
