"""The AsyncAPI 3.0 document of roomctl's MQTT API, generated from the api types.

Operations are the daemon's: it receives commands and sends replies, state, availability
and events. Each payload's schema is its model's JSON schema, its `$defs` moved into
`components/schemas`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from roomctl import __version__
from roomctl.api import home_assistant
from roomctl.api.catalog import Catalog
from roomctl.api.command_types import (
    AckCommand,
    EmergencyCommand,
    ExtendCommand,
    HistoryCommand,
    NextCommand,
    PauseCommand,
    ReleaseCommand,
    ReportCommand,
    ResumeCommand,
    StartCommand,
    StopCommand,
)
from roomctl.api.events import EVENT_TYPES
from roomctl.api.replies import HistoryReply, Reply, ReportReply
from roomctl.api.state import OFFLINE, ONLINE, RoomState
from roomctl.api.topics import PREFIX, REPLIES_PREFIX

ASYNCAPI_VERSION = "3.0.0"
# The version of the MQTT bindings (github.com/asyncapi/bindings/mqtt) the document uses.
MQTT_BINDING_VERSION = "0.2.0"
_REF = "#/components/schemas/{model}"
COMMANDS: tuple[type[BaseModel], ...] = (
    StartCommand,
    PauseCommand,
    ResumeCommand,
    StopCommand,
    NextCommand,
    ExtendCommand,
    EmergencyCommand,
    ReleaseCommand,
    AckCommand,
    HistoryCommand,
    ReportCommand,
)
# Every reply on roomctl/R/reply: to a command (or a refused query), and to the queries.
REPLIES: tuple[type[BaseModel], ...] = (Reply, HistoryReply, ReportReply)
_ROOM = {"room": {"$ref": "#/components/parameters/room"}}
# What each topic is, in the README's words; the address and its direction go with it.
_CHANNELS: dict[str, tuple[str, str]] = {
    "cmd": (f"{PREFIX}/{{room}}/cmd", "JSON commands, at most 64 KiB; never retained."),
    "emergency": (
        f"{PREFIX}/{{room}}/emergency",
        "Emergencies only, served on a connection of their own ahead of anything on cmd.",
    ),
    "reply": (f"{PREFIX}/{{room}}/reply", "One reply per command, also to a malformed one."),
    "responseTopic": (
        f"{REPLIES_PREFIX}{{client}}",
        "A command's MQTT v5 response topic, with its correlation data: only under "
        f"{REPLIES_PREFIX}<client id>/, never with '+', '#' or NUL, at most 256 characters.",
    ),
    "state": (f"{PREFIX}/{{room}}/state", "The room's state, retained."),
    "availability": (
        f"{PREFIX}/{{room}}/availability",
        f"'{ONLINE}' or '{OFFLINE}', retained; '{OFFLINE}' is also the daemon's last will.",
    ),
    "events": (f"{PREFIX}/{{room}}/events", "One JSON object per event."),
    "catalog": (
        f"{PREFIX}/{{room}}/catalog",
        "The profiles that fit the room, with their plans as level points, retained.",
    ),
}
_PARAMETERS = {
    "room": {"description": "the room's id: a-z, 0-9 and '-'", "examples": ["room-1"]},
    "client": {
        "description": "the client's id, then any levels it likes",
        "examples": ["console-1/a1"],
    },
}
_TEXT_PAYLOADS: dict[str, dict[str, Any]] = {
    "Availability": {"type": "string", "enum": [ONLINE, OFFLINE]},
    "ClearRetainedCommand": {
        "type": "string",
        "maxLength": 0,
        "description": "empty: deletes a retained command so no restart runs it",
    },
}


def asyncapi_document() -> dict[str, Any]:
    """Return the AsyncAPI 3.0.0 document of every roomctl topic and payload."""
    schemas: dict[str, Any] = dict(_TEXT_PAYLOADS)
    messages: dict[str, Any] = {}
    models: tuple[type[BaseModel], ...] = (*COMMANDS, *REPLIES, RoomState, *EVENT_TYPES, Catalog)
    for model in models:
        _add_schema(schemas, model)
        messages[model.__name__] = _message(model)
    for name in _TEXT_PAYLOADS:
        messages[name] = {
            "name": name,
            "contentType": "text/plain",
            "payload": {"$ref": _REF.format(model=name)},
        }
    commands = {_action(m): _ref_message(m.__name__) for m in COMMANDS}
    events = {e.model_fields["type"].default: _ref_message(e.__name__) for e in EVENT_TYPES}
    replies = {_reply_key(m): _ref_message(m.__name__) for m in REPLIES}
    channel_messages: dict[str, dict[str, Any]] = {
        "cmd": {**commands, "clearRetained": _ref_message("ClearRetainedCommand")},
        "emergency": {"emergency": _ref_message(EmergencyCommand.__name__)},
        "reply": replies,
        "responseTopic": replies,
        "state": {"state": _ref_message(RoomState.__name__)},
        "availability": {"availability": _ref_message("Availability")},
        "events": events,
        "catalog": {"catalog": _ref_message(Catalog.__name__)},
    }
    channels = {
        key: {
            "address": address,
            "description": description,
            "parameters": {"client": {"$ref": "#/components/parameters/client"}}
            if key == "responseTopic"
            else _ROOM,
            "messages": channel_messages[key],
        }
        for key, (address, description) in _CHANNELS.items()
    }
    channels |= home_assistant.channels()
    schemas |= home_assistant.SCHEMAS
    messages |= home_assistant.messages()
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "roomctl",
            "version": __version__,
            "description": "The MQTT API of a roomctl daemon: one set of topics per room.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": _operations(channel_messages) | home_assistant.operations(),
        "components": {
            "schemas": schemas,
            "messages": messages,
            "parameters": _PARAMETERS | home_assistant.PARAMETERS,
        },
    }


def _operations(channel_messages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return what the daemon does on each channel: receive commands, send the rest."""

    def operation(
        action: str,
        channel: str,
        summary: str,
        qos: int,
        retain: bool = False,
        only: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        names = only or tuple(channel_messages[channel])
        body: dict[str, Any] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": summary,
            "messages": [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in names],
            "bindings": {
                "mqtt": {"qos": qos, "retain": retain, "bindingVersion": MQTT_BINDING_VERSION}
            },
        }
        return body

    def answer(*names: str) -> dict[str, Any]:
        return {
            "channel": {"$ref": "#/channels/reply"},
            "messages": [{"$ref": f"#/channels/reply/messages/{n}"} for n in names],
        }

    commands = tuple(name for name in channel_messages["cmd"] if name != "clearRetained")
    return {
        "receiveCommand": {
            **operation("receive", "cmd", "Take a command or a record query.", 0, only=commands),
            "reply": answer(*channel_messages["reply"]),
        },
        "receiveEmergency": {
            **operation("receive", "emergency", "Take an emergency ahead of everything.", 0),
            "reply": answer("reply"),
        },
        "clearRetainedCommand": operation(
            "send", "cmd", "Delete a retained command.", 1, True, ("clearRetained",)
        ),
        "sendReply": operation("send", "reply", "Answer a command (refusals at QoS 0).", 1),
        "sendReplyToResponseTopic": operation(
            "send", "responseTopic", "Answer a command on its MQTT v5 response topic.", 1
        ),
        "sendState": operation("send", "state", "Publish the state on every change.", 1, True),
        "sendAvailability": operation(
            "send", "availability", "Say the daemon is online or offline.", 1, True
        ),
        "sendEvent": operation("send", "events", "Publish an event (refusals at QoS 0).", 1),
        "sendCatalog": operation(
            "send", "catalog", "Publish the catalog at start and when the profiles change.", 1, True
        ),
    }


