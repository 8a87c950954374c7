"""`book.yaml`: loaded, checked against a small schema, and frozen into `BookConfig`.

Every bad key is reported (with its line) before the build gives up, as MkDocs'
`load_config` does, so an author sees all the mistakes of the file in one run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BuildError, Problems, shorten
from ..project import MANUSCRIPT, OutsideProject, as_on_disk, contain
from .sanitise import check_plain_text
from .sources import LocatedDict, LocatedList, read_yaml

# Page sizes WeasyPrint understands by name; others may be given as "148mm 210mm".
PAGE_SIZES = {"A4", "A5", "A6", "B5", "letter", "legal"}


@dataclass(frozen=True)
class Field:
    """One key of book.yaml: its type, whether it is required, and its default."""

    kind: str  # "str", "str?", "int", "strlist", "pathlist", "path", "date"
    required: bool = False
    default: Any = None


SCHEMA: dict[str, Field] = {
    "title": Field("str", True),
    "subtitle": Field("str", False, ""),
    "language": Field("str", True),
    "genre": Field("str", False, ""),
    "authors": Field("strlist", False, ()),
    "compilers": Field("strlist", False, ()),
    "editors": Field("strlist", False, ()),
    "publisher": Field("str?", False, None),
    "place": Field("str", False, ""),
    "date": Field("date", True),
    "annotation": Field("str", False, ""),
    "copyright": Field("strlist", False, ()),
    "rights": Field("str", True),
    "licence_url": Field("str", False, ""),
    "identifier": Field("str", True),
    "source_credit": Field("strlist", False, ()),
    "isbn": Field("str?", False, None),
    "udc": Field("str?", False, None),
    "bbk": Field("str?", False, None),
    "page_size": Field("str", False, "A5"),
    # How deep the contents, the EPUB nav and the PDF outline go: 1 = chapters only,
    # 2 = and their ## sections, … (one setting for all three).
    "toc_depth": Field("int", False, 2),
    "front": Field("pathlist", False, ()),
    "chapters": Field("pathlist", True),
    "appendices": Field("pathlist", False, ()),
    "bibliography": Field("path", False, None),
    "glossary": Field("path", True),
    "wordlist": Field("path", False, None),
}


@dataclass(frozen=True)
class BookConfig:
    """The validated contents of book.yaml. Paths are absolute."""

    path: Path
    root: Path  # the project directory (book.yaml's parent's parent)
    title: str
    subtitle: str
    genre: str  # the kind of edition, printed under the title («Анықтамалық басылым»)
    language: str
    authors: tuple[str, ...]
    compilers: tuple[str, ...]  # құрастырушылар: who compiled the text from its sources
    editors: tuple[str, ...]
    publisher: str | None  # None until there is one: then no line names a publisher
    place: str
    date: dt.date  # the press date: the book is current as of this day
    annotation: str  # аңдатпа, printed on the imprint page
    copyright: tuple[str, ...]  # each printed as a «© …» line
    rights: str
    licence_url: str
    identifier: str
    source_credit: tuple[str, ...]  # one paragraph each on the imprint page
    isbn: str | None
    udc: str | None
    bbk: str | None
    page_size: str
    toc_depth: int
    front: tuple[Path, ...]
    chapters: tuple[Path, ...]
    appendices: tuple[Path, ...]  # numbered «1-қосымша», after the chapters
    bibliography: Path | None  # «Пайдаланылған әдебиеттер», after the appendices
    glossary: Path
    wordlist: Path | None
    # Lines of list entries in book.yaml, so a missing chapter is reported where it is named.
    lines: dict[str, int]

    @property
    def manuscript_dir(self) -> Path:
        return self.path.parent

    @property
    def creators(self) -> tuple[str, ...]:
        """Who is named on the title: the authors, else the compilers."""
        return self.authors or self.compilers

    @property
    def parts(self) -> tuple[Path, ...]:
        """Every Markdown part, in book order."""
        back = (self.bibliography,) if self.bibliography else ()
        return self.front + self.chapters + self.appendices + back

    @property
    def styles_dir(self) -> Path:
        return self.root / "styles"

    def build_timestamp(self) -> int:
        """Seconds since the epoch for every date the outputs record.

        SOURCE_DATE_EPOCH wins (the reproducible-builds convention); otherwise the book's
        own date at midnight UTC. Never the clock, so two builds give the same bytes.
        """
        env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if env.isascii() and env.isdigit():
            if len(env) > 12 or int(env) > _LAST_SECOND:
                raise BuildError(f"SOURCE_DATE_EPOCH={shorten(env, 20)} is after the year 9999")
            return int(env)
        moment = dt.datetime.combine(self.date, dt.time(), tzinfo=dt.UTC)
        return int(moment.timestamp())


def _manuscript_path(value: str, line: int, path: Path, problems: Problems) -> Path | None:
    """A file named in book.yaml: relative to it, and inside `manuscript/` (`project`)."""
    root = Path(os.path.realpath(path.parent.parent))
    try:
        return contain(as_on_disk(path.parent / value), root, (MANUSCRIPT,))
    except OutsideProject as exc:
        problems.error("E003", path, line, f"'{shorten(value, 80)}' {exc.reason}")
        return None


# No field is shown in a place that could hold more: a title page, a running head.
MAX_FIELD = 1000


def _text(name: str, value: str, line: int, path: Path, problems: Problems) -> str | None:
    """A plain-text field as it will be shown (the templates escape it): no HTML, no
    control characters, not absurdly long."""
    if len(value) > MAX_FIELD:
        problems.error("Y004", path, line, f"'{name}' is longer than {MAX_FIELD} characters")
        return None
    return value if check_plain_text(value, name, path, line, problems) else None


_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z


def _check(name: str, field: Field, value: Any, line: int, path: Path, problems: Problems):
    """Convert one value to its field's type, or record why it cannot be."""
    kind = field.kind
    if kind == "str?" and value is None:
        return None
    if kind in ("str", "str?"):
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return _text(name, str(value), line, path, problems)
        problems.error("Y004", path, line, f"'{name}' must be a string")
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 6:
            return value
        problems.error("Y004", path, line, f"'{name}' must be a whole number from 1 to 6")
    elif kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        problems.error("Y004", path, line, f"'{name}' must be a date (YYYY-MM-DD)")
    elif kind == "path":
        if isinstance(value, str) and value:
            return _manuscript_path(value, line, path, problems)
        problems.error("Y004", path, line, f"'{name}' must be a file path")
    elif kind in ("strlist", "pathlist"):
        if isinstance(value, str) and kind == "strlist":
            text = _text(name, value, line, path, problems)
            return None if text is None else (text,)
        if not isinstance(value, list):
            problems.error("Y004", path, line, f"'{name}' must be a list")
            return None
        lines = getattr(value, "item_lines", [line] * len(value))
        out = []
        for item, item_line in zip(value, lines, strict=True):
            if not isinstance(item, str) or not item:
                problems.error(
                    "Y004", path, item_line, f"each item of '{name}' must be a string"
                )
                continue
            if kind == "pathlist":
                item = _manuscript_path(item, item_line, path, problems)
            else:
                item = _text(name, item, item_line, path, problems)
            out.append(item)
        return tuple(out)
    return None


