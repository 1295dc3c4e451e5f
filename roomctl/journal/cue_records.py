"""A session's cues as its record shows them: fired when, late or not, acknowledged by whom."""

from __future__ import annotations

from dataclasses import dataclass, replace

from roomctl import api
from roomctl.logs import clean

# A cue fired this long after its time is reported late: a wake is milliseconds late, a
# busy machine a second at most; later means the room was not there to fire it.
CUE_LATE_S = 2.0
NOT_GIVEN = "(not given)"
NOT_ACKNOWLEDGED = "not acknowledged"


@dataclass(frozen=True)
class CueRecord:
    """One cue: when it fired, when it was due, how late, and when and by whom acknowledged."""

    at: str
    phase: str
    text: str
    due_s: float | None
    late_s: float | None
    note: str
    cue_id: str | None = None
    acknowledged: str | None = None  # when, or None: not acknowledged
    acknowledged_by: str | None = None
    acknowledged_after_s: float | None = None  # wall seconds from firing to the ack

    def acknowledgement(self) -> str:
        """Say when, by whom and how long after it fired the cue was acknowledged, or not."""
        if self.acknowledged is None:
            return NOT_ACKNOWLEDGED
        return (
            f"{self.acknowledged} by {self.acknowledged_by or NOT_GIVEN},"
            f" after {self.acknowledged_after_s:.1f} s"
        )


def fired(cue: api.Cue, ts: float, recoveries: list[float], when: str) -> CueRecord:
    """Return the record of a cue that fired at `ts`, late if it was, and why."""
    note = ""
    if cue.late_s >= CUE_LATE_S:
        down = any(ts - cue.late_s <= t <= ts for t in recoveries)
        note = f"late by {cue.late_s:.0f} s" + (" (daemon was down)" if down else "")
    cue_id = clean(cue.cue_id) if cue.cue_id is not None else None
    return CueRecord(when, clean(cue.phase), clean(cue.notify), cue.at_s, cue.late_s, note, cue_id)


def acknowledged(cues: list[CueRecord], ack: api.CueAcknowledged, when: str) -> None:
    """Mark the latest cue with the ack's id, not yet acknowledged, as acknowledged."""
    for index in range(len(cues) - 1, -1, -1):
        cue = cues[index]
        if cue.cue_id == clean(ack.cue_id) and cue.acknowledged is None:
            by = clean(ack.by) if ack.by else None
            cues[index] = replace(
                cue, acknowledged=when, acknowledged_by=by, acknowledged_after_s=ack.after_s
            )
            return
