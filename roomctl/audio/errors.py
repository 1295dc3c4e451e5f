"""The audio package's errors: one small hierarchy."""

from __future__ import annotations

from roomctl.errors import RoomctlError


class AudioError(RoomctlError):
    """Base of every error the audio package raises."""


class AudioOutputError(AudioError):
    """The configured sound output does not exist or cannot be opened."""


class SourceError(AudioError):
    """A sound source name is invalid, or its file cannot be read."""
