"""Tell what a light's report means: our own echo, a power cycle, or a change made by hand."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from roomctl.core.levels import LightLevel
from roomctl.devices.base import Capabilities

# A report that arrives this soon after roomctl sent the light a command may show that
# command half done: a Tasmota Backlog runs its commands 200 ms apart (0.8 s for five)
# and answers each; WLED holds its echo up to a second; Wi-Fi and the broker add more.
ECHO_GRACE_S = 3.0
# Reports this soon after a light came back (availability online, a Tasmota LWT, a
# zigbee2mqtt device announce) show the state it booted in, not a person's choice:
# Tasmota sends its state within seconds of connecting, zigbee2mqtt reads it at once.
RETURN_WINDOW_S = 10.0
# A brightness within this much of what roomctl sent is the same level: a device rounds
# to its own units (Tasmota 1 %, Zigbee 1/254) and a report may be a unit off.
BRIGHTNESS_TOLERANCE = 0.02
# A colour temperature within this share of the light's mireds range is the same: lights
# clamp and round it (Tasmota to whole CT steps, WLED to its own CCT scale).
MIREDS_TOLERANCE = 0.05


class Verdict(Enum):
    """What a light's report says about it."""

    AS_SET = "as_set"  # it shows what roomctl set, or roomctl has set nothing to compare
    ECHO = "echo"  # a command of roomctl's is in flight: the report may show it half done
    POWER_CYCLE = "power_cycle"  # it lost what roomctl set: re-apply the session's level
    MANUAL = "manual"  # someone set it at the light: keep it, within the room's limits


@dataclass(frozen=True, slots=True)
class LightMemory:
    """What roomctl knows of a light to judge its report."""

    sent: LightLevel | None  # the level last commanded, None before any
    sent_at: float  # when that command went out (-inf before any)
    pending: bool  # a command waits in the network's queue
    returned_at: float  # when the light last came back (-inf if never seen to)
    moving: bool  # a fade of roomctl's is running on it


def judge(
    report: LightLevel,
    memory: LightMemory,
    now: float,
    caps: Capabilities,
    *,
    in_session: bool,
) -> Verdict:
    """Return what `report` means, given what roomctl last set and when.

    A report while roomctl's command is in flight is its echo. One that shows what was
    set is as set. Otherwise, soon after the light came back it shows the light's boot
    state: a power cycle. Off while a session wants it on (no command of ours in flight)
    is taken for lost power too, for every light: one without availability can tell it no
    other way, and a light switched off by hand would be below the room's limits anyway.
    A difference while roomctl's fade runs is left to the fade. Anything else was set by
    hand.
    """
    sent = memory.sent
    if memory.pending or now - memory.sent_at < ECHO_GRACE_S:
        return Verdict.ECHO
    if sent is None or looks_same(report, sent, caps):
        return Verdict.AS_SET
    if now - memory.returned_at < RETURN_WINDOW_S:
        return Verdict.POWER_CYCLE
    if sent.on and not report.on and in_session:
        return Verdict.POWER_CYCLE
    if memory.moving:
        return Verdict.AS_SET
    return Verdict.MANUAL


def looks_same(report: LightLevel, sent: LightLevel, caps: Capabilities) -> bool:
    """Tell whether a light reporting `report` shows `sent`, to its rounding.

    Colour is left out: reports turn it through xy or hue/saturation, which no tolerance
    tells from a change; on/off, brightness and colour temperature decide.
    """
    if report.on != sent.on:
        return False
    if not sent.on:
        return True
    if caps.brightness and abs(report.brightness - sent.brightness) > BRIGHTNESS_TOLERANCE:
        return False
    if report.mireds is not None and sent.mireds is not None and caps.color_temp:
        span = caps.mireds_range[1] - caps.mireds_range[0]
        return abs(report.mireds - sent.mireds) / span <= MIREDS_TOLERANCE
    return True


def within_limits(level: LightLevel, floor: float) -> LightLevel:
    """Return a level set by hand as the room keeps it in a session: on, at least `floor`."""
    if level.on and level.brightness >= floor:
        return level
    return LightLevel(True, max(floor, level.brightness), level.mireds, level.color)


def level_fields(level: LightLevel) -> dict[str, object]:
    """Return a level as the events and the state show it: on, brightness, mireds or colour."""
    fields: dict[str, object] = {"on": level.on, "brightness": round(level.brightness, 3)}
    if level.mireds is not None:
        fields["mireds"] = round(level.mireds)
    if level.color is not None:
        fields["color"] = [round(c) for c in level.color]
    return fields