def load_config(path: Path, problems: Problems) -> BookConfig | None:
    """Load and validate book.yaml; None if it has errors (all of them recorded)."""
    data = read_yaml(path, problems)
    if data is None:
        return None
    if not isinstance(data, LocatedDict):
        problems.error("Y003", path, getattr(data, "line", 1), "book.yaml must be a mapping")
        return None
    errors_before = len(problems.errors)
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, value in data.items():
        line = data.key_lines[key]
        field = SCHEMA.get(key) if isinstance(key, str) else None
        if field is None:
            known = ", ".join(sorted(SCHEMA))
            problems.error("Y005", path, line, f"unknown key '{key}' (known keys: {known})")
            continue
        values[key] = _check(key, field, value, line, path, problems)
        lines[key] = line
        if isinstance(value, LocatedList):
            for index, item_line in enumerate(value.item_lines):
                lines[f"{key}[{index}]"] = item_line
    for key, field in SCHEMA.items():
        if key not in data:
            if field.required:
                problems.error("Y006", path, 1, f"missing required key '{key}'")
            values[key] = field.default
    if values.get("language") not in (None, "kk"):
        problems.error("Y007", path, lines["language"], "language must be 'kk' (Kazakh)")
    if values.get("chapters") == ():
        problems.error(
            "Y004", path, lines["chapters"], "'chapters' must list at least one file"
        )
    url = values.get("licence_url")
    if url and not _WEB_ADDRESS.match(url):
        problems.error(
            "Y004", path, lines["licence_url"], "'licence_url' must be an http(s):// address"
        )
    size = values.get("page_size")
    if isinstance(size, str) and size not in PAGE_SIZES and not _is_explicit_size(size):
        problems.error("Y008", path, lines["page_size"], f"unknown page size '{size}'")
    if len(problems.errors) > errors_before:
        return None
    return BookConfig(
        path=path.resolve(),
        root=Path(os.path.realpath(path.parent.parent)),
        lines=lines,
        **{k: values[k] for k in SCHEMA},
    )


_WEB_ADDRESS = re.compile(r"^https?://[^\s<>\"'\\]+$", re.IGNORECASE)
_LENGTH = re.compile(r"^(\d{1,4}(?:\.\d{1,2})?)(mm|cm|in)$")
_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4}


def _is_explicit_size(size: str) -> bool:
    """True for a CSS size such as '148mm 210mm', between a playing card and a poster
    (a zero or a huge page would make the layout fail or never end)."""
    parts = size.split()
    if len(parts) != 2:
        return False
    for part in parts:
        match = _LENGTH.match(part)
        if not match or not 50 <= float(match[1]) * _MM[match[2]] <= 1200:
            return False
    return True
