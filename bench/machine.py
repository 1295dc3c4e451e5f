"""Describe the machine a bench ran on: CPU, cores, memory, software versions, date."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# `mosquitto -h` and `git` answer at once; a hung one must not hang the report.
VERSION_TIMEOUT_S = 10.0


def machine() -> dict[str, Any]:
    """Return the CPU model, core count, memory, OS, Python, Mosquitto and roomctl commit."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "mosquitto": next(iter(_run(["mosquitto", "-h"]).splitlines()), ""),
        "roomctl_commit": _run(["git", "rev-parse", "--short", "HEAD"]).strip(),
        "tree_modified": bool(_run(["git", "status", "--porcelain", "--", "roomctl"]).strip()),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _run(args: list[str]) -> str:
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, check=False, timeout=VERSION_TIMEOUT_S
        )
    except OSError:
        return ""
    return done.stdout or done.stderr
