"""Problems found in clinic files, each tied to a file, a line and a field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from roomctl.errors import RoomctlError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (an error) or doubtful (a warning) in a clinic file.

    `line` is 1-based; 0 means the problem concerns the whole file (it does not exist,
    say). `path` is the dotted field path such as `phases[1].lights.lamp.brightness`, or
    empty for the whole document.
    """

    file: Path
    line: int
    path: str
    message: str
    severity: Severity = "error"

    def format(self) -> str:
        """Return `FILE:LINE: field.path: message`, with `warning: ` before a warning's text.

        The line is left out when it is 0 and the field path when it is empty, so a missing
        file reads `FILE: message`.
        """
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        text = f"warning: {self.message}" if self.severity == "warning" else self.message
        return f"{where}: {self.path}: {text}" if self.path else f"{where}: {text}"

    @property
    def is_error(self) -> bool:
        """Return whether this problem makes the file unusable."""
        return self.severity == "error"


def sort_key(problem: Problem) -> tuple[str, int, str, str]:
    """Return the order problems are listed in: by file, then line, then field."""
    return (str(problem.file), problem.line, problem.path, problem.message)


def errors(problems: list[Problem]) -> list[Problem]:
    """Return the problems that are errors, leaving out warnings."""
    return [p for p in problems if p.is_error]


class ConfigError(RoomctlError, ValueError):
    """A clinic file cannot be used; `problems` says every reason, each with its line.

    A ValueError, so code that refuses bad input in general refuses this too.
    """

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.problems = sorted(problems, key=sort_key)
        text = message or "\n".join(p.format() for p in self.problems) or "invalid configuration"
        super().__init__(text)

    @property
    def summary(self) -> str:
        """Return one line for a reply or a log: the first problem and how many more."""
        first = str(self).splitlines()[0]
        more = len(self.problems) - 1
        return f"{first} (and {more} more)" if more > 0 else first
