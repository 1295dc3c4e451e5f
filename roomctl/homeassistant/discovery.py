"""A room's device-based MQTT discovery config: one retained message per room."""

from __future__ import annotations

import json
from typing import Any, Final

from roomctl import __version__
from roomctl.homeassistant.entities import device_id, entities
from roomctl.models import RoomPreset
from roomctl.models.home_assistant import DEFAULT_PREFIX

# What Home Assistant's device page says made the device.
MANUFACTURER: Final = "roomctl"
MODEL: Final = "Session room"
# The topic Home Assistant's MQTT integration says `online` on when it (re)starts.
STATUS_LEVEL: Final = "status"
ONLINE: Final = "online"


# Between a site and a room in the device's name ("north · room-1").
SITE_SEPARATOR: Final = " · "


def config_topic(room_id: str, prefix: str = DEFAULT_PREFIX, site: str | None = None) -> str:
    """Return the topic of the room's discovery config: `<prefix>/device/<id>/config`."""
    return f"{prefix}/device/{device_id(room_id, site)}/config"


def status_topic(prefix: str = DEFAULT_PREFIX) -> str:
    """Return the topic Home Assistant announces its own availability on."""
    return f"{prefix}/{STATUS_LEVEL}"


def discovery_config(room: RoomPreset, profiles: list[str]) -> dict[str, Any]:
    """Return the room's discovery config: its device, roomctl as origin, its components.

    `profiles` are the names of the room's catalog: the options of its profile select.
    """
    options = room.home_assistant
    support_url = options.support_url if options is not None else None
    origin: dict[str, str] = {"name": "roomctl", "sw": __version__}
    name = room.name or room.id
    device: dict[str, Any] = {
        "identifiers": [device_id(room.id, room.site)],
        "name": name if room.site is None else f"{room.site}{SITE_SEPARATOR}{name}",
        "manufacturer": MANUFACTURER,
        "model": MODEL,
        "model_id": room.id,
        "sw_version": __version__,
    }
    if support_url is not None:
        origin["url"] = support_url
        device["configuration_url"] = support_url
    return {"dev": device, "o": origin, "cmps": entities(room, profiles)}


def discovery_payload(room: RoomPreset, profiles: list[str]) -> str:
    """Return the discovery config as the JSON published, keys in a stable order."""
    return json.dumps(discovery_config(room, profiles), separators=(",", ":"))
