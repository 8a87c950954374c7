"""The book as plain data: frozen dataclasses that do no I/O.

Each object carries the path and line it was read from, so any later stage can report a
problem where the author can fix it. Body HTML holds three placeholder elements
(`<oic-note>`, `<oic-term>`, `<oic-index>`) that `render` expands differently for print
and for the EPUB; everything else in it is final.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .manuscript.config import BookConfig
from .manuscript.images import ImageFile


@dataclass(frozen=True)
class Heading:
    """A section heading inside a part (level 2 and below)."""

    id: str
    level: int
    title: str  # plain text, for the outline and the contents
    title_html: str
    line: int


@dataclass(frozen=True)
class Footnote:
    """A note, numbered from 1 in each part in the order of its first reference."""

    label: str  # the author's `[^label]`
    number: int
    paragraphs: tuple[str, ...]  # inline HTML of each paragraph
    line: int

    @property
    def id(self) -> str:
        return f"fn-{_label_key(self.label)}"

    @property
    def ref_id(self) -> str:
        return f"fnref-{_label_key(self.label)}"


def _label_key(label: str) -> str:
    """A footnote label as it can stand in an id and a URL: itself if it is plain ASCII,
    else its plain characters and a short hash (a label may be «ескерту», `a&b` or `a"b`).
    """
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", label):
        return label
    plain = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:32]
    digest = hashlib.sha256(label.encode()).hexdigest()[:8]
    return f"{plain}-{digest}" if plain else digest


@dataclass(frozen=True)
class TermUse:
    """A `{term}` reference in the text."""

    key: str  # GlossaryEntry.key
    anchor: str  # id of the reference in the text
    first_in_part: bool  # the first use in its part links to the glossary
    line: int


@dataclass(frozen=True)
class IndexMark:
    """An `{index}` mark, or a use of a glossary term that belongs in the index."""

    headword: str
    anchor: str
    line: int


@dataclass(frozen=True)
class Part:
    """A preface, a chapter, an appendix or the bibliography: one Markdown file, one EPUB
    document."""

    kind: Literal["front", "chapter", "appendix", "bibliography"]
    number: int | None  # chapter or appendix number; None for front matter and bibliography
    slug: str  # document name and id of its title: "preface", "ch1", …
    title: str
    title_html: str
    body_html: str
    headings: tuple[Heading, ...]
    footnotes: tuple[Footnote, ...]
    terms: tuple[TermUse, ...]
    index_marks: tuple[IndexMark, ...]
    texts: tuple[tuple[int, str], ...]  # (line, Kazakh text as typed), for the checks
    links: tuple[tuple[str, int], ...]  # (target id, line) of every internal link
    path: Path
    line: int
    # Text in other languages or scripts, and code: checked for glyphs only.
    other_texts: tuple[tuple[int, str], ...] = ()
    figures: tuple[str, ...] = ()  # ids of the numbered figures, in order
    tables: tuple[str, ...] = ()  # ids of the captioned (numbered) tables, in order
    images: tuple[ImageFile, ...] = ()
    ids: tuple[tuple[str, int], ...] = ()  # (id, line) of every id the author gave


@dataclass(frozen=True)
class GlossaryEntry:
    """A glossary term with its definition (and expansion, for an abbreviation)."""

    term: str
    key: str  # ASCII id, stable across builds
    expansion: str
    definition_html: str
    in_index: bool
    path: Path
    line: int
    links: tuple[tuple[str, int], ...] = ()  # (target id, line) of internal links


@dataclass(frozen=True)
class Occurrence:
    """Where an index headword or glossary term is used: document and anchor."""

    part: str
    anchor: str


@dataclass(frozen=True)
class IndexEntry:
    """A headword of the index of names with every place it occurs."""

    headword: str
    occurrences: tuple[Occurrence, ...]


@dataclass(frozen=True)
class Book:
    """The whole manuscript, read and checked, ready to render."""

    config: BookConfig
    front: tuple[Part, ...]
    chapters: tuple[Part, ...]
    glossary: tuple[GlossaryEntry, ...]  # in Kazakh alphabetical order
    index: tuple[IndexEntry, ...]  # in Kazakh alphabetical order
    back: tuple[Part, ...] = ()  # appendices, then the bibliography

    @property
    def parts(self) -> tuple[Part, ...]:
        return self.front + self.chapters + self.back

    @property
    def images(self) -> tuple[ImageFile, ...]:
        """Every image file of the book, once each, in reading order."""
        seen: dict[str, ImageFile] = {}
        for part in self.parts:
            for image in part.images:
                seen.setdefault(image.name, image)
        return tuple(seen.values())

    def numbers(self) -> dict[str, int]:
        """The number of each figure and captioned table, counted through the book."""
        numbers: dict[str, int] = {}
        for kind in ("figures", "tables"):
            ids = [i for part in self.parts for i in getattr(part, kind)]
            numbers.update({anchor: n for n, anchor in enumerate(ids, start=1)})
        return numbers

    def term_uses(self, key: str) -> tuple[Occurrence, ...]:
        """Every use of a glossary term, in reading order."""
        return tuple(
            Occurrence(part.slug, use.anchor)
            for part in self.parts
            for use in part.terms
            if use.key == key
        )
