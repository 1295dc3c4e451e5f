"""The one `did you mean` of roomctl: the closest known name to a misspelt one."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence

_LOGGER = logging.getLogger(__name__)

# Shorter names are inside too many words to suggest: `on` is in `front_lamp`.
MIN_CONTAINED_LENGTH = 3


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """Return `: did you mean 'x'?` for the closest choice, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    # `reading_lamp` for `lamp` is too far for difflib, yet what a person meant.
    close = (
        close
        or [c for c in choices if len(c) >= MIN_CONTAINED_LENGTH and (c in word or word in c)][:1]
    )
    return f": did you mean '{close[0]}'?" if close else ""
