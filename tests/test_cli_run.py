"""What `roomctl run` says when it starts: each broker's URL, and how to reach it if unusual."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from roomctl.cli.run import serving_lines
from roomctl.mqtt.broker_url import parse_broker_url


def service(room_id: str, url: str, site: str | None = None) -> Any:
    """Return what serving_lines reads of a served room."""
    return SimpleNamespace(room=SimpleNamespace(id=room_id, site=site), url=parse_broker_url(url))


def test_rooms_on_the_default_broker_need_no_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROOMCTL_BROKER", raising=False)
    lines = serving_lines(
        [
            service("room-1", "mqtt://127.0.0.1:1883?protocol=3.1.1"),
            service("room-2", "mqtt://127.0.0.1:1883?protocol=3.1.1"),
        ]
    )
    assert lines == ["roomctl: serving room-1, room-2 on mqtt://127.0.0.1:1883?protocol=3.1.1"]


def test_a_room_at_a_site_is_named_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROOMCTL_BROKER", raising=False)
    lines = serving_lines([service("room-1", "mqtt://127.0.0.1:1883?protocol=3.1.1", "north")])
    assert lines == ["roomctl: serving room-1 (site north) on mqtt://127.0.0.1:1883?protocol=3.1.1"]


def test_a_broker_elsewhere_is_named_for_the_other_commands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ROOMCTL_BROKER", raising=False)
    lines = serving_lines([service("room-1", "mqtt://127.0.0.1:40123?protocol=3.1.1")])
    assert lines == [
        "roomctl: serving room-1 on mqtt://127.0.0.1:40123?protocol=3.1.1",
        "roomctl: other roomctl commands look for mqtt://127.0.0.1:1883: give them --broker "
        "mqtt://127.0.0.1:40123?protocol=3.1.1 (or set "
        "ROOMCTL_BROKER=mqtt://127.0.0.1:40123?protocol=3.1.1)",
    ]
    # With $ROOMCTL_BROKER pointing there, the other commands find it: nothing to add.
    monkeypatch.setenv("ROOMCTL_BROKER", "mqtt://127.0.0.1:40123")
    assert len(serving_lines([service("room-1", "mqtt://127.0.0.1:40123")])) == 1
