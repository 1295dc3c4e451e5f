"""What every light adapter offers the room: capabilities, commands, health and echoes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Self, TypeVar

from roomctl.api.messages import Message
from roomctl.core.levels import LightLevel
from roomctl.devices.spec import ALL_CAPABILITIES, LightSpec, capabilities_of

_Spec = TypeVar("_Spec", bound=LightSpec)


@dataclass(frozen=True, slots=True)
class Network:
    """A rate-limit bucket: the network that carries a light's commands.

    `device_type` is the type a room's `rates` names; `address` tells apart the lights
    that each have their own network (a Wi-Fi device's topic), and is empty for a
    network every light of the type shares (a Zigbee mesh).
    """

    device_type: str
    address: str = ""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a light can show, how it fades, and which network (rate bucket) carries it.

    `max_transition_s` is the longest native transition the device runs (0 without one)
    and `transition_step_s` its resolution. `network` names the rate-limit bucket: lights
    on the same bucket share `default_rate_hz` commands per second. `brightness_step` is
    one device unit of brightness as a fraction of full scale (its lowest on level).
    """

    brightness: bool
    color_temp: bool
    color: bool
    max_transition_s: float
    transition_step_s: float
    mireds_range: tuple[float, float]
    network: Network
    default_rate_hz: float
    brightness_step: float = 0.01

    def __post_init__(self) -> None:
        low, high = self.mireds_range
        if not 0.0 < low < high:
            raise ValueError(f"mireds_range must be increasing and positive: {self.mireds_range}")
        if self.default_rate_hz <= 0.0:
            raise ValueError("default_rate_hz must be positive")
        if not 0.0 < self.brightness_step <= 1.0:
            raise ValueError("brightness_step must be within (0, 1]")
        if self.max_transition_s < 0.0 or self.transition_step_s < 0.0:
            raise ValueError("transition times must not be negative")

    @property
    def native_transition(self) -> bool:
        """Return whether the light runs fades itself (it has a longest transition)."""
        return self.max_transition_s > 0.0


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """A light said it is online or offline (availability, LWT, status topic).

    `rejoined` marks an online that says the light has just booted (a zigbee2mqtt device
    announce), even if it never looked offline.
    """

    device: str
    online: bool
    rejoined: bool = False


@dataclass(frozen=True, slots=True)
class DeviceEcho:
    """A light reported the level it shows now."""

    device: str
    level: LightLevel


class LightAdapter(ABC):
    """One light's protocol edge: levels become messages, messages become health and echoes.

    Adapters publish nothing themselves; they return `Message` values for the bus.
    `has_availability` says whether the light reports itself online and offline
    (availability, LWT, status topic); one that does not is judged by its state reports.
    """

    has_availability: bool = True

    def __init__(self, name: str, capabilities: Capabilities) -> None:
        self.name = name
        self.capabilities = capabilities

    @classmethod
    @abstractmethod
    def from_spec(cls, name: str, spec: LightSpec) -> Self:
        """Return the adapter for a device spec of this adapter's type."""

    @abstractmethod
    def command(self, level: LightLevel, transition_s: float) -> list[Message]:
        """Return the messages that set the light to `level` over `transition_s` seconds.

        Fields the light lacks are dropped and values are converted to its scales and
        clamped. An off level switches off at once, whatever `transition_s` says: a fade
        to off is planned as a fade to the lowest level followed by this off.
        """

    @abstractmethod
    def subscriptions(self) -> list[str]:
        """Return the topics (filters allowed) on which the light reports health and state."""

    @abstractmethod
    def parse(self, topic: str, payload: bytes) -> DeviceHealth | DeviceEcho | None:
        """Return what a message from the light says, or None when it says nothing useful."""

    def refresh(self) -> list[Message]:
        """Return the messages that ask the light for its state, where the protocol allows."""
        return []


def expect_spec(spec: LightSpec, kind: type[_Spec]) -> _Spec:
    """Return `spec` as the spec type an adapter takes, or raise TypeError."""
    if not isinstance(spec, kind):
        raise TypeError(f"expected a {kind.__name__}, got a {type(spec).__name__}")
    return spec


def light_capabilities(
    spec: LightSpec,
    *,
    max_transition_s: float,
    transition_step_s: float,
    mireds_range: tuple[float, float],
    network: Network,
    default_rate_hz: float,
    brightness_step: float,
) -> Capabilities:
    """Return a light's capabilities: what it shows from its spec, the rest from its type."""
    shows = capabilities_of(spec)
    return Capabilities(
        brightness="brightness" in shows,
        color_temp="color_temp" in shows,
        color="color" in shows,
        max_transition_s=max_transition_s,
        transition_step_s=transition_step_s,
        mireds_range=mireds_range,
        network=network,
        default_rate_hz=default_rate_hz,
        brightness_step=brightness_step,
    )


@dataclass(frozen=True, slots=True)
class DeviceType:
    """One device type as its module declares it: its room-file entry and its adapter.

    What the type can show by default is the spec's `DEFAULT_CAPABILITIES`; the rest of
    its capabilities (transitions, scales, network) the adapter builds from the entry.
    """

    spec: type[LightSpec]
    adapter: type[LightAdapter]

    def __post_init__(self) -> None:
        shows = getattr(self.spec, "DEFAULT_CAPABILITIES", None)
        if not isinstance(shows, frozenset) or not shows or not shows <= ALL_CAPABILITIES:
            choices = ", ".join(sorted(ALL_CAPABILITIES))
            raise TypeError(f"{self.spec.__name__}.DEFAULT_CAPABILITIES: some of {choices}")

    @property
    def name(self) -> str:
        """Return the type's tag in a room file (`type: <name>`)."""
        return self.spec.type_name()
