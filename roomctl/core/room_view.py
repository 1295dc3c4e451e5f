"""Lay out a room's state as the state topic shows it (pure: everything is passed in)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from roomctl.api.state import DeviceState, JournalProblem, NextCue, PhaseSpan, RoomState
from roomctl.api.wire import iso_timestamp
from roomctl.core.levels import LightLevel
from roomctl.core.room_cues import PendingViews
from roomctl.core.room_step import RoomMemory, light_fields
from roomctl.models import RoomPreset

# Plans whose phase spans are kept: a daemon's sessions share a few profiles, and a plan
# changes only with an extend or a skip; each state message would otherwise build them.
PHASE_SPANS_KEPT = 1024


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a session stands, in session seconds, as the state shows it (None: not shown).

    The one extrapolation of a session's clocks: a client showing a running room between
    two state messages moves them on by the wall time since, times the room's speed.
    """

    elapsed_s: float | None
    phase_remaining_s: float | None = None
    remaining_s: float | None = None
    next_cue_in_s: float | None = None

    def moved_on(self, session_s: float) -> Progress:
        """Return the progress `session_s` session seconds later; what remains stops at 0."""

        def left(value: float | None) -> float | None:
            return None if value is None else max(0.0, value - session_s)

        elapsed = None if self.elapsed_s is None else self.elapsed_s + session_s
        return Progress(
            elapsed,
            left(self.phase_remaining_s),
            left(self.remaining_s),
            left(self.next_cue_in_s),
        )


def room_state(
    room: RoomPreset,
    memory: RoomMemory,
    speed: float,
    now: float,
    manual: Mapping[str, LightLevel],
    journal_error: str | None,
    pending: PendingViews,
) -> RoomState:
    """Return the room's state at wall time `now`.

    `manual` holds the levels lights keep because set by hand; `journal_error` what keeps
    the journal from recording, if anything; `pending` the room's pending cues' views.
    """
    shown = {
        name: DeviceState(
            online=online, manual=light_fields(manual[name]) if name in manual else None
        )
        for name, online in memory.health.items()
    }
    journal = None if journal_error is None else JournalProblem(error=journal_error)
    session, status = memory.session, memory.status
    if session is None:
        return RoomState(
            room=room.id, site=room.site, status=status, devices=shown, journal=journal
        )
    tau = session.clock.session_time(now)
    timeline = session.timeline(room)
    # After the session (an emergency called once it ended included) no phase is current.
    over = status == "ended" or (status == "emergency" and not session.emergency)
    phase = None if over else timeline.phase_at(tau)
    # The first cue not yet fired (in session time), for staff to see what comes next.
    cues = () if over else timeline.cues.cues
    cue = next((c for c in cues if c.at > memory.cues_until), None)
    next_cue = None
    if cue is not None:
        next_cue = NextCue(
            id=cue.cue_id,
            notify=cue.text,
            phase=cue.phase_name,
            at_s=round(cue.at, 1),
            in_s=round(max(0.0, cue.at - tau), 1),
        )
    remaining = 0.0 if over else timeline.remaining(tau)
    # Whole seconds of the exact sum: the same instant in every state until the plan changes.
    ends_at = iso_timestamp(round(now + remaining / speed)) if status == "running" else None
    return RoomState(
        room=room.id,
        site=room.site,
        status=status,
        profile=session.profile_id,
        session_id=session.session_id,
        phase=phase.name if phase else None,
        phase_index=phase.index if phase else None,
        phase_count=len(session.profile.phases),
        elapsed_s=tau,
        phase_remaining_s=phase.remaining_in_phase if phase else None,
        remaining_s=remaining,
        paused_by=session.paused_by,
        devices=shown,
        phases=list(
            phase_spans(tuple(p.name for p in session.profile.phases), session.plan.bounds)
        ),
        speed=speed,
        next_cue=next_cue,
        pending_cues=pending.of(session),
        ends_at=ends_at,
        journal=journal,
    )


@lru_cache(maxsize=PHASE_SPANS_KEPT)
def phase_spans(names: tuple[str, ...], bounds: tuple[float, ...]) -> tuple[PhaseSpan, ...]:
    """Return each phase's planned start and end as the state shows them (one per plan)."""
    return tuple(
        PhaseSpan(name=name, start_s=round(bounds[i], 1), end_s=round(bounds[i + 1], 1))
        for i, name in enumerate(names)
    )
