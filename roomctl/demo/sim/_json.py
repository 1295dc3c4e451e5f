"""JSON numbers as the simulated devices read them: strict, true and false are not numbers."""

from __future__ import annotations

from typing import TypeGuard


def is_number(value: object) -> TypeGuard[float]:
    """Return whether a decoded JSON value is a number (true/false are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: object) -> TypeGuard[int]:
    """Return whether a decoded JSON value is an integer (true/false are not)."""
    return isinstance(value, int) and not isinstance(value, bool)
