"""Cues for staff: fire them, keep them pending, and take their acknowledgements."""

from __future__ import annotations

from roomctl.api.commands import AckCommand, CommandError
from roomctl.api.events import Cue, CueAcknowledged
from roomctl.api.state import PendingCue
from roomctl.api.wire import iso_timestamp
from roomctl.core.room_effects import PublishState
from roomctl.core.room_session import FiredCue, Session
from roomctl.core.room_step import Step
from roomctl.core.timeline import Timeline


def fire_cues(step: Step, timeline: Timeline, tau: float) -> None:
    """Fire the cues due since the last mark up to session time `tau`; each stays pending."""
    memory, session = step.memory, step.memory.session
    assert session is not None
    fired: list[FiredCue] = []
    for cue in timeline.cues_between(memory.cues_until, tau):
        late = round(tau - cue.at, 1)  # after a recovery a cue fires late: the record says so
        step.emit(
            Cue(cue_id=cue.cue_id, phase=cue.phase_name, notify=cue.text, at_s=cue.at, late_s=late)
        )
        fired.append(FiredCue(cue.cue_id, cue.phase_name, cue.text, cue.at, step.now))
    if fired:
        memory.session = session.with_pending((*session.pending, *fired))
        step.do(PublishState())  # the state lists them pending at once, not at the heartbeat
    memory.cues_until = max(memory.cues_until, tau)


def acknowledge(step: Step, command: AckCommand) -> None:
    """Take a pending cue off the list (the one named, else the oldest), or raise why not."""
    session = step.memory.session
    pending = () if session is None else session.pending
    if not pending:
        raise CommandError("no cue is pending", command.request_id)
    cue = pending[0]
    if command.cue is not None:
        named = [c for c in pending if c.cue_id == command.cue]
        if not named:
            raise CommandError(f"cue {command.cue} is not pending", command.request_id)
        cue = named[0]
    assert session is not None
    step.memory.session = session.with_pending(tuple(c for c in pending if c is not cue))
    step.emit(
        CueAcknowledged(
            cue_id=cue.cue_id,
            phase=cue.phase,
            notify=cue.notify,
            by=command.operator,
            after_s=round(step.now - cue.fired_wall, 1),
        )
    )


class PendingViews:
    """One room's pending cues as the state shows them, each cue's view made once.

    Every state message lists every pending cue; making each again (a payload model and
    its timestamp) was a fifth of a cue's turn with a dozen pending. Views are kept by
    the cue they show, as cues fire and are acknowledged.
    """

    def __init__(self) -> None:
        self._cues: tuple[FiredCue, ...] = ()
        self._views: list[PendingCue] = []

    def of(self, session: Session) -> list[PendingCue]:
        """Return the session's pending cues as the state shows them, oldest first."""
        # Ids are safe keys: self._cues keeps every cue they name alive.
        known = {id(cue): view for cue, view in zip(self._cues, self._views, strict=True)}
        views = [known.get(id(cue)) or _pending_cue(cue) for cue in session.pending]
        self._cues, self._views = session.pending, views
        return list(views)


def _pending_cue(cue: FiredCue) -> PendingCue:
    return PendingCue(
        id=cue.cue_id,
        notify=cue.notify,
        phase=cue.phase,
        at_s=round(cue.at, 1),
        fired_at=iso_timestamp(cue.fired_wall),
    )
