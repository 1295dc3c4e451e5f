"""The overview's groups: the rooms of each site with its link (one group when local)."""

from __future__ import annotations

from dataclasses import dataclass

from roomctl.console.auth import Caller
from roomctl.console.links import SiteLink
from roomctl.console.places import LOCAL
from roomctl.console.rooms import RoomView
from roomctl.console.watcher import Watcher


@dataclass(frozen=True, slots=True)
class SiteGroup:
    """One site's rooms the user may see, and its link (None for the local broker's rooms)."""

    site: str
    link: SiteLink | None
    rooms: list[RoomView]

    @property
    def stale(self) -> bool:
        """Tell whether what the site last said is old: its link is down."""
        return self.link is not None and self.link.down


def site_groups(watcher: Watcher, found: Caller) -> list[SiteGroup]:
    """Return the rooms a caller may see, grouped by site in the order the console was given."""
    user = found.user
    sites = watcher.layout.sites or (LOCAL,)
    groups = []
    for site in sites:
        if not user.may_see_site(site):
            continue
        rooms = [
            view
            for (at, room), view in sorted(watcher.rooms.items())
            if at == site and user.may_see(room, site)
        ]
        groups.append(SiteGroup(site, watcher.links.get(site), rooms))
    return groups
