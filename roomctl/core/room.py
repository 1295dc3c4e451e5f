"""The room's state machine: (state, input, now) -> effects, with no I/O at all.

`RoomCore` keeps what a room remembers (`RoomMemory`) and turns each input into the
effects to carry out (`Decision`): light and sound changes, events to publish and
record, the state to publish, the session's journal snapshot, the command's answer, and
when the session next needs a wake. The edges (runtime/room.py) carry the effects out.

What the core needs to know of the outputs:
- the sound it keeps itself: only its own effects change what the speakers play;
- the lights' current levels the edge passes with each input (`lights`): a light set by
  hand or power cycled changes under the core, and the lights' output knows it;
- device health it keeps itself, from the device news the edge passes in;
- the levels kept because set by hand, and the journal's trouble, the edge passes to
  `view` (they show only in the state).
"""

from __future__ import annotations

from collections.abc import Mapping

from roomctl.api.state import RoomState, Status
from roomctl.core.levels import LightLevel
from roomctl.core.room_commands import decide_command
from roomctl.core.room_course import advance, apply_scene, recover
from roomctl.core.room_cues import PendingViews
from roomctl.core.room_devices import (
    device_seen,
    light_reported,
    light_restored,
    light_set_by_hand,
)
from roomctl.core.room_effects import Decision, KeepSnapshot, PublishState, ReapplyLights
from roomctl.core.room_inputs import (
    BrokerConnected,
    CommandIn,
    CoreInput,
    DeviceSeen,
    Heartbeat,
    LightReported,
    LightRestored,
    LightSetByHand,
    Recover,
    SceneDue,
    Shutdown,
    Wake,
)
from roomctl.core.room_session import Session
from roomctl.core.room_snapshot import session_snapshot
from roomctl.core.room_step import ACTIVE, RoomMemory, Step
from roomctl.core.room_view import room_state
from roomctl.models import RoomPreset


class RoomCore:
    """Decide one room: each input and the time give the effects to carry out."""

    def __init__(self, room: RoomPreset, speed: float = 1.0) -> None:
        self.room = room
        self.speed = speed
        self.memory = RoomMemory(health=dict.fromkeys(room.devices))
        self._pending_views = PendingViews()

    @property
    def status(self) -> Status:
        """Return the room's status."""
        return self.memory.status

    @property
    def session(self) -> Session | None:
        """Return the current (or last) session, or None."""
        return self.memory.session

    @property
    def in_session(self) -> bool:
        """Tell whether a session is under way (running, paused or in emergency)."""
        return self.memory.status in ACTIVE

    def decide(
        self, item: CoreInput, now: float, lights: Mapping[str, LightLevel | None]
    ) -> Decision:
        """Return the effects of one input at wall time `now`, lights where `lights` says."""
        step = Step(self.room, self.speed, self.memory, now, lights)
        match item:
            case CommandIn():
                decide_command(step, item)
            case Wake():
                advance(step)
            case Heartbeat():
                if self.in_session:
                    self.memory.dirty = True  # the journal notes the daemon was alive
                    step.do(PublishState())
            case SceneDue():
                apply_scene(step, item.scene)
            case DeviceSeen():
                device_seen(step, item)
            case LightReported():
                light_reported(step, item)
            case LightSetByHand():
                light_set_by_hand(step, item)
            case LightRestored():
                light_restored(step, item)
            case BrokerConnected():
                step.do(ReapplyLights(), PublishState())
            case Recover():
                recover(step, item.session_id, item.snapshot, item.alive_at, item.ended)
            case Shutdown():
                step.record_gaps(close_all=True)  # what the open windows left out, counted
        return Decision(tuple(step.effects), self.next_wake(now))

    def settle(self, now: float) -> Decision:
        """Return what closes a turn: windows' summaries, then the session's snapshot.

        The edge calls it once an input's effects (and device upkeep) are carried out.
        """
        step = Step(self.room, self.speed, self.memory, now, {})
        step.record_gaps()
        memory, session = self.memory, self.memory.session
        if memory.dirty and session is not None and (self.in_session or memory.ended):
            ended_at, reason = memory.ended or (None, None)
            snapshot = session_snapshot(
                session, memory.status, memory.cues_until, memory.announced_phase
            )
            step.do(
                KeepSnapshot(
                    session.session_id,
                    session.profile_id,
                    session.started_wall,
                    ended_at,
                    reason,
                    now,
                    snapshot,
                )
            )
        memory.dirty = False
        return Decision(tuple(step.effects), self.next_wake(now))

    def gaps_open(self) -> bool:
        """Tell whether a record window left events out: settle() summarises it once closed."""
        memory = self.memory
        return memory.refusal_record.has_gaps() or memory.health_record.has_gaps()

    def next_wake(self, now: float) -> float | None:
        """Return the wall time of the session's next change (phase, fade, cue), or None."""
        session = self.memory.session
        if self.memory.status != "running" or session is None:
            return None
        tau = session.clock.session_time(now)
        # From where the course was last brought up to (cues, phases and fades go together),
        # not from now: a turn taken for something else just after a change, before the
        # change's own wake-up, must not plan past it.
        since = min(tau, self.memory.cues_until)
        change = session.timeline(self.room).next_change(since)
        return None if change is None else now + (change - tau) / self.speed

    def view(
        self, now: float, manual: Mapping[str, LightLevel], journal_error: str | None
    ) -> RoomState:
        """Return the state as the state topic shows it; the edge says what only it knows."""
        return room_state(
            self.room,
            self.memory,
            self.speed,
            now,
            manual,
            journal_error,
            self._pending_views,
        )
