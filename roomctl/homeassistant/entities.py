"""The entities a room shows in Home Assistant: each a component of its discovery config.

Sensors read the retained state through value templates that need nothing of Home
Assistant's own template functions (plain Jinja2 with `value_json`): a template that
renders `None` leaves the entity unknown, as Home Assistant reads that word.
"""

from __future__ import annotations

import json
from typing import Any, Final, get_args

from roomctl.api.state import Status
from roomctl.api.topics import RoomTopics
from roomctl.models import RoomPreset

# Who Home Assistant's commands come from, in the journal and the report.
OPERATOR: Final = "home-assistant"
# What the extend button adds: the "extend by 5 minutes".
EXTEND_BY: Final = "5m"
# What the start button sends; Home Assistant's own default for a button.
PRESS: Final = "PRESS"
# The events an automation can trigger on: cues and the course of a session.
EVENT_TYPES: Final = (
    "cue",
    "cue_acknowledged",
    "phase_started",
    "session_started",
    "session_ended",
    "emergency",
    "released",
)
# A sensor's state is at most 255 characters in Home Assistant; a cue's text may be longer.
MAX_STATE_CHARS: Final = 255

Component = dict[str, Any]

_STATUS = "{{ value_json.status }}"
_PROFILE = "{{ value_json.profile }}"
_PHASE = "{{ value_json.phase }}"
_ENDS_AT = "{{ value_json.get('ends_at') }}"
_TIME_LEFT = (
    "{{ value_json.remaining_s | round | int if value_json.remaining_s is not none else None }}"
)
_CUT = f"[:{MAX_STATE_CHARS}]"
_NEXT_CUE = "{{ value_json.next_cue.notify" + _CUT + " if value_json.next_cue else None }}"
_NEXT_CUE_ATTRIBUTES = "{{ (value_json.next_cue or {}) | tojson }}"
_PENDING_CUE = (
    "{{ value_json.pending_cues[0].notify" + _CUT + " if value_json.pending_cues else None }}"
)
_PENDING_ATTRIBUTES = (
    "{{ {'count': value_json.pending_cues | length, 'cues': value_json.pending_cues} | tojson }}"
)
_EMERGENCY = "{{ 'ON' if value_json.status == 'emergency' else 'OFF' }}"
_JOURNAL_PROBLEM = "{{ 'ON' if value_json.get('journal') else 'OFF' }}"
_JOURNAL_ATTRIBUTES = "{{ {'error': (value_json.get('journal') or {}).get('error')} | tojson }}"
_EVENT_TYPES_LIST = json.dumps(list(EVENT_TYPES))
_EVENT = (
    "{% if value_json.type in " + _EVENT_TYPES_LIST + " %}"
    "{{ dict(value_json, event_type=value_json.type) | tojson }}{% endif %}"
)


def device_id(room_id: str, site: str | None = None) -> str:
    """Return the room's device id: `roomctl_<room>`, or `roomctl_<site>_<room>` with a site.

    Room ids repeat between sites; a site's name (one topic level) makes the id unique in
    a Home Assistant that sees several sites, and a room without one keeps its old id.
    """
    return f"roomctl_{room_id}" if site is None else f"roomctl_{site}_{room_id}"


def _device_online(name: str) -> str:
    """Return the template of a device's connectivity: unknown until it has been heard from."""
    return (
        "{% set d = value_json.devices.get(" + json.dumps(name) + ") %}"
        "{{ None if d is none or d.online is none else ('ON' if d.online else 'OFF') }}"
    )


def entities(room: RoomPreset, profiles: list[str]) -> dict[str, Component]:
    """Return the room's components by key; the profile select only when a profile fits."""
    topics = RoomTopics(room.id)
    found: dict[str, Component] = {**_sensors(topics), **_buttons(topics)}
    if profiles:
        found["profile_choice"] = {
            "platform": "select",
            "name": "Profile to start",
            "icon": "mdi:playlist-play",
            "command_topic": topics.ha_profile,
            "state_topic": topics.ha_profile,
            "retain": True,
            "options": profiles,
        }
        found["start_selected"] = _button(topics.ha_start, "Start selected profile", PRESS)
        found["start_selected"]["icon"] = "mdi:play"
    found["room_event"] = {
        "platform": "event",
        "name": "Session event",
        "state_topic": topics.events,
        "event_types": list(EVENT_TYPES),
        "value_template": _EVENT,
    }
    for name in (*room.lights(), *room.speakers()):
        found[f"device_{name}"] = {
            "platform": "binary_sensor",
            "name": name,
            "device_class": "connectivity",
            "entity_category": "diagnostic",
            "state_topic": topics.state,
            "value_template": _device_online(name),
        }
    device = device_id(room.id, room.site)
    return {key: _identified(device, topics, key, body) for key, body in found.items()}


