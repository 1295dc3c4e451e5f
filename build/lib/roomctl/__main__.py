"""Run roomctl as `python -m roomctl`."""

from __future__ import annotations

from roomctl.cli import main

main()
