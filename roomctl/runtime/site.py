"""Which site a daemon's rooms are at: `roomctl run --site`, the room file, or the environment.

The site names the daemon's rooms where names must be unique across a chain (the state,
Home Assistant's ids, the record); it never changes where the rooms' topics are. The
CLI's `--site` and $ROOMCTL_SITE are another thing: where to reach a site's rooms at the
centre. So the daemon's variable has a name of its own.
"""

from __future__ import annotations

import logging
import os

from roomctl.api.sites import site_name_refusal
from roomctl.models import RoomPreset

_LOGGER = logging.getLogger(__name__)

# The site of every room the daemon serves whose file says none (as $ROOMCTL_BROKER is
# the broker of rooms whose file says none); not $ROOMCTL_SITE, which the CLI reads.
DAEMON_SITE_ENV = "ROOMCTL_DAEMON_SITE"


def env_site() -> str | None:
    """Return the site $ROOMCTL_DAEMON_SITE names, or None; ValueError if it is no site name."""
    text = os.environ.get(DAEMON_SITE_ENV) or None
    if text is not None and (why := site_name_refusal(text)) is not None:
        raise ValueError(f"${DAEMON_SITE_ENV}={text!r} is not a site name: {why}")
    return text


def at_site(room: RoomPreset, flag: str | None, default: str | None) -> RoomPreset:
    """Return the room at its site: `--site` wins over the room file, which wins over `default`."""
    if flag is not None and room.site not in (None, flag):
        _LOGGER.warning("room %s: its file says site %s; --site %s wins", room.id, room.site, flag)
    site = flag or room.site or default
    return room if site == room.site else room.model_copy(update={"site": site})