def _identified(device: str, topics: RoomTopics, key: str, body: Component) -> Component:
    """Return a component with its unique id (device id and key) and the room's availability."""
    return {
        **body,
        "unique_id": f"{device}_{key}",
        "availability_topic": topics.availability,
        "qos": 1,
    }


def _sensors(topics: RoomTopics) -> dict[str, Component]:
    """Return the state's sensors and binary sensors."""

    def sensor(name: str, template: str, **extra: Any) -> Component:
        return {
            "platform": "sensor",
            "name": name,
            "state_topic": topics.state,
            "value_template": template,
            **extra,
        }

    state_attributes = {"json_attributes_topic": topics.state}
    return {
        "status": sensor(
            "Status", _STATUS, device_class="enum", options=list(get_args(Status)), icon="mdi:door"
        ),
        "profile": sensor("Profile", _PROFILE, icon="mdi:playlist-music"),
        "phase": sensor("Phase", _PHASE, icon="mdi:progress-clock"),
        "ends_at": sensor("Session ends at", _ENDS_AT, device_class="timestamp"),
        "time_left": sensor(
            "Time left", _TIME_LEFT, device_class="duration", unit_of_measurement="s"
        ),
        "next_cue": sensor(
            "Next cue",
            _NEXT_CUE,
            icon="mdi:bell-outline",
            json_attributes_template=_NEXT_CUE_ATTRIBUTES,
            **state_attributes,
        ),
        "pending_cue": sensor(
            "Pending cue",
            _PENDING_CUE,
            icon="mdi:bell-ring",
            json_attributes_template=_PENDING_ATTRIBUTES,
            **state_attributes,
        ),
        "emergency_on": {
            "platform": "binary_sensor",
            "name": "Emergency",
            "device_class": "safety",
            "state_topic": topics.state,
            "value_template": _EMERGENCY,
        },
        "journal": {
            "platform": "binary_sensor",
            "name": "Journal",
            "device_class": "problem",
            "entity_category": "diagnostic",
            "state_topic": topics.state,
            "value_template": _JOURNAL_PROBLEM,
            "json_attributes_template": _JOURNAL_ATTRIBUTES,
            **state_attributes,
        },
    }


def _command(action: str, **fields: str) -> str:
    """Return a command's payload as Home Assistant sends it, with its operator."""
    return json.dumps({"action": action, **fields, "operator": OPERATOR}, separators=(",", ":"))


def _button(topic: str, name: str, payload: str) -> Component:
    return {"platform": "button", "name": name, "command_topic": topic, "payload_press": payload}


def _buttons(topics: RoomTopics) -> dict[str, Component]:
    """Return the room's command buttons: each sends one command, the emergency its own way."""
    icons = {
        "pause": ("Pause", "mdi:pause"),
        "resume": ("Resume", "mdi:play-pause"),
        "next": ("Next phase", "mdi:skip-next"),
        "stop": ("Stop", "mdi:stop"),
        "release": ("Release emergency", "mdi:alarm-light-off"),
    }
    buttons: dict[str, Component] = {}
    for action, (name, icon) in icons.items():
        buttons[action] = {**_button(topics.cmd, name, _command(action)), "icon": icon}
    buttons["emergency"] = {
        **_button(topics.emergency, "Emergency", _command("emergency")),
        "icon": "mdi:alarm-light",
    }
    buttons["extend"] = {
        **_button(topics.cmd, "Extend 5 minutes", _command("extend", by=EXTEND_BY)),
        "icon": "mdi:timer-plus",
    }
    buttons["ack"] = {
        **_button(topics.cmd, "Acknowledge cue", _command("ack")),
        "icon": "mdi:bell-check",
    }
    return buttons
