"""roomctl: a session-room controller for light, sound and staff cues."""

from __future__ import annotations

__version__ = "0.1.0"
