"""Problems found in a manuscript, and the exception that carries them to the CLI.

Every problem names the file and line it comes from, and a stable code that tests and
users can refer to (in the manner of Standard Ebooks' lint ids).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]

# A message line longer than this is cut: a 5,000-character value must not bury the rest.
MAX_LINE = 300
MAX_PER_CODE = 50  # problems of one code listed per file; the rest are counted
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shorten(text: str, limit: int = 80) -> str:
    """`text` on one line, cut in the middle with … if longer than `limit` characters."""
    # Control characters would reach the terminal (an escape sequence can rewrite it).
    text = _CONTROL.sub(lambda m: " " if m[0] in "\n\r\t" else f"\\x{ord(m[0]):02x}", str(text))
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the manuscript, at `path:line[:col]`."""

    path: str
    line: int
    col: int | None
    severity: Severity
    code: str
    message: str

    def format(self) -> str:
        """The one-line form: `path:line[:col]: severity: message [code]`."""
        where = f"{shorten(self.path, 120)}:{self.line}" + (f":{self.col}" if self.col else "")
        head, tail = f"{where}: {self.severity}: ", f" [{self.code}]"
        return head + shorten(self.message, MAX_LINE - len(head) - len(tail)) + tail


class Problems:
    """Collects problems so that one run reports all of them, not just the first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[Problem] = []

    def relative(self, path: Path | str) -> str:
        """`path` as shown in messages: relative to the project root where it is inside.

        The path is shown as the author named it (symbolic links not followed: one may
        loop), relative to the root as given or as resolved.
        """
        absolute = os.path.abspath(path)
        for root in (os.path.abspath(self.root), os.path.realpath(self.root)):
            if absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep):
                return Path(os.path.relpath(absolute, root)).as_posix()
        return Path(path).as_posix()

    def add(
        self,
        severity: Severity,
        code: str,
        path: Path | str,
        line: int,
        message: str,
        col: int | None = None,
    ) -> None:
        """Record a problem; `path` is shown relative to the project root."""
        self.items.append(
            Problem(self.relative(path), max(line, 1), col, severity, code, message)
        )

    def error(
        self, code: str, path: Path | str, line: int, message: str, col: int | None = None
    ):
        """Record an error."""
        self.add("error", code, path, line, message, col)

    def warning(
        self, code: str, path: Path | str, line: int, message: str, col: int | None = None
    ):
        """Record a warning."""
        self.add("warning", code, path, line, message, col)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def sorted(self) -> list[Problem]:
        """Problems in a stable order: by file, then line, then column.

        At most `MAX_PER_CODE` of one code in one file are listed, then one line saying
        how many more there are: a file with 5,000 of the same mistake (or written to
        flood a CI log) gives a report a person can read.
        """
        ordered = sorted(
            self.items, key=lambda p: (p.path, p.line, p.col or 0, p.code, p.message)
        )
        counts: dict[tuple[str, str, str], int] = {}
        shown: list[Problem] = []
        last: dict[tuple[str, str, str], Problem] = {}
        for problem in ordered:
            key = (problem.path, problem.code, problem.severity)
            counts[key] = counts.get(key, 0) + 1
            if counts[key] <= MAX_PER_CODE:
                shown.append(problem)
            last[key] = problem
        for key, count in counts.items():
            if count > MAX_PER_CODE:
                final = last[key]
                more = count - MAX_PER_CODE
                message = f"… and {more} more like the above, the last here"
                shown.append(
                    Problem(
                        final.path, final.line, final.col, final.severity, final.code, message
                    )
                )
        return sorted(shown, key=lambda p: (p.path, p.line, p.col or 0, p.code, p.message))


class BookError(Exception):
    """The manuscript cannot be built; carries every problem found."""

    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.format() for p in problems))
        self.problems = problems


class BuildError(Exception):
    """The build itself failed (not the manuscript): a tool or the file system."""

    exit_code = 2
