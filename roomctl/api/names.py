"""The one rule for a session profile's name, shared by `roomctl check` and the daemon."""

from __future__ import annotations

import logging
import re
import unicodedata

_LOGGER = logging.getLogger(__name__)

# A profile's name is its file name without .yaml and travels in MQTT commands and journal
# rows: ASCII letters, digits, '-' and '_' keep it one word on every file system and shell.
# \A and \Z, not ^ and $: `$` also matches before a last newline, so "demo\n" passed.
MAX_PROFILE_NAME = 64
PROFILE_NAME = re.compile(rf"\A[A-Za-z0-9_-]{{1,{MAX_PROFILE_NAME}}}\Z")
PROFILE_NAME_RULE = (
    f"letters A-Z and a-z, digits, '-' and '_' only, at most {MAX_PROFILE_NAME} of them"
)


def is_profile_name(name: str) -> bool:
    """Return whether `name` can name a session profile."""
    return PROFILE_NAME.fullmatch(name) is not None


def suggested_profile_name(name: str) -> str:
    """Return `name` with every character the rule refuses replaced, for a hint."""
    # Ü becomes U: a letter and its accents come apart, and the accents are dropped.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    kept = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_name).strip("_") or "session"
    return kept[:MAX_PROFILE_NAME]
