"""What every light's entry in a room file holds; each device type adds its tag and address."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, get_args

from pydantic import Field

from roomctl.models.base import FrozenModel, Hint

Capability = Literal["brightness", "color_temp", "color"]
ALL_CAPABILITIES: frozenset[Capability] = frozenset(get_args(Capability))
# An address is one concrete topic: no wildcards, no spaces.
TOPIC_PATTERN = r"^[^#+\s]+$"
# A device's topic field: the pattern, and how `roomctl check` words a topic that misses it.
Topic = Annotated[
    str,
    Field(pattern=TOPIC_PATTERN),
    Hint(mismatch="'{value}' is not an MQTT topic to publish to: no spaces, '#' or '+'"),
]


class LightSpec(FrozenModel):
    """A light as a room file lists it; a device type adds `type: Literal[...]` and its address.

    A type sets `DEFAULT_CAPABILITIES`, what its lights can show unless an entry says
    otherwise (a type whose default depends on the entry overrides `default_capabilities`).
    """

    DEFAULT_CAPABILITIES: ClassVar[frozenset[Capability]]

    type: str
    capabilities: tuple[Capability, ...] | None = Field(
        default=None, description="What the light can show; by default what its type can."
    )

    @classmethod
    def type_name(cls) -> str:
        """Return the tag that names this spec's device type in a room file (its `type`)."""
        tags = get_args(cls.model_fields["type"].annotation)
        if len(tags) != 1 or not isinstance(tags[0], str):
            raise TypeError(f"{cls.__name__}.type must be one Literal tag")
        return tags[0]

    def default_capabilities(self) -> frozenset[Capability]:
        """Return what the light can show when its entry does not list `capabilities`."""
        return self.DEFAULT_CAPABILITIES


def capabilities_of(spec: LightSpec) -> frozenset[Capability]:
    """Return what a light can show: its spec's `capabilities`, else its type's default."""
    if spec.capabilities is not None:
        return frozenset(spec.capabilities)
    return spec.default_capabilities()
