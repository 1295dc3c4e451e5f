"""Shared test fixtures: each lives in tests/fixtures/ and is registered here."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.broker",
    "tests.fixtures.disk",
    "tests.fixtures.pulse",
    "tests.fixtures.room",
    "tests.fixtures.browser",
    "tests.fixtures.console",  # after room, which it imports
    "tests.fixtures.live_room",  # after console, which it imports
]
