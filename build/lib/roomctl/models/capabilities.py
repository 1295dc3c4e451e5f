"""What each light can show: brightness, colour temperature, colour."""

from __future__ import annotations

from roomctl.models.devices import Capability, LightSpec, LightType, ShellySpec

ALL_CAPABILITIES: frozenset[Capability] = frozenset({"brightness", "color_temp", "color"})

# What a device of each type can show unless its spec says otherwise.
DEFAULT_CAPABILITIES: dict[LightType, frozenset[Capability]] = {
    "zigbee2mqtt": ALL_CAPABILITIES,
    "wled": ALL_CAPABILITIES,
    "mqtt_json": ALL_CAPABILITIES,
    "tasmota": ALL_CAPABILITIES,
    "shelly": frozenset({"brightness", "color"}),
}

# A Shelly in `light` mode drives a single white channel: brightness only.
SHELLY_LIGHT_MODE: frozenset[Capability] = frozenset({"brightness"})


def capabilities_of(spec: LightSpec) -> frozenset[Capability]:
    """Return what a light can show: its spec's `capabilities`, else its type's default."""
    if spec.capabilities is not None:
        return frozenset(spec.capabilities)
    if isinstance(spec, ShellySpec) and spec.mode == "light":
        return SHELLY_LIGHT_MODE
    return DEFAULT_CAPABILITIES[spec.type]
