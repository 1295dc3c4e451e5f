"""Device specs in a room preset: one model per device type, told apart by `type`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from roomctl.models.base import FrozenModel

Capability = Literal["brightness", "color_temp", "color"]
LightType = Literal["zigbee2mqtt", "tasmota", "wled", "shelly", "mqtt_json"]
TOPIC_PATTERN = r"^[^#+\s]+$"


class _LightSpec(FrozenModel):
    capabilities: tuple[Capability, ...] | None = Field(
        default=None, description="What the light can show; by default what its type can."
    )


class Zigbee2MqttSpec(_LightSpec):
    """A Zigbee light behind zigbee2mqtt: commands go to <topic>/set."""

    type: Literal["zigbee2mqtt"]
    topic: str = Field(pattern=TOPIC_PATTERN)


class TasmotaSpec(_LightSpec):
    """A Tasmota light: commands go to cmnd/<topic>/<Command>."""

    type: Literal["tasmota"]
    topic: str = Field(pattern=TOPIC_PATTERN)


class WledSpec(_LightSpec):
    """A WLED strip: JSON API commands go to <topic>/api."""

    type: Literal["wled"]
    topic: str = Field(pattern=TOPIC_PATTERN)


class ShellySpec(_LightSpec):
    """A Shelly Gen2 light: JSON-RPC Light.Set or RGB.Set goes to <topic>/rpc."""

    type: Literal["shelly"]
    topic: str = Field(pattern=TOPIC_PATTERN)
    mode: Literal["light", "rgb"] = "rgb"
    channel: int = Field(default=0, ge=0)


class MqttJsonSpec(_LightSpec):
    """A Home Assistant MQTT JSON light."""

    type: Literal["mqtt_json"]
    command_topic: str = Field(pattern=TOPIC_PATTERN)
    state_topic: str | None = Field(default=None, pattern=TOPIC_PATTERN)
    availability_topic: str | None = Field(default=None, pattern=TOPIC_PATTERN)


class AudioSpec(FrozenModel):
    """The room's speakers, through PyAudio: `default`, a device name or an index."""

    type: Literal["audio"]
    output: str | int = "default"


LightSpec = Zigbee2MqttSpec | TasmotaSpec | WledSpec | ShellySpec | MqttJsonSpec
DeviceSpec = Annotated[LightSpec | AudioSpec, Field(discriminator="type")]
