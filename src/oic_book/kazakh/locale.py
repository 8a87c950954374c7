"""The book's generated words, all taken from ``locale/kk.yaml``.

Labels are plain strings; placeholders in braces are filled by :func:`format`.
"""

from __future__ import annotations

import datetime
from functools import cache
from importlib import resources

import yaml

__all__ = [
    "chapter_label",
    "format",
    "format_date",
    "join_names",
    "labels",
    "month_name",
    "page_label",
]


@cache
def _data() -> dict[str, object]:
    """Load the locale file once."""
    text = resources.files(__package__).joinpath("locale", "kk.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def labels() -> dict[str, str]:
    """Return every label by key (a fresh copy, so callers may not corrupt the cache)."""
    return dict(_data()["labels"])


def format(key: str, **values: object) -> str:
    """Return the label ``key`` with its ``{placeholders}`` filled from ``values``."""
    return _data()["labels"][key].format(**values)


def join_names(names: list[str] | tuple[str, ...]) -> str:
    """ "A, B және C": a list of names in running text."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {format('and')} {names[-1]}"


def chapter_label(n: int) -> str:
    """Return the label of chapter ``n``, e.g. "1-тарау"."""
    return format("chapter", n=n)


def page_label(n: int | str) -> str:
    """Return the label of page ``n``, e.g. "296-бет"."""
    return format("page", n=n)


def month_name(month: int) -> str:
    """Return the name of ``month`` (1–12) as used in dates, e.g. "қыркүйек"."""
    return _data()["months"][month - 1]


def format_date(date: datetime.date) -> str:
    """Return ``date`` the Kazakh way, e.g. "1969 ж. 25 қыркүйек" (no-break space before ж.)."""
    return format("date", year=date.year, day=date.day, month=month_name(date.month))
