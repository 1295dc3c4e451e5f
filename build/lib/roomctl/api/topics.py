"""The topics of roomctl's MQTT API for one room."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "roomctl"


@dataclass(frozen=True, slots=True)
class RoomTopics:
    """Every topic of one room's API."""

    room_id: str

    @property
    def cmd(self) -> str:
        """Return the topic commands arrive on."""
        return f"{PREFIX}/{self.room_id}/cmd"

    @property
    def reply(self) -> str:
        """Return the topic replies go to."""
        return f"{PREFIX}/{self.room_id}/reply"

    @property
    def state(self) -> str:
        """Return the retained state topic."""
        return f"{PREFIX}/{self.room_id}/state"

    @property
    def availability(self) -> str:
        """Return the retained availability topic (online/offline, also the last will)."""
        return f"{PREFIX}/{self.room_id}/availability"

    @property
    def events(self) -> str:
        """Return the event stream topic."""
        return f"{PREFIX}/{self.room_id}/events"


ALL_STATES = f"{PREFIX}/+/state"
