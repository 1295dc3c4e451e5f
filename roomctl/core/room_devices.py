"""Decide what device news means for the room: health changes, lights set by hand or restored."""

from __future__ import annotations

from roomctl.api.events import DeviceOffline, DeviceOnline, DeviceRestored, ManualChange
from roomctl.core.room_effects import LightCameBack, PublishState, ReapplyLights, ReapplySound
from roomctl.core.room_inputs import DeviceSeen, LightReported, LightRestored, LightSetByHand
from roomctl.core.room_step import Step, light_fields


def device_seen(step: Step, seen: DeviceSeen) -> None:
    """Note a device's health; a change is news, and a device back gets its levels again."""
    health, device, online = step.memory.health, seen.device, seen.online
    if device not in health:
        return
    if online and (seen.rejoined or health[device] is False):
        step.do(LightCameBack(device))  # its next reports show how it booted
    if health[device] == online:
        return
    first_contact = health[device] is None
    health[device] = online
    if not (online and first_contact):  # a device seen for the first time is no news
        reason = seen.reason or None
        event = DeviceOnline if online else DeviceOffline
        step.device_event(event(device=device, reason=reason))
    if online:
        step.do(ReapplyLights(device), ReapplySound(device))
    step.do(PublishState())


def light_reported(step: Step, report: LightReported) -> None:
    """Take a light's report as a sign of life where nothing else says it is online.

    That is a light without an availability signal, or one whose signal is not heard
    yet (zigbee2mqtt's availability is off unless configured).
    """
    health = step.memory.health.get(report.device, False)
    if report.device in step.memory.health and (health is None or not report.has_availability):
        device_seen(step, DeviceSeen(report.device, True))


def light_set_by_hand(step: Step, change: LightSetByHand) -> None:
    """Publish that a light was set by hand, and show the level the room keeps."""
    if change.device not in step.memory.health:
        return
    reported, kept = light_fields(change.reported), light_fields(change.kept)
    step.device_event(ManualChange(device=change.device, reported=reported, kept=kept))
    step.do(PublishState())


def light_restored(step: Step, restored: LightRestored) -> None:
    """Publish that a light came back from a power cycle and got its level again."""
    if restored.device not in step.memory.health:
        return
    step.device_event(
        DeviceRestored(device=restored.device, reported=light_fields(restored.reported))
    )
