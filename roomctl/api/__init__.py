"""The MQTT control API, typed: topics, commands in, replies, state and events out."""

from __future__ import annotations

from roomctl.api.commands import (
    ACTIONS,
    MAX_PAYLOAD_BYTES,
    Action,
    Command,
    CommandError,
    EmergencyCommand,
    ExtendCommand,
    NextCommand,
    PauseCommand,
    ReleaseCommand,
    ResumeCommand,
    StartCommand,
    StopCommand,
    parse_command,
    parse_inbound,
)
from roomctl.api.contract import ASYNCAPI_VERSION, asyncapi_document
from roomctl.api.events import (
    EVENT_TYPES,
    Event,
    EventType,
    event_fields,
    event_payload,
    read_event,
)
from roomctl.api.messages import Inbound, Message
from roomctl.api.replies import Reply, reply_payload
from roomctl.api.state import (
    OFFLINE,
    ONLINE,
    Availability,
    DeviceState,
    JournalProblem,
    LightLevelFields,
    NextCue,
    PhaseSpan,
    RoomState,
    Status,
)
from roomctl.api.topics import PREFIX, REPLIES_PREFIX, RoomTopics
from roomctl.api.wire import compact_json, iso_timestamp

__all__ = [
    "ACTIONS",
    "ASYNCAPI_VERSION",
    "EVENT_TYPES",
    "MAX_PAYLOAD_BYTES",
    "OFFLINE",
    "ONLINE",
    "PREFIX",
    "REPLIES_PREFIX",
    "Action",
    "Availability",
    "Command",
    "CommandError",
    "DeviceState",
    "EmergencyCommand",
    "Event",
    "EventType",
    "ExtendCommand",
    "Inbound",
    "JournalProblem",
    "LightLevelFields",
    "Message",
    "NextCommand",
    "NextCue",
    "PauseCommand",
    "PhaseSpan",
    "ReleaseCommand",
    "Reply",
    "ResumeCommand",
    "RoomState",
    "RoomTopics",
    "StartCommand",
    "Status",
    "StopCommand",
    "asyncapi_document",
    "compact_json",
    "event_fields",
    "event_payload",
    "iso_timestamp",
    "parse_command",
    "parse_inbound",
    "read_event",
    "reply_payload",
]
