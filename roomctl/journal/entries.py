"""What a session's report says of each recorded event, read through the api's event types."""

from __future__ import annotations

from pydantic import ValidationError

from roomctl import api
from roomctl.journal.records import StoredEvent
from roomctl.logs import clean
from roomctl.models.units import format_duration


def _by(who: str | None) -> str:
    return f" by {clean(who)}" if who else ""


def incident(event: api.Event) -> str | None:
    """Return what a clinical incident says, or None for an event that is none."""
    match event:
        case api.DeviceOffline():
            return f"{clean(event.device)} offline {clean(event.reason or '')}"
        case api.DeviceOnline():
            return f"{clean(event.device)} back online"
        case api.Recovered():
            return f"daemon restarted; away {format_duration(event.away_s)}"
        case api.Extended():
            return f"phase extended by {format_duration(event.added_s)}{_by(event.by)}"
        case api.Skipped() | api.Stopped() | api.EmergencyStarted() | api.Released():
            what = "skipped to the next phase" if isinstance(event, api.Skipped) else event.type
            return f"{what}{_by(event.by)}"
    return None


def technical(event: api.Event) -> str | None:
    """Return what went wrong with the system (not the session), or None."""
    match event:
        case api.CommandRejected():
            return f"command refused: {clean(event.reason)}"
        case api.CommandsUnrecorded():
            return (
                f"{event.count} more refused commands not recorded one by one"
                f" (in {format_duration(event.window_s)})"
            )
    return None


def read_stored(event: StoredEvent) -> api.Event | None:
    """Return a stored event as its type, or None when this roomctl cannot read it."""
    try:
        return api.read_event(event.type, event.data)
    except ValidationError:
        return None
