"""No late commands: how long a sender waits, when a command expires, how old one may be.

A command may carry `sent_at`, the sender's wall time (UTC). The daemon refuses one older
than `MAX_COMMAND_AGE_S` or more than `CLOCK_SKEW_S` in its future; the brokers on the way
drop one older than `COMMAND_EXPIRY_S` (MQTT v5 message expiry, a count-down that needs no
clocks and is carried across Mosquitto's v5 bridges). An emergency is never refused for
its age: see `age_refusal`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

# A daemon answers within milliseconds; 5 s allows a loaded broker and a slow network
# while still telling a supervisor quickly that nobody is answering.
REPLY_TIMEOUT_S = 5.0
# MQTT v5 message expiry on every command a roomctl client sends (whole seconds): a little
# above the sender's wait, so a command in flight when the sender gives up is dropped by
# the brokers soon after, never delivered minutes later when a link heals.
COMMAND_EXPIRY_S = math.ceil(REPLY_TIMEOUT_S) + 1
# How far two roomctl machines' clocks may differ. NTP keeps them within a few tens of
# milliseconds; 10 s still takes a machine whose time service has been down for days (a
# quartz clock drifts up to ~2 s a day) while keeping a late command's window short.
CLOCK_SKEW_S = 10.0
# The oldest a command may be when the daemon takes it: the sender's whole wait plus the
# clock skew. A command older than this was given up on by its sender ("no reply").
MAX_COMMAND_AGE_S = REPLY_TIMEOUT_S + CLOCK_SKEW_S
# Actions never refused for their age: an emergency (the room's safe state) that comes
# late costs one release; one refused because two clocks disagree leaves a room without
# its emergency light. Brokers still drop a stale one by its message expiry.
AGELESS_ACTIONS = frozenset({"emergency"})


def wire_time(moment: datetime) -> str:
    """Return a UTC time as commands carry it: ISO 8601 with milliseconds and Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_wire_time(text: str) -> datetime:
    """Return the UTC time in `sent_at`, or raise ValueError (it must name its zone)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("it has no time zone")
    return moment.astimezone(UTC)


def age_refusal(action: str, sent_at: datetime | None, now: datetime) -> str | None:
    """Return why a command sent at `sent_at` is refused when taken at `now`, or None."""
    if sent_at is None or action in AGELESS_ACTIONS:
        return None
    age = (now - sent_at).total_seconds()
    if age > MAX_COMMAND_AGE_S:
        return (
            f"{action} was sent {_seconds(age)} ago (at {wire_time(sent_at)}), later than"
            f" {MAX_COMMAND_AGE_S:g} s: not applied, as its sender gave up on it;"
            " send it again if it is still wanted (if it was sent just now, this room's"
            " clock and the sender's differ: check NTP on both)"
        )
    if -age > CLOCK_SKEW_S:
        return (
            f"{action} was sent at {wire_time(sent_at)}, {_seconds(-age)} ahead of this"
            f" room's clock (more than the {CLOCK_SKEW_S:g} s allowed): not applied;"
            " the sender's clock or this room's is wrong: check NTP on both"
        )
    return None


def _seconds(value: float) -> str:
    """Return a number of seconds as people read it: 42 s, 12 min 5 s."""
    whole = round(value)
    if whole < 120:
        return f"{value:.1f} s" if value < 60 else f"{whole} s"
    minutes, seconds = divmod(whole, 60)
    return f"{minutes} min {seconds} s"
