"""One figure beside its baseline or target, and the tables that show them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.method import METHOD


@dataclass(frozen=True)
class Figure:
    """One row of the table: what was measured, beside its baseline or target."""

    name: str
    measured: str
    target: str
    met: bool | None  # None: a reference, or not measured

    @property
    def verdict(self) -> str:
        """Return met, MISSED, or a dash for references."""
        if self.met is None:
            return "-"
        return "met" if self.met else "MISSED"

    def as_dict(self) -> dict[str, Any]:
        """Return the row as JSON-able data."""
        return {
            "figure": self.name,
            "measured": self.measured,
            "target": self.target,
            "met": self.met,
        }


def ms(spread: dict[str, Any]) -> str:
    """Return a spread as `p50 X / p99 Y ms`."""
    return f"p50 {spread['p50_ms']:.1f} / p99 {spread['p99_ms']:.1f} ms"


def under(value: float, limit: float) -> bool | None:
    """Return whether value is within limit; None when it was not measured (NaN)."""
    return None if math.isnan(value) else value <= limit


def text_table(rows: list[Figure]) -> str:
    """Return the rows as an aligned plain-text table."""
    header = ("figure", "measured", "baseline / target", "")
    cells = [header] + [(r.name, r.measured, r.target, r.verdict) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(4)).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(
    rows: list[Figure], info: dict[str, Any], command: str, notes: tuple[str, ...] = ()
) -> str:
    """Return the rows as a Markdown table headed by the date and machine, for the README."""
    head = (
        f"Measured {info['date']} on {info['cpu']} ({info['cores']} cores, "
        f"{info['memory_gb']} GB), Python {info['python']}, roomctl {info['roomctl_commit']}"
        f"{' (modified tree)' if info['tree_modified'] else ''}, `{command}`."
    )
    lines = [head, "", "| Figure | Measured | Baseline / target | |", "|---|---|---|---|"]
    lines += [f"| {r.name.strip()} | {r.measured} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join([*lines, "", *(notes or METHOD)])