def _reply_key(model: type[BaseModel]) -> str:
    """Return a reply's message key on its channels: `reply`, `historyReply`, `reportReply`."""
    name = model.__name__
    return name[0].lower() + name[1:]


def _action(model: type[BaseModel]) -> str:
    return str(model.model_fields["action"].default)


def _ref_message(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/messages/{name}"}


def _message(model: type[BaseModel]) -> dict[str, Any]:
    """Return a model's message: its name, summary, payload and the schema's examples."""
    summary = (model.__doc__ or model.__name__).strip().splitlines()[0]
    message: dict[str, Any] = {
        "name": model.__name__,
        "summary": summary,
        "payload": {"$ref": _REF.format(model=model.__name__)},
    }
    examples = model.model_json_schema().get("examples", [])
    if examples:
        message["examples"] = [{"payload": example} for example in examples]
    return message


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    """Add a model's schema and those it refers to, in draft-07 terms, to `schemas`."""
    schema = _draft07(model.model_json_schema(ref_template=_REF))
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema


def _draft07(schema: Any) -> Any:
    """Return a schema with tuples in draft-07 form (`items` as a list, not `prefixItems`)."""
    if isinstance(schema, list):
        return [_draft07(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    renamed = {("items" if key == "prefixItems" else key): value for key, value in schema.items()}
    return {key: _draft07(value) for key, value in renamed.items()}
