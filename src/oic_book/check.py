"""`oic-book check`: every problem of the manuscript, found before anything is rendered."""

from __future__ import annotations

from pathlib import Path

from .config import load_config
from .errors import Problems
from .model import Book
from .reader import read_book_from_config


def check_project(project: Path) -> tuple[Book | None, Problems]:
    """Read and check the manuscript of `project`; the book is None if there are errors."""
    problems = Problems(project)
    config = load_config(project / "manuscript" / "book.yaml", problems)
    if config is None:
        return None, problems
    book, problems = read_book_from_config(config, problems)
    return book, problems
