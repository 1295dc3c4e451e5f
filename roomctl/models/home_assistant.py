"""A room file's `home_assistant` block: announce the room to Home Assistant, and where."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from roomctl.models.base import FrozenModel, Hint

# Home Assistant's own default discovery prefix (its MQTT integration's setting).
DEFAULT_PREFIX = "homeassistant"
# Topic levels of letters, digits, '_' and '-', separated by '/': no wildcard, no empty level.
PREFIX_PATTERN = r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$"
PREFIX_HINT = Hint(
    mismatch="'{value}' is not a discovery prefix: write topic levels of letters, digits, "
    "'_' and '-' separated by '/', without '+', '#' or a '/' at either end (like homeassistant)"
)

# A web address Home Assistant links to: http(s), no spaces.
URL_PATTERN = r"^https?://[^\s]+$"
URL_HINT = Hint(
    mismatch="'{value}' is not a web address: write one like https://it.clinic.lan/roomctl"
)


class HomeAssistantOptions(FrozenModel):
    """Whether `roomctl run` announces the room to Home Assistant, and under which prefix."""

    discovery: bool = Field(
        default=True, description="Publish the room's device config for MQTT discovery."
    )
    support_url: Annotated[str, Field(pattern=URL_PATTERN, max_length=300), URL_HINT] | None = (
        Field(
            default=None, description="Where staff get help with roomctl (shown in Home Assistant)."
        )
    )
    prefix: Annotated[str, Field(pattern=PREFIX_PATTERN, max_length=100), PREFIX_HINT] = (
        DEFAULT_PREFIX
    )
