"""Where the console's rooms are: local (`roomctl/...`) or sites' at a central broker.

A room is keyed by (site, room) everywhere; the local broker's rooms have the site LOCAL
(""). Room ids may repeat between sites, so `room-1` of north and of south are two rooms.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from roomctl.api.sites import BRIDGE_LEVEL, DEFAULT_CENTRAL_PREFIX, site_base
from roomctl.api.topics import PREFIX, REPLIES_PREFIX

LOCAL = ""
RoomKey = tuple[str, str]  # (site, room)
# What each room publishes that the console follows; `reply` only matters in MQTT v3.1.1,
# where replies come on it, told apart by request id.
KINDS = ("state", "availability", "events", "catalog")


@dataclass(frozen=True, slots=True)
class RoomMessage:
    """A room's output: its state, availability, an event or its catalog."""

    site: str
    room: str
    kind: str


@dataclass(frozen=True, slots=True)
class LinkMessage:
    """A site bridge's link state (`1` up, `0` down)."""

    site: str


@dataclass(frozen=True, slots=True)
class ReplyMessage:
    """A reply to one of the console's commands, from a site (or the local broker)."""

    site: str
    request_id: str | None  # None: a room's reply topic; the payload names it


Message = RoomMessage | LinkMessage | ReplyMessage


def key_text(site: str, room: str) -> str:
    """Return a room's name as people read it: room-1, or north/room-1 at a central broker."""
    return f"{site}/{room}" if site else room


def room_path(site: str, room: str) -> str:
    """Return a room's page: /rooms/room-1, or /sites/north/rooms/room-1."""
    path = f"/rooms/{quote(room, safe='')}"
    return f"/sites/{quote(site, safe='')}{path}" if site else path


@dataclass(frozen=True, slots=True)
class Layout:
    """The topics the console reads: the local broker's rooms, or some sites' at a centre."""

    sites: tuple[str, ...] = ()
    central_prefix: str = DEFAULT_CENTRAL_PREFIX

    def base(self, site: str) -> str:
        """Return where a site's rooms' topics are (roomctl for the local broker)."""
        return site_base(site, self.central_prefix) if site else PREFIX

    def subscriptions(self, client_id: str, v5: bool) -> list[str]:
        """Return the topic filters to subscribe for every room, link and own reply."""
        if not self.sites:
            replies = f"{REPLIES_PREFIX}{client_id}/#" if v5 else f"{PREFIX}/+/reply"
            return [f"{PREFIX}/+/{kind}" for kind in KINDS] + [replies]
        found: list[str] = []
        for site in self.sites:
            base = self.base(site)
            found += [f"{base}/+/{kind}" for kind in KINDS]
            found.append(f"{self.central_prefix}/{site}/{BRIDGE_LEVEL}")
            # The daemon answers on roomctl/replies/<id>/...; the bridge maps it here.
            found.append(f"{base}/replies/{client_id}/#" if v5 else f"{base}/+/reply")
        return found

    def parse(self, topic: str, client_id: str) -> Message | None:
        """Return what a topic is to the console, or None for anything else."""
        if not self.sites:
            return _parse_under(LOCAL, topic.split("/"), client_id)
        head = f"{self.central_prefix}/"
        if not topic.startswith(head):
            return None
        site, _, rest = topic[len(head) :].partition("/")
        if site not in self.sites:
            return None
        if rest == BRIDGE_LEVEL:
            return LinkMessage(site)
        return _parse_under(site, rest.split("/"), client_id)


def _parse_under(site: str, levels: list[str], client_id: str) -> Message | None:
    """Read `roomctl/...` levels below a site (or at the local broker's root)."""
    if len(levels) < 3 or levels[0] != PREFIX:
        return None
    if levels[1] == "replies":
        if len(levels) == 4 and levels[2] == client_id:
            return ReplyMessage(site, levels[3])
        return None
    if len(levels) != 3:
        return None
    if levels[2] == "reply":
        return ReplyMessage(site, None)
    return RoomMessage(site, levels[1], levels[2]) if levels[2] in KINDS else None
