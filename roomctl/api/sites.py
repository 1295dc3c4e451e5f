"""Sites on a central broker: a site's name and where its rooms' topics are at the centre.

A site's Mosquitto bridges its `roomctl/...` topics to the central broker under
`<central prefix>/<site>/roomctl/...` (see `roomctl bridge-config`), so room ids may repeat
between sites and a client at the centre tells them apart by the site.
"""

from __future__ import annotations

from roomctl.api.topics import PREFIX

# Where sites' topics go at the central broker unless told otherwise: the chain's tree,
# as zigbee2mqtt instances are told apart by their base topic.
DEFAULT_CENTRAL_PREFIX = "clinic"
# The level under a site's prefix where its bridge says whether the link is up ("1") or
# down ("0", the central broker's will for the bridge when the link dies).
BRIDGE_LEVEL = "bridge/state"
# A site's name is one topic level; 64 characters name any clinic and keep topics short.
MAX_SITE_NAME = 64
# Characters a topic level must not hold: its separator, the wildcards, NUL; and "," and
# spaces, which Mosquitto's configuration would read as separators in a topic line.
_FORBIDDEN = frozenset("/+#\x00, \t\r\n")


def site_name_refusal(name: str) -> str | None:
    """Return why a site name is not usable as one topic level, or None when it is."""
    if not name:
        return "a site name must not be empty"
    if len(name) > MAX_SITE_NAME:
        return f"a site name is at most {MAX_SITE_NAME} characters"
    bad = sorted({char for char in name if char in _FORBIDDEN or not char.isprintable()})
    if bad:
        shown = ", ".join(repr(char) for char in bad)
        return f"a site name is one topic level: no {shown}"
    if name.startswith("$"):
        return "a site name must not start with '$' (brokers keep those topics for themselves)"
    return None


def prefix_refusal(prefix: str) -> str | None:
    """Return why a central prefix is not a usable topic path, or None when it is."""
    if not prefix:
        return "the central prefix must not be empty"
    for level in prefix.split("/"):
        why = site_name_refusal(level)
        if why is not None:
            return f"the central prefix {prefix!r}: {why.replace('a site name', 'each level')}"
    return None


def site_base(site: str, central_prefix: str = DEFAULT_CENTRAL_PREFIX) -> str:
    """Return where a site's `roomctl/...` topics are at the central broker."""
    return f"{central_prefix}/{site}/{PREFIX}"


def bridge_state_topic(site: str, central_prefix: str = DEFAULT_CENTRAL_PREFIX) -> str:
    """Return the retained topic that says whether a site's link to the centre is up."""
    return f"{central_prefix}/{site}/{BRIDGE_LEVEL}"
