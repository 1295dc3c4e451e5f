"""The device types, one module each, found in this package, and what is derived from them."""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import TYPE_CHECKING, Literal

from roomctl.devices.base import DeviceType, LightAdapter
from roomctl.devices.spec import Capability, LightSpec


def _device_modules() -> tuple[str, ...]:
    """Return the modules of roomctl.devices that declare a device type, by name.

    A light type is one module named after its `type` tag that declares `DEVICE =
    DeviceType(spec, adapter)`; adding a type is adding that module, nothing else. The
    package's other public modules (the fade planning, the rate limiter) declare none.
    """
    package = import_module(__package__ or "roomctl.devices")
    names = [
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_") and info.name != __name__.rsplit(".", 1)[-1]
    ]
    return tuple(
        name
        for name in sorted(names)
        if isinstance(
            getattr(import_module(f"{package.__name__}.{name}"), "DEVICE", None), DeviceType
        )
    )


# The light types, in the order `roomctl check` lists them (by name).
DEVICE_MODULES = _device_modules()


def _declared(module: str) -> DeviceType:
    """Return the device type a module of roomctl.devices declares, or raise TypeError."""
    device = getattr(import_module(f"{__package__}.{module}"), "DEVICE", None)
    if not isinstance(device, DeviceType):
        raise TypeError(f"roomctl.devices.{module} declares no DEVICE = DeviceType(...)")
    if device.name != module:
        raise TypeError(f"roomctl.devices.{module} declares the type '{device.name}'")
    return device


DEVICE_TYPES: tuple[DeviceType, ...] = tuple(_declared(module) for module in DEVICE_MODULES)
LIGHT_SPECS: tuple[type[LightSpec], ...] = tuple(t.spec for t in DEVICE_TYPES)
ADAPTERS: dict[str, type[LightAdapter]] = {t.name: t.adapter for t in DEVICE_TYPES}
# What a light of each type can show unless its entry says otherwise.
DEFAULT_CAPABILITIES: dict[str, frozenset[Capability]] = {
    t.name: t.spec.DEFAULT_CAPABILITIES for t in DEVICE_TYPES
}

if TYPE_CHECKING:
    LightType = str
else:
    # The type tags as a Literal, for a room's `rates` keys: validated, and listed in errors.
    LightType = Literal[tuple(ADAPTERS)]


def adapter_for(name: str, spec: LightSpec) -> LightAdapter:
    """Return the adapter that drives the light `name` described by `spec`."""
    return ADAPTERS[spec.type].from_spec(name, spec)
