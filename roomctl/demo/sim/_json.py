"""JSON as the simulated devices read and write it: compact output, strict numbers."""

from __future__ import annotations

import json
from typing import TypeGuard


def compact_json(value: object) -> str:
    """Return JSON without spaces, the way the devices' firmware writes it."""
    return json.dumps(value, separators=(",", ":"))


def is_number(value: object) -> TypeGuard[float]:
    """Return whether a decoded JSON value is a number (true/false are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: object) -> TypeGuard[int]:
    """Return whether a decoded JSON value is an integer (true/false are not)."""
    return isinstance(value, int) and not isinstance(value, bool)
