"""The pure core: levels, easing, the timeline, and the room's state machine.

Nothing here does I/O: every module is a function of the values passed in (and an
explicit clock). The room's state machine is `RoomCore`: inputs in, effects out.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# The names load on first use: the models import core.easing, and the room's modules
# import the models, so loading them here at once would make an import cycle.
_HOME = {
    "ACTIVE": "roomctl.core.room_step",
    "Accept": "roomctl.core.room_effects",
    "BrokerConnected": "roomctl.core.room_inputs",
    "CommandIn": "roomctl.core.room_inputs",
    "CoreInput": "roomctl.core.room_inputs",
    "Decision": "roomctl.core.room_effects",
    "DeviceSeen": "roomctl.core.room_inputs",
    "EMERGENCY_REPEAT_S": "roomctl.core.room_commands",
    "Effect": "roomctl.core.room_effects",
    "Emit": "roomctl.core.room_effects",
    "FreezeLights": "roomctl.core.room_effects",
    "HealthRecordLimit": "roomctl.core.record_budget",
    "Heartbeat": "roomctl.core.room_inputs",
    "HoldSound": "roomctl.core.room_effects",
    "JumpLights": "roomctl.core.room_effects",
    "KeepSnapshot": "roomctl.core.room_effects",
    "LightCameBack": "roomctl.core.room_effects",
    "LightReported": "roomctl.core.room_inputs",
    "LightRestored": "roomctl.core.room_inputs",
    "LightSetByHand": "roomctl.core.room_inputs",
    "Log": "roomctl.core.room_effects",
    "OVERTAKEN": "roomctl.core.room_commands",
    "PlayLights": "roomctl.core.room_effects",
    "PlaySound": "roomctl.core.room_effects",
    "PreloadSound": "roomctl.core.room_effects",
    "Progress": "roomctl.core.room_view",
    "PublishState": "roomctl.core.room_effects",
    "RECORD_CAP": "roomctl.core.record_budget",
    "RECORD_WINDOW_S": "roomctl.core.record_budget",
    "REFUSAL_RECORD_CAP": "roomctl.core.room_step",
    "RELEASE_FADE_S": "roomctl.core.room_course",
    "ReapplyLights": "roomctl.core.room_effects",
    "ReapplySound": "roomctl.core.room_effects",
    "Recover": "roomctl.core.room_inputs",
    "Refuse": "roomctl.core.room_effects",
    "RoomCore": "roomctl.core.room",
    "RoomMemory": "roomctl.core.room_step",
    "SCENE_FADE_S": "roomctl.core.room_course",
    "SNAPSHOT_VERSION": "roomctl.core.room_snapshot",
    "STOP_FADE_S": "roomctl.core.room_course",
    "STOP_IN_EMERGENCY": "roomctl.core.room_commands",
    "SceneDue": "roomctl.core.room_inputs",
    "Session": "roomctl.core.room_session",
    "Shutdown": "roomctl.core.room_inputs",
    "SilenceSound": "roomctl.core.room_effects",
    "Unrecorded": "roomctl.core.record_budget",
    "Wake": "roomctl.core.room_inputs",
    "light_fields": "roomctl.core.room_step",
    "restore_session": "roomctl.core.room_snapshot",
    "room_state": "roomctl.core.room_view",
    "session_snapshot": "roomctl.core.room_snapshot",
}

if TYPE_CHECKING:
    from roomctl.core.record_budget import (
        RECORD_CAP,
        RECORD_WINDOW_S,
        HealthRecordLimit,
        Unrecorded,
    )
    from roomctl.core.room import RoomCore
    from roomctl.core.room_commands import EMERGENCY_REPEAT_S, OVERTAKEN, STOP_IN_EMERGENCY
    from roomctl.core.room_course import RELEASE_FADE_S, SCENE_FADE_S, STOP_FADE_S
    from roomctl.core.room_effects import (
        Accept,
        Decision,
        Effect,
        Emit,
        FreezeLights,
        HoldSound,
        JumpLights,
        KeepSnapshot,
        LightCameBack,
        Log,
        PlayLights,
        PlaySound,
        PreloadSound,
        PublishState,
        ReapplyLights,
        ReapplySound,
        Refuse,
        SilenceSound,
    )
    from roomctl.core.room_inputs import (
        BrokerConnected,
        CommandIn,
        CoreInput,
        DeviceSeen,
        Heartbeat,
        LightReported,
        LightRestored,
        LightSetByHand,
        Recover,
        SceneDue,
        Shutdown,
        Wake,
    )
    from roomctl.core.room_session import Session
    from roomctl.core.room_snapshot import SNAPSHOT_VERSION, restore_session, session_snapshot
    from roomctl.core.room_step import ACTIVE, REFUSAL_RECORD_CAP, RoomMemory, light_fields
    from roomctl.core.room_view import Progress, room_state


def __getattr__(name: str) -> object:
    """Load a public name of the core from its module on first use."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "ACTIVE",
    "EMERGENCY_REPEAT_S",
    "OVERTAKEN",
    "RECORD_CAP",
    "RECORD_WINDOW_S",
    "REFUSAL_RECORD_CAP",
    "RELEASE_FADE_S",
    "SCENE_FADE_S",
    "SNAPSHOT_VERSION",
    "STOP_FADE_S",
    "STOP_IN_EMERGENCY",
    "Accept",
    "BrokerConnected",
    "CommandIn",
    "CoreInput",
    "Decision",
    "DeviceSeen",
    "Effect",
    "Emit",
    "FreezeLights",
    "HealthRecordLimit",
    "Heartbeat",
    "HoldSound",
    "JumpLights",
    "KeepSnapshot",
    "LightCameBack",
    "LightReported",
    "LightRestored",
    "LightSetByHand",
    "Log",
    "PlayLights",
    "PlaySound",
    "PreloadSound",
    "Progress",
    "PublishState",
    "ReapplyLights",
    "ReapplySound",
    "Recover",
    "Refuse",
    "RoomCore",
    "RoomMemory",
    "SceneDue",
    "Session",
    "Shutdown",
    "SilenceSound",
    "Unrecorded",
    "Wake",
    "light_fields",
    "restore_session",
    "room_state",
    "session_snapshot",
]
