"""What the retained roomctl/R/state topic says about a room."""

from __future__ import annotations

from typing import Literal

Status = Literal["idle", "running", "paused", "emergency", "ended"]
