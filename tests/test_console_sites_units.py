"""The console's many-sites parts, pure: topics and keys, site limits of users, link states."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from roomctl.cli.exits import EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.console.links import SiteLink
from roomctl.console.live import _wanted
from roomctl.console.places import (
    LOCAL,
    Layout,
    LinkMessage,
    ReplyMessage,
    RoomMessage,
    key_text,
    room_path,
)
from roomctl.console.rooms import RoomView
from roomctl.console.users import User, UsersFileError, load_users
from roomctl.console.view import status_text

CLIENT = "roomctl-console-1234abcd"
# A fixed wall time for the link's clock: 14:03 somewhere, said in this machine's zone.
T0 = 1_790_000_000.0


def test_local_layout_reads_roomctl_topics_as_today() -> None:
    local = Layout()
    assert local.base(LOCAL) == "roomctl"
    assert local.subscriptions(CLIENT, v5=True) == [
        "roomctl/+/state",
        "roomctl/+/availability",
        "roomctl/+/events",
        "roomctl/+/catalog",
        f"roomctl/replies/{CLIENT}/#",
    ]
    assert local.parse("roomctl/room-1/state", CLIENT) == RoomMessage(LOCAL, "room-1", "state")
    assert local.parse(f"roomctl/replies/{CLIENT}/r1", CLIENT) == ReplyMessage(LOCAL, "r1")
    assert local.parse("roomctl/replies/someone-else/r1", CLIENT) is None
    assert local.parse("roomctl/room-1/reply", CLIENT) == ReplyMessage(LOCAL, None)
    assert local.parse("roomctl/room-1/cmd", CLIENT) is None
    assert local.parse("clinic/north/roomctl/room-1/state", CLIENT) is None


def test_sites_layout_keys_rooms_by_site_and_reads_links_and_replies() -> None:
    chain = Layout(("north", "south"))
    assert chain.base("north") == "clinic/north/roomctl"
    topics = chain.subscriptions(CLIENT, v5=True)
    for site in ("north", "south"):
        assert f"clinic/{site}/roomctl/+/state" in topics
        assert f"clinic/{site}/bridge/state" in topics
        assert f"clinic/{site}/roomctl/replies/{CLIENT}/#" in topics
    assert not any(t.startswith("roomctl/") for t in topics)  # no local rooms
    assert "clinic/north/roomctl/+/reply" in chain.subscriptions(CLIENT, v5=False)
    north = chain.parse("clinic/north/roomctl/room-1/state", CLIENT)
    south = chain.parse("clinic/south/roomctl/room-1/state", CLIENT)
    assert north == RoomMessage("north", "room-1", "state")
    assert south == RoomMessage("south", "room-1", "state")
    assert chain.parse("clinic/north/bridge/state", CLIENT) == LinkMessage("north")
    assert chain.parse(f"clinic/south/roomctl/replies/{CLIENT}/r9", CLIENT) == ReplyMessage(
        "south", "r9"
    )
    assert chain.parse("clinic/east/roomctl/room-1/state", CLIENT) is None  # not watched
    assert chain.parse("roomctl/room-1/state", CLIENT) is None
    assert Layout(("north",), "chain/eu").parse(
        "chain/eu/north/roomctl/r/catalog", CLIENT
    ) == RoomMessage("north", "r", "catalog")


def test_keys_and_urls_include_the_site() -> None:
    assert key_text(LOCAL, "room-1") == "room-1"
    assert key_text("north", "room-1") == "north/room-1"
    assert room_path(LOCAL, "room-1") == "/rooms/room-1"
    assert room_path("north", "room-1") == "/sites/north/rooms/room-1"


def test_users_limited_to_sites_and_to_one_sites_room() -> None:
    everyone = User("kim", "supervisor", None, "")
    south = User("sol", "staff", None, "", ("south",))
    one = User("nora", "viewer", ("north/room-1",), "")
    any_room_1 = User("rita", "viewer", ("room-1",), "")
    assert everyone.may_see("room-1", "north") and everyone.may_see("room-1", LOCAL)
    assert south.may_see("room-1", "south") and south.may_see("room-9", "south")
    assert not south.may_see("room-1", "north") and not south.may_see_site("north")
    assert not south.may_see("room-1", LOCAL)  # limited to sites: no local room
    assert one.may_see("room-1", "north") and not one.may_see("room-1", "south")
    assert not one.may_see("room-1", LOCAL)
    assert any_room_1.may_see("room-1", "north") and any_room_1.may_see("room-1", "south")
    assert any_room_1.may_see("room-1") and not any_room_1.may_see("room-2", "north")


def test_the_live_stream_passes_only_what_the_user_may_see() -> None:
    south = User("sol", "staff", None, "", ("south",))
    everything = (LOCAL, None)
    assert _wanted(south, "south", "room-1", everything)
    assert _wanted(south, "south", None, everything)  # south's link
    assert not _wanted(south, "north", "room-1", everything)
    assert not _wanted(south, "north", None, everything)
    page = ("south", "room-1")  # a room's page: that room and its site's link
    assert _wanted(south, "south", "room-1", page) and _wanted(south, "south", None, page)
    assert not _wanted(south, "south", "room-2", page)


def test_users_file_keeps_sites_and_cli_adds_them(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    done = CliRunner().invoke(
        cli,
        ["users", "add", "sol", "--role", "staff", "--sites", "south", "--rooms",
         "room-1,north/room-2", "--users", str(path), "--password-stdin"],
        input="sol-pw\n",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    sol = load_users(path)["sol"]
    assert sol.sites == ("south",) and sol.rooms == ("room-1", "north/room-2")
    listed = CliRunner().invoke(cli, ["users", "list", "--users", str(path)])
    assert listed.output.strip() == "sol\tstaff\troom-1,north/room-2\tsouth"
    refused = CliRunner().invoke(
        cli,
        ["users", "add", "x", "--role", "staff", "--sites", "a/b", "--users", str(path),
         "--password-stdin"],
        input="pw\n",
    )  # fmt: skip
    assert refused.exit_code == EXIT_USAGE and "one topic level" in refused.output
    path.write_text("users:\n  sol: {role: staff, sites: south, hash: $argon2id$x}\n")
    with pytest.raises(UsersFileError, match="sites must be a list"):
        load_users(path)


def test_a_link_is_up_or_down_since_when_the_zero_came() -> None:
    link = SiteLink("north")
    assert link.text() == "link not heard from yet" and not link.down
    link.take(b"1", retained=True, now=T0)
    assert link.text() == "link up" and link.up
    link.take(b"0", retained=False, now=T0)
    since = time.strftime("%H:%M", time.localtime(T0))
    assert link.down and link.text() == f"link down since {since}"
    assert link.unreachable() == f"site north is unreachable (link down since {since})"
    link.take(b"0", retained=True, now=T0 + 600)  # the console reconnected: same outage
    assert link.text() == f"link down since {since}"
    link.take(b"1", retained=False, now=T0 + 700)
    assert link.text() == "link up" and link.down_since is None
    at_start = SiteLink("south")
    at_start.take(b"0", retained=True, now=T0)  # down before the console looked: since when?
    assert at_start.text() == "link down"
    assert at_start.unreachable() == "site south is unreachable (link down)"
    assert at_start.summary() == {"site": "south", "up": False, "down_since": None,
                                  "text": "link down"}  # fmt: skip


def test_a_stale_room_never_reads_as_live() -> None:
    room = RoomView("room-1", "north")
    room.take_state({"status": "running"})
    room.take_availability("online", retained=True, now=T0)
    assert status_text(room) == "running"
    assert status_text(room, stale=True) == "last seen running (link down)"
    assert room.summary(stale=True)["stale"] is True
    assert room.summary()["site"] == "north"


def test_console_refuses_a_site_that_is_not_one_topic_level(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli, ["console", "--site", "north/east", "--users", str(tmp_path / "users.yaml")]
    )
    assert done.exit_code == EXIT_USAGE
    assert "a site name is one topic level" in done.output
