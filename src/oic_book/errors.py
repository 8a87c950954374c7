"""Problems found in a manuscript, and the exception that carries them to the CLI.

Every problem names the file and line it comes from, and a stable code that tests and
users can refer to (in the manner of Standard Ebooks' lint ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


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
        where = f"{self.path}:{self.line}" + (f":{self.col}" if self.col else "")
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


class Problems:
    """Collects problems so that one run reports all of them, not just the first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[Problem] = []

    def relative(self, path: Path | str) -> str:
        """`path` as shown in messages: relative to the project root where it is inside."""
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

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
        """Problems in a stable order: by file, then line, then column."""
        return sorted(self.items, key=lambda p: (p.path, p.line, p.col or 0, p.code, p.message))


class BookError(Exception):
    """The manuscript cannot be built; carries every problem found."""

    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.format() for p in problems))
        self.problems = problems


class BuildError(Exception):
    """The build itself failed (not the manuscript): a tool or the file system."""

    exit_code = 2
