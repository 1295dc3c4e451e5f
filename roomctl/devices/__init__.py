"""Device adapters: each light's protocol, its fade strategy and its network's rate.

One module per light type holds its room-file spec, its capabilities and its adapter;
`registry` finds them (the modules that declare `DEVICE`) and derives everything else.
"""

from __future__ import annotations

# The room preset (roomctl.models) holds the union of the device specs, and the specs are
# clinic-file models: whichever package is imported first, the models load first, and
# they load the device modules through registry (never through this package's names).
import roomctl.models  # noqa: F401  (isort keeps `import` lines first)
from roomctl.devices.base import (
    Capabilities,
    DeviceEcho,
    DeviceHealth,
    DeviceType,
    LightAdapter,
    Network,
    expect_spec,
)
from roomctl.devices.fade_plan import (
    JUST_NOTICEABLE,
    LightStep,
    freeze_step,
    plan_fade,
    uses_native_fades,
)
from roomctl.devices.rate_limit import RateLimiter
from roomctl.devices.registry import (
    ADAPTERS,
    DEFAULT_CAPABILITIES,
    DEVICE_MODULES,
    DEVICE_TYPES,
    LIGHT_SPECS,
    LightType,
    adapter_for,
)
from roomctl.devices.spec import (
    ALL_CAPABILITIES,
    TOPIC_PATTERN,
    Capability,
    LightSpec,
    capabilities_of,
)

__all__ = [
    "ADAPTERS",
    "ALL_CAPABILITIES",
    "DEFAULT_CAPABILITIES",
    "DEVICE_MODULES",
    "DEVICE_TYPES",
    "JUST_NOTICEABLE",
    "LIGHT_SPECS",
    "TOPIC_PATTERN",
    "Capabilities",
    "Capability",
    "DeviceEcho",
    "DeviceHealth",
    "DeviceType",
    "LightAdapter",
    "LightSpec",
    "LightStep",
    "LightType",
    "Network",
    "RateLimiter",
    "adapter_for",
    "capabilities_of",
    "expect_spec",
    "freeze_step",
    "plan_fade",
    "uses_native_fades",
]
