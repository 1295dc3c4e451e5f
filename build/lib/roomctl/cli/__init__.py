"""The `roomctl` command line: one module per command, registered on one group."""

from __future__ import annotations

from roomctl.cli.group import main

__all__ = ["main"]
