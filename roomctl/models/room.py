"""Room presets: a room's devices, groups, scenes, limits and calendar."""

from __future__ import annotations

from typing import Annotated

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator

from roomctl.api.sites import site_name_refusal
from roomctl.models.base import FrozenModel, Hint
from roomctl.models.devices import AudioSpec, DeviceSpec, LightSpec, LightType
from roomctl.models.home_assistant import HomeAssistantOptions
from roomctl.models.scene import Scene
from roomctl.models.units import Decibels, Fraction

ALL_TARGET = "all"
# The scenes every room has, each a top-level field of its own (defaults below).
BUILTIN_SCENES = ("standby", "emergency")
ROOM_ID_PATTERN = r"^[a-z0-9-]+$"
NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
ROOM_ID_HINT = Hint(
    mismatch="'{value}' is not a room id: use lowercase letters, digits and '-' (like room-1)"
)
# A device's `type` names its kind of device; the keys of `rates` name device networks.
DEVICE_TYPE_HINT = Hint(tag_kind="device type")
RATES_HINT = Hint(key_kind="network")

# Built from text, as a clinic would write them, so the units are parsed the same way.
DEFAULT_STANDBY = Scene.model_validate(
    {"lights": {ALL_TARGET: {"brightness": "40%", "color_temp": "3500K"}}, "sound": "off"}
)
DEFAULT_EMERGENCY = Scene.model_validate(
    {"lights": {ALL_TARGET: {"brightness": "100%", "color_temp": "4000K"}}, "sound": "off"}
)


class Limits(FrozenModel):
    """Safety limits that hold whatever a profile asks for."""

    min_brightness: Fraction = 0.0
    max_volume: Decibels = 0.0


class ScheduleEntry(FrozenModel):
    """A room scene applied on a cron calendar outside sessions."""

    cron: str
    scene: str = Field(min_length=1)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as error:
            raise ValueError(
                f"'{value}' is not a cron expression ({error}): write five fields, "
                'minute hour day month weekday, e.g. "0 8 * * mon-fri"'
            ) from None
        return value


class RoomPreset(FrozenModel):
    """A room as a clinic writes it in profiles/rooms/ROOM.yaml."""

    id: Annotated[str, Field(pattern=ROOM_ID_PATTERN), ROOM_ID_HINT]
    name: str = ""
    site: str | None = Field(
        default=None,
        description="The site the room is at, for a chain of sites (`roomctl run --site` wins).",
    )
    broker: str | None = None
    devices: dict[str, Annotated[DeviceSpec, DEVICE_TYPE_HINT]] = Field(min_length=1)
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    standby: Scene = DEFAULT_STANDBY
    emergency: Scene = DEFAULT_EMERGENCY
    scenes: dict[str, Scene] = Field(default_factory=dict)
    limits: Limits = Limits()
    schedule: tuple[ScheduleEntry, ...] = ()
    require_operator: bool = Field(
        default=False, description="Refuse commands without an operator (emergency excepted)."
    )
    rates: Annotated[dict[LightType, float], RATES_HINT] = Field(
        default_factory=dict, description="Commands per second a device type's network takes."
    )
    home_assistant: HomeAssistantOptions | None = Field(
        default=None, description="Announce the room to Home Assistant (MQTT discovery)."
    )

    @field_validator("site")
    @classmethod
    def _valid_site(cls, value: str | None) -> str | None:
        why = None if value is None else site_name_refusal(value)
        if why is not None:
            raise ValueError(f"{value!r} is not a site name: {why} (like north)")
        return value

    def needs_operator(self, action: str) -> bool:
        """Return whether a command must name its operator (an emergency never must)."""
        return self.require_operator and action != "emergency"

    def lights(self) -> dict[str, LightSpec]:
        """Return the room's lights by name."""
        return {n: d for n, d in self.devices.items() if not isinstance(d, AudioSpec)}

    def speakers(self) -> dict[str, AudioSpec]:
        """Return the room's audio outputs by name."""
        return {n: d for n, d in self.devices.items() if isinstance(d, AudioSpec)}

    def resolve(self, target: str) -> tuple[str, ...]:
        """Return the light names a scene target (a light, a group or `all`) covers."""
        if target == ALL_TARGET:
            return tuple(self.lights())
        if target in self.groups:
            return tuple(n for n in self.groups[target] if n in self.lights())
        return (target,) if target in self.lights() else ()

    def scene(self, name: str) -> Scene | None:
        """Return a scene by name: standby, emergency or one of the room's own."""
        if name in BUILTIN_SCENES:
            builtin: Scene = getattr(self, name)
            return builtin
        return self.scenes.get(name)
