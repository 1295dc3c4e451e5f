"""What the room's core remembers between inputs, and one decision in progress."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from roomctl.api.events import (
    CommandsUnrecorded,
    DeviceEventsUnrecorded,
    DeviceOffline,
    DeviceOnline,
    DeviceRestored,
    Event,
    ManualChange,
)
from roomctl.api.state import LightLevelFields, Status
from roomctl.core.levels import SILENCE, LightFade, LightLevel, SoundFade, SoundMix
from roomctl.core.record_budget import HealthRecordLimit
from roomctl.core.room_effects import (
    Effect,
    Emit,
    HoldSound,
    PlaySound,
    SilenceSound,
)
from roomctl.core.room_session import Session
from roomctl.models import RoomPreset

# Refused commands recorded one by one per minute (the record budget's window); beyond
# that one `commands_unrecorded` event counts the rest. A supervisor's mistakes fit; a
# flood's junk does not belong in a clinical record row by row.
REFUSAL_RECORD_CAP = 20
REFUSALS = "commands"  # the refusals' key in their budget
ACTIVE: tuple[Status, ...] = ("running", "paused", "emergency")

DeviceEvent = DeviceOffline | DeviceOnline | ManualChange | DeviceRestored


@dataclass
class RoomMemory:
    """Everything the core keeps about a room between inputs.

    The sound is the core's own: only its effects change what the speakers play, so it
    keeps the fade they play (`sound`). The lights are not: a light set by hand or power
    cycled changes under it, so the edge passes their current levels with each input.
    """

    status: Status = "idle"
    session: Session | None = None
    health: dict[str, bool | None] = field(default_factory=dict)
    announced_phase: int | None = None
    cues_until: float = 0.0
    before_emergency: dict[str, LightLevel] = field(default_factory=dict)
    ended: tuple[float, str] | None = None  # when and why the last session ended
    dirty: bool = False  # something the journal's session row shows has changed
    emergency_seq: int = -1  # arrival number of the last emergency carried out
    emergency_sent_at: float = -math.inf  # when the lights were last sent the scene
    sound: SoundFade = field(default_factory=lambda: SoundFade(0.0, 0.0, SILENCE, SILENCE))
    health_record: HealthRecordLimit = field(default_factory=HealthRecordLimit)
    # Refused commands share one budget: a flood of junk cannot fill the record.
    refusal_record: HealthRecordLimit = field(
        default_factory=lambda: HealthRecordLimit(cap=REFUSAL_RECORD_CAP)
    )


@dataclass
class Step:
    """One decision in progress: the room, what the core remembers, the time, the effects."""

    room: RoomPreset
    speed: float
    memory: RoomMemory
    now: float
    lights: Mapping[str, LightLevel | None]  # where each light is, as the edge saw it
    effects: list[Effect] = field(default_factory=list)

    def do(self, *effects: Effect) -> None:
        """Add effects, in order."""
        self.effects.extend(effects)

    def emit(self, event: Event, record: bool = True, qos: int = 1) -> None:
        """Publish an event of the room's (recorded unless `record` is False)."""
        session = self.memory.session
        self.memory.dirty = True
        self.do(Emit(event, session.session_id if session else None, record, qos))

    def device_event(self, event: DeviceEvent) -> None:
        """Publish a device's event; record it within the per-device budget."""
        self.record_gaps()
        self.emit(event, self.memory.health_record.admit(event.device, self.now))

    def record_gaps(self, close_all: bool = False) -> None:
        """Record how many device events and refusals a closed window left unrecorded."""
        until = math.inf if close_all else self.now
        for gap in self.memory.refusal_record.closed(until):
            window = round(gap.until - gap.since, 1)
            self.emit(CommandsUnrecorded(count=gap.count, window_s=window))
        for gap in self.memory.health_record.closed(until):
            window = round(gap.until - gap.since, 1)
            self.emit(DeviceEventsUnrecorded(device=gap.device, count=gap.count, window_s=window))

    def sound_now(self) -> SoundMix:
        """Return the mix the speakers play now."""
        return self.memory.sound.at(self.now)

    def play_sound(self, fade: SoundFade) -> None:
        """Play a wall-time sound fade."""
        self.memory.sound = fade
        self.do(PlaySound(fade))

    def hold_sound(self) -> None:
        """Freeze the sound where it is."""
        mix = self.sound_now()
        self.memory.sound = SoundFade(self.now, self.now, mix, mix)
        self.do(HoldSound())

    def silence(self) -> None:
        """Stop all sound at once."""
        self.memory.sound = SoundFade(self.now, self.now, SILENCE, SILENCE)
        self.do(SilenceSound())

    def elapsed(self) -> float | None:
        """Return the session time now, as events show it, or None without a session."""
        session = self.memory.session
        return None if session is None else round(session.clock.session_time(self.now), 1)

    def to_wall(self, tau_at: float, tau_now: float) -> float:
        """Return the wall time of session time `tau_at`, the session running at speed."""
        return self.now + (tau_at - tau_now) / self.speed

    def fade_to_wall(self, fade: LightFade, tau: float) -> LightFade:
        """Return a session-time light fade in wall time."""
        # Built directly, not with dataclasses.replace: every wake converts every light's
        # fade, and replace's generic field copying was most of a wake's fade work.
        start, end = self.to_wall(fade.start, tau), self.to_wall(fade.end, tau)
        return LightFade(start, end, fade.source, fade.target, fade.easing)


def light_fields(level: LightLevel) -> LightLevelFields:
    """Return a level as the events and the state show it: on, brightness, mireds or colour.

    A brightness a device reported a rounding beyond 0..1 is shown at the bound.
    """
    color = level.color
    return LightLevelFields(
        on=level.on,
        brightness=round(min(1.0, max(0.0, level.brightness)), 3),
        mireds=None if level.mireds is None else round(level.mireds),
        color=None if color is None else (round(color[0]), round(color[1]), round(color[2])),
    )
