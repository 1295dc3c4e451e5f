"""The devices a room file lists: lights of the types in roomctl.devices, and speakers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias, Union

from pydantic import Field

# From the modules, not the package: roomctl.devices loads roomctl.models first (see there).
from roomctl.devices.registry import LIGHT_SPECS, LightType
from roomctl.devices.spec import LightSpec
from roomctl.models.base import FrozenModel


class AudioSpec(FrozenModel):
    """The room's speakers, through PyAudio: `default`, a device name or an index."""

    type: Literal["audio"]
    output: str | int = "default"


if TYPE_CHECKING:
    DeviceSpec: TypeAlias = LightSpec | AudioSpec
else:
    # One member per light type (their `type` tags in roomctl.devices' order), then audio.
    DeviceSpec = Annotated[Union[(*LIGHT_SPECS, AudioSpec)], Field(discriminator="type")]

__all__ = ["AudioSpec", "DeviceSpec", "LightSpec", "LightType"]
