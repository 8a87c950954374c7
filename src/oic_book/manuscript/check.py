"""`oic-book check`: every problem of the manuscript, found before anything is rendered.

The reader reports what it meets while parsing (YAML, encoding, footnotes, roles, raw
HTML, links and images); this module adds the checks that need the whole book: chapter
files, ids and links across parts, abbreviations against the glossary, glyphs against
the shipped fonts, typography, and (on request) spelling.
"""

from __future__ import annotations

from pathlib import Path

from .. import fonts
from ..errors import Problems
from ..model import Book
from . import lint
from .config import BookConfig, load_config
from .reader import read_manuscript

# Generated text may use these too (running heads, leaders, quotes the renderer writes).
_ALWAYS_NEEDED = "«»“”–—‑\u00a0.…0123456789"


def check_project(project: Path, spell: bool = False) -> tuple[Book | None, Problems]:
    """Read and check the manuscript of `project`; the book is None if there are errors."""
    problems = Problems(project)
    config = load_config(project / "manuscript" / "book.yaml", problems)
    if config is None:
        return None, problems
    check_part_files(config, problems)
    if problems.errors:
        return None, problems
    manuscript = read_manuscript(config, problems)
    book = manuscript.book
    if manuscript.complete:  # with a part missing, ids and term uses would be made up
        check_ids_and_links(book, problems)
        check_glossary_use(book, problems)
    check_text(book, project / "styles" / "fonts", problems, manuscript.glossary_terms)
    if spell:
        from ..kazakh.spelling import check_spelling

        check_spelling(book, problems)
    return (None if problems.errors else book), problems


def check_part_files(config: BookConfig, problems: Problems) -> None:
    """Every listed part exists; every Markdown file in the chapter folders is listed."""
    listed = set()
    back = (config.bibliography,) if config.bibliography else ()
    for key, paths in (
        ("front", config.front),
        ("chapters", config.chapters),
        ("appendices", config.appendices),
        ("bibliography", back),
    ):
        for index, path in enumerate(paths):
            listed.add(path)
            if not path.is_file():
                rel = (
                    path.relative_to(config.manuscript_dir)
                    if path.is_relative_to(config.manuscript_dir)
                    else path
                )
                problems.error(
                    "C001",
                    config.path,
                    config.lines.get(f"{key}[{index}]", config.lines.get(key, 1)),
                    f"{key} file '{rel}' does not exist",
                )
    if not config.glossary.is_file():
        problems.error(
            "C001", config.path, config.lines.get("glossary", 1), "glossary file does not exist"
        )
    folders = {path.parent for path in config.parts if path.parent.is_dir()}
    for folder in sorted(folders):
        for path in sorted(folder.glob("*.md")):
            if path.resolve() not in listed:
                problems.error(
                    "C002",
                    path,
                    1,
                    "Markdown file is not listed in book.yaml",
                )


def check_ids_and_links(book: Book, problems: Problems) -> None:
    """Heading ids and footnote labels are unique across the book (the print edition is
    one document); internal links point at existing ids."""
    labels: dict[str, tuple[Path, int]] = {}
    for part in book.parts:
        for note in part.footnotes:
            if note.label in labels:
                path, line = labels[note.label]
                problems.error(
                    "F005",
                    part.path,
                    note.line,
                    f"footnote label [^{note.label}] is already used in "
                    f"{problems.relative(path)}:{line}; labels are unique in the book",
                )
            else:
                labels[note.label] = (part.path, note.line)
    seen: dict[str, tuple[Path, int]] = {}
    reserved = {"titlepage", "imprint", "contents", "glossary", "index", "cover"}
    for part in book.parts:
        for heading in part.headings:
            if heading.id in seen or heading.id in reserved:
                where = seen.get(heading.id)
                first = f" (first at {problems.relative(where[0])}:{where[1]})" if where else ""
                problems.error(
                    "I001",
                    part.path,
                    heading.line,
                    f"duplicate heading id '{heading.id}'{first}",
                )
            else:
                seen[heading.id] = (part.path, heading.line)
    ids = set(seen) | reserved | {part.slug for part in book.parts}
    ids |= {note.id for part in book.parts for note in part.footnotes}
    ids |= {entry.key for entry in book.glossary}
    for part in book.parts:
        for target, line in part.links:
            if target not in ids:
                problems.error(
                    "I002", part.path, line, f"link to '#{target}', which does not exist"
                )


def check_glossary_use(book: Book, problems: Problems) -> None:
    """A glossary term that nothing refers to is probably a mistake."""
    used = {use.key for part in book.parts for use in part.terms}
    for entry in book.glossary:
        if entry.key not in used:
            problems.warning(
                "G004", entry.path, entry.line, f"glossary term '{entry.term}' is never used"
            )


def check_text(
    book: Book, fonts_dir: Path, problems: Problems, terms: frozenset[str] | None
) -> None:
    """Abbreviations, glyphs and typography of everything the author typed.

    `terms` are all the terms the glossary names, even in malformed entries; without a
    readable glossary (None) abbreviations are not checked, as every one would be reported.
    """
    glossary_ok = terms is not None
    terms = terms or frozenset()
    covered = fonts.coverage(fonts_dir)
    # As characters plus "\n", so that each line's uncovered ones are one set difference.
    covered_chars = frozenset(map(chr, covered)) | {"\n"}
    missing_abbreviations: set[tuple[Path, int, str]] = set()
    sources = [(part.path, part.texts) for part in book.parts]
    sources += [
        (entry.path, ((entry.line, f"{entry.term} {entry.expansion} {entry.definition_html}"),))
        for entry in book.glossary
    ]
    for path, texts in sources:
        for line, text in texts:
            for abbreviation in lint.abbreviations(text) if glossary_ok else ():
                if (
                    abbreviation not in terms
                    and (path, line, abbreviation) not in missing_abbreviations
                ):
                    missing_abbreviations.add((path, line, abbreviation))
                    problems.error(
                        "A001",
                        path,
                        line,
                        f"abbreviation '{abbreviation}' is not in the glossary",
                    )
            for char in sorted(set(text) - covered_chars):
                problems.error(
                    "U001",
                    path,
                    line,
                    f"character U+{ord(char):04X} ({char!r}) is not in the shipped fonts",
                )
            if path.suffix == ".md":
                lint.check_typography(text, path, line, problems)
    for char in _ALWAYS_NEEDED:
        if ord(char) not in covered:
            problems.error(
                "U001", fonts_dir, 1, f"fonts lack U+{ord(char):04X}, which the book uses"
            )
