"""Lay out a room's state as the state topic shows it (pure: everything is passed in)."""

from __future__ import annotations

from roomctl.api.state import (
    DeviceState,
    JournalProblem,
    LightLevelFields,
    NextCue,
    PhaseSpan,
    RoomState,
    Status,
)
from roomctl.models import RoomPreset
from roomctl.runtime.session import Session


def room_state(
    room: RoomPreset,
    status: Status,
    session: Session | None,
    cues_until: float,
    speed: float,
    now: float,
    devices: dict[str, bool | None],
    manual: dict[str, LightLevelFields],
    journal_error: str | None,
) -> RoomState:
    """Return the room's state at wall time `now`; `journal_error` is the journal's problem."""
    shown = {name: DeviceState(online=on, manual=manual.get(name)) for name, on in devices.items()}
    journal = None if journal_error is None else JournalProblem(error=journal_error)
    if session is None:
        return RoomState(room=room.id, status=status, devices=shown, journal=journal)
    tau = session.clock.session_time(now)
    timeline = session.timeline(room)
    # After the session (an emergency called once it ended included) no phase is current.
    over = status == "ended" or (status == "emergency" and not session.emergency)
    phase = None if over else timeline.phase_at(tau)
    # The first cue not yet fired (in session time), for staff to see what comes next.
    cues = () if over else timeline.cues.cues
    cue = next((c for c in cues if c.at > cues_until), None)
    next_cue = None
    if cue is not None:
        next_cue = NextCue(
            notify=cue.text,
            phase=cue.phase_name,
            at_s=round(cue.at, 1),
            in_s=round(max(0.0, cue.at - tau), 1),
        )
    return RoomState(
        room=room.id,
        status=status,
        profile=session.profile_id,
        session_id=session.session_id,
        phase=phase.name if phase else None,
        phase_index=phase.index if phase else None,
        phase_count=len(session.profile.phases),
        elapsed_s=tau,
        phase_remaining_s=phase.remaining_in_phase if phase else None,
        remaining_s=0.0 if over else timeline.remaining(tau),
        paused_by=session.paused_by,
        devices=shown,
        phases=[
            PhaseSpan(
                name=p.name,
                start_s=round(session.plan.start_of(i), 1),
                end_s=round(session.plan.end_of(i), 1),
            )
            for i, p in enumerate(session.profile.phases)
        ],
        speed=speed,
        next_cue=next_cue,
        journal=journal,
    )
