"""The Home Assistant topics of the AsyncAPI document: discovery, its status, choice and start.

Home Assistant's buttons send the room's own commands (on `cmd` and `emergency`); only a
profile chosen in its select and the press that starts it need topics of their own, since
a button's payload is fixed and cannot carry the choice.
"""

from __future__ import annotations

from typing import Any

from roomctl.api.topics import PREFIX

# The MQTT bindings version of the whole document (contract.MQTT_BINDING_VERSION).
_BINDING = "0.2.0"
_ROOM = {"room": {"$ref": "#/components/parameters/room"}}
_PREFIX = {"prefix": {"$ref": "#/components/parameters/prefix"}}
_SITE = {"site": {"$ref": "#/components/parameters/site"}}
PARAMETERS: dict[str, Any] = {
    "prefix": {
        "description": "the room file's home_assistant.prefix (Home Assistant's default)",
        "examples": ["homeassistant"],
    },
    "site": {
        "description": "the daemon's site (`roomctl run --site`, or the room file's site:)",
        "examples": ["north"],
    },
}
SCHEMAS: dict[str, Any] = {
    "HomeAssistantChoice": {
        "type": "string",
        "pattern": "^[A-Za-z0-9_-]{0,64}$",
        "description": "a profile of the room's catalog, as Home Assistant's select sends it; "
        "empty clears it",
    },
    "HomeAssistantPress": {"type": "string", "enum": ["PRESS"]},
    "HomeAssistantStatus": {"type": "string", "enum": ["online", "offline"]},
    "HomeAssistantDiscovery": {
        "type": "object",
        "description": "Home Assistant's device-based discovery config: the room as a device "
        "(`dev`), roomctl as its origin (`o`) and its entities (`cmps`); see the README",
        "required": ["dev", "o", "cmps"],
        "properties": {
            "dev": {"type": "object", "required": ["identifiers", "name"]},
            "o": {"type": "object", "required": ["name"]},
            "cmps": {
                "type": "object",
                "additionalProperties": {"type": "object", "required": ["platform", "unique_id"]},
            },
        },
    },
    "HomeAssistantRemoval": {
        "type": "string",
        "maxLength": 0,
        "description": "empty: removes the device (roomctl ha-remove)",
    },
}
# Channel key: (address, description, its messages, parameters).
_CHANNELS: dict[str, tuple[str, str, tuple[str, ...], dict[str, Any]]] = {
    "haProfile": (
        f"{PREFIX}/{{room}}/ha/profile",
        "The profile chosen in Home Assistant's select, retained by it; choosing starts nothing.",
        ("HomeAssistantChoice",),
        _ROOM,
    ),
    "haStart": (
        f"{PREFIX}/{{room}}/ha/start",
        "Home Assistant's start button: starts the chosen profile as operator home-assistant; "
        "a retained press is ignored.",
        ("HomeAssistantPress",),
        _ROOM,
    ),
    "haDiscovery": (
        "{prefix}/device/roomctl_{room}/config",
        "The room's retained discovery config, for a room file with home_assistant.",
        ("HomeAssistantDiscovery", "HomeAssistantRemoval"),
        {**_PREFIX, **_ROOM},
    ),
    "haSiteDiscovery": (
        "{prefix}/device/roomctl_{site}_{room}/config",
        "The same for a room at a site: the site is in the device id and every unique_id.",
        ("HomeAssistantDiscovery", "HomeAssistantRemoval"),
        {**_PREFIX, **_SITE, **_ROOM},
    ),
    "haStatus": (
        "{prefix}/status",
        "Home Assistant's own availability: on `online` the daemon announces its rooms again.",
        ("HomeAssistantStatus",),
        _PREFIX,
    ),
}
# Operation: (action, channel, summary, qos, retain, messages or None for all).
_OPERATIONS: dict[str, tuple[str, str, str, int, bool]] = {
    "receiveHomeAssistantChoice": ("receive", "haProfile", "Remember the chosen profile.", 1, True),
    "receiveHomeAssistantStart": ("receive", "haStart", "Start the chosen profile.", 1, False),
    "sendHomeAssistantDiscovery": (
        "send",
        "haDiscovery",
        "Announce the room at start, when its catalog changes and when Home Assistant is online.",
        1,
        True,
    ),
    "sendHomeAssistantSiteDiscovery": (
        "send",
        "haSiteDiscovery",
        "Announce a room at a site, as sendHomeAssistantDiscovery does.",
        1,
        True,
    ),
    "receiveHomeAssistantStatus": ("receive", "haStatus", "Announce the rooms again.", 1, False),
}


def messages() -> dict[str, Any]:
    """Return the messages of the Home Assistant topics."""
    return {
        name: {"name": name, "payload": {"$ref": f"#/components/schemas/{name}"}}
        | ({} if name == "HomeAssistantDiscovery" else {"contentType": "text/plain"})
        for name in SCHEMAS
    }


def channels() -> dict[str, Any]:
    """Return the Home Assistant channels."""
    return {
        key: {
            "address": address,
            "description": description,
            "parameters": parameters,
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        }
        for key, (address, description, names, parameters) in _CHANNELS.items()
    }


def operations() -> dict[str, Any]:
    """Return what the daemon does on the Home Assistant channels."""
    found: dict[str, Any] = {}
    for key, (action, channel, summary, qos, retain) in _OPERATIONS.items():
        names = _CHANNELS[channel][2]
        found[key] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": summary,
            "messages": [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in names],
            "bindings": {"mqtt": {"qos": qos, "retain": retain, "bindingVersion": _BINDING}},
        }
    return found
