"""Bounded excerpts of what clients send, for log lines and refusal reasons."""

from __future__ import annotations

# Enough of a payload to recognise it in a log line; never all of a 64 KiB one.
EXCERPT_CHARS = 200


def excerpt(payload: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """Return an ASCII repr of a payload's start, saying how much more there was."""
    text = ascii(payload[:limit])
    if len(payload) > limit:
        unit = "bytes" if isinstance(payload, bytes) else "characters"
        text += f"... ({len(payload)} {unit} in all)"
    return text
