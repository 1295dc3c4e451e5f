"""The one base of every error roomctl raises on purpose, so a caller can catch them all."""

from __future__ import annotations


class RoomctlError(Exception):
    """An error roomctl raises on purpose, with a message meant for the person reading it."""
