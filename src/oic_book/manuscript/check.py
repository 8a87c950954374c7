"""`oic-book check`: every problem of the manuscript, found before anything is rendered.

The reader reports what it meets while parsing (YAML, encoding, footnotes, roles, raw
HTML, links and images); this module adds the checks that need the whole book: chapter
files, ids and links across parts, abbreviations against the glossary, glyphs against
the shipped fonts, typography, and (on request) spelling.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import fonts
from ..errors import Problems, shorten
from ..model import Book
from ..project import MANUSCRIPT, STYLES, OutsideProject, contain
from . import lint
from .config import BookConfig, load_config
from .reader import read_manuscript
from .sources import read_bytes

# Generated text may use these too (running heads, leaders, quotes the renderer writes).
_ALWAYS_NEEDED = "«»“”–—‑\u00a0.…0123456789"


@dataclass
class CheckCache:
    """What `oic-book serve` keeps between two checks of the same project, so that a save
    re-reads and re-checks only the files that changed (see `reader.read_manuscript`)."""

    parts: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)


def check_project(
    project: Path, spell: bool = False, cache: CheckCache | None = None
) -> tuple[Book | None, Problems]:
    """Read and check the manuscript of `project`; the book is None if there are errors."""
    problems = Problems(project)
    config = load_config(project / "manuscript" / "book.yaml", problems)
    if config is None:
        return None, problems
    check_styles(project, problems)
    errors_before = len(problems.errors)
    check_part_files(config, problems)
    if len(problems.errors) > errors_before:
        return None, problems
    manuscript = read_manuscript(config, problems, cache.parts if cache else None)
    book = manuscript.book
    if manuscript.complete:  # with a part missing, ids and term uses would be made up
        check_ids_and_links(book, problems)
        check_glossary_use(book, problems)
    check_text(
        book,
        project / "styles",
        problems,
        manuscript.glossary_terms,
        cache.texts if cache else None,
    )
    if spell:
        from ..kazakh.spelling import check_spelling

        check_spelling(book, problems)
    return (None if problems.errors else book), problems


STYLESHEETS = ("base.css", "print.css", "epub.css", "web.css")


def css_references(text: str) -> Iterator[tuple[str, str, int]]:
    """Every ("url" | "import" | "local", value, line) of a stylesheet, nested rules too."""
    import tinycss2

    def walk(tokens, in_import=False):
        for token in tokens or ():
            if token.type == "url":
                yield ("import" if in_import else "url"), token.value, token.source_line
            elif token.type == "function":
                name = token.lower_name
                if name in ("url", "local"):
                    strings = [t for t in token.arguments if t.type == "string"]
                    value = strings[0].value if strings else tinycss2.serialize(token.arguments)
                    kind = "local" if name == "local" else ("import" if in_import else "url")
                    yield kind, value.strip(), token.source_line
                else:
                    yield from walk(token.arguments, in_import)
            elif token.type == "string" and in_import:
                yield "import", token.value, token.source_line
            elif token.type in ("() block", "[] block", "{} block"):
                yield from walk(token.content, in_import)
            elif token.type in ("at-rule", "qualified-rule"):
                importing = token.type == "at-rule" and token.lower_at_keyword == "import"
                yield from walk(token.prelude, importing)
                yield from walk(token.content)

    yield from walk(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True))


def check_styles(project: Path, problems: Problems) -> None:
    """The stylesheets, and everything they import or use, are files inside `styles/`.

    The PDF's URL fetcher and the EPUB packager refuse anything else too; this finds it
    before anything is rendered, at its line.
    """
    styles = Path(project) / STYLES
    queue = [styles / name for name in STYLESHEETS]
    seen: set[Path] = set()
    while queue:
        css = queue.pop(0)
        if css in seen:  # stylesheets that import each other
            continue
        seen.add(css)
        data = read_bytes(css, problems, (STYLES,))
        if data is None:
            continue
        for kind, url, line in css_references(data.decode("utf-8", "replace")):
            shown = shorten(url, 80)
            if kind == "local":
                problems.error(
                    "E003", css, line, f"local({shown}) would use a font of the machine"
                )
                continue
            if url.startswith("#") or not url:
                continue
            if urlsplit(url).scheme or url.startswith(("/", "\\")):
                problems.error(
                    "L001", css, line, f"stylesheet refers outside the project: {shown}"
                )
                continue
            target = css.parent / unquote(url.split("#")[0].split("?")[0])
            try:
                target = contain(target, project, (STYLES,))
            except OutsideProject as exc:
                problems.error("E003", css, line, f"'{shown}' {exc.reason}")
                continue
            if not target.is_file():
                problems.error("E001", css, line, f"file not found: {shown}")
            elif kind == "import":
                queue.append(target)


def check_part_files(config: BookConfig, problems: Problems) -> None:
    """Every listed part exists; every Markdown file in the chapter folders is listed."""
    listed: dict[Path, int] = {}
    back = (config.bibliography,) if config.bibliography else ()
    for key, paths in (
        ("front", config.front),
        ("chapters", config.chapters),
        ("appendices", config.appendices),
        ("bibliography", back),
    ):
        for index, path in enumerate(paths):
            line = config.lines.get(f"{key}[{index}]", config.lines.get(key, 1))
            if path in listed:  # the same file twice (or by a second name, a link)
                problems.error(
                    "C003",
                    config.path,
                    line,
                    f"'{problems.relative(path)}' is already listed at line {listed[path]}",
                )
                continue
            listed[path] = line
            if not path.is_file():
                rel = (
                    path.relative_to(config.manuscript_dir)
                    if path.is_relative_to(config.manuscript_dir)
                    else path
                )
                what = "is not a regular file" if path.exists() else "does not exist"
                problems.error(
                    "C001",
                    config.path,
                    config.lines.get(f"{key}[{index}]", config.lines.get(key, 1)),
                    f"{key} file '{rel}' {what}",
                )
    if not config.glossary.is_file():
        problems.error(
            "C001", config.path, config.lines.get("glossary", 1), "glossary file does not exist"
        )
    folders = {path.parent for path in config.parts if path.parent.is_dir()}
    for folder in sorted(folders):
        for path in sorted(folder.glob("*.md")):
            try:
                real = contain(path, config.root, (MANUSCRIPT,))
            except OutsideProject:
                real = path  # not read, so not listed; said as much below
            if real not in listed:
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
    # Every id the author gave (on any element) and every heading's id, once in the book.
    # The builder's own ids cannot collide: authors may not use their forms (I003).
    seen: dict[str, tuple[Path, int]] = {}
    for part in book.parts:
        heading_ids = {(heading.id, heading.line) for heading in part.headings}
        named = [(h.id, h.line, "heading id") for h in part.headings]
        named += [(i, line, "id") for i, line in part.ids if (i, line) not in heading_ids]
        for element_id, line, what in named:
            if element_id in seen:
                where = seen[element_id]
                problems.error(
                    "I001",
                    part.path,
                    line,
                    f"duplicate {what} '{element_id}' (first at "
                    f"{problems.relative(where[0])}:{where[1]})",
                )
            else:
                seen[element_id] = (part.path, line)
    reserved = {"titlepage", "imprint", "contents", "glossary", "index", "cover"}
    ids = set(seen) | reserved | {part.slug for part in book.parts}
    ids |= {note.id for part in book.parts for note in part.footnotes}
    ids |= {entry.key for entry in book.glossary}
    links = [(part.path, target, line) for part in book.parts for target, line in part.links]
    links += [(e.path, target, line) for e in book.glossary for target, line in e.links]
    for path, target, line in links:
        if target not in ids:
            problems.error(
                "I002", path, line, f"link to '#{shorten(target, 60)}', which does not exist"
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
    book: Book,
    styles_dir: Path,
    problems: Problems,
    terms: frozenset[str] | None,
    cache: dict | None = None,
) -> None:
    """Abbreviations, glyphs and typography of everything the author typed.

    `terms` are all the terms the glossary names, even in malformed entries; without a
    readable glossary (None) abbreviations are not checked, as every one would be reported.
    `cache` keeps the problems of each file's text, for a caller that checks again (the
    live preview): only the texts that changed are checked again.
    """
    try:
        covered = fonts.coverage(styles_dir)
    except OutsideProject as exc:
        problems.error("E003", exc.path, 1, f"font file {exc.reason}")
        return
    except OSError as exc:
        problems.error(
            "E001", exc.filename or styles_dir, 1, f"cannot read font: {exc.strerror}"
        )
        return
    # As characters plus "\n", so that each line's uncovered ones are one set difference.
    covered_chars = frozenset(map(chr, covered)) | {"\n"}
    # (path, texts checked for glyphs only, texts checked for glyphs and abbreviations)
    sources = [(part.path, part.other_texts, part.texts) for part in book.parts]
    sources += [
        (
            entry.path,
            (),
            ((entry.line, f"{entry.term} {entry.expansion} {entry.definition_html}"),),
        )
        for entry in book.glossary
    ]
    if cache is None:
        for source in sources:
            _check_source(source, covered_chars, terms, problems)
    else:
        found: dict = {}
        for source in sources:
            key = (source, terms, covered)
            if key not in cache:
                own = Problems(problems.root)
                _check_source(source, covered_chars, terms, own)
                cache[key] = own.items
            found[key] = cache[key]
            problems.items.extend(cache[key])
        cache.clear()  # keep only this version of each file
        cache.update(found)
    for char in _ALWAYS_NEEDED:
        if ord(char) not in covered:
            problems.error(
                "U001",
                styles_dir / fonts.FACES_STYLESHEET,
                1,
                f"the shipped fonts lack U+{ord(char):04X}, which the builder writes",
            )


def _check_source(source, covered_chars, terms: frozenset[str] | None, problems) -> None:
    """Glyphs and abbreviations of one file's texts (see `check_text`)."""
    path, other_texts, texts = source
    for line, text in other_texts:
        missing = set(text) - covered_chars
        if missing:
            report_missing_glyphs(text, missing, path, line, problems)
    reported: set[tuple[int, str]] = set()
    for line, text in texts:
        for abbreviation in lint.abbreviations(text) if terms is not None else ():
            if abbreviation not in terms and (line, abbreviation) not in reported:
                reported.add((line, abbreviation))
                problems.error(
                    "A001", path, line, f"abbreviation '{abbreviation}' is not in the glossary"
                )
        missing = set(text) - covered_chars
        if missing:
            report_missing_glyphs(text, missing, path, line, problems)


def _missing_runs(text: str, missing: set[str]) -> list[str]:
    """Runs of characters without a glyph; white space inside a run does not end it."""
    runs: list[str] = []
    current = ""
    gap = ""
    for char in text:
        if char in missing:
            current += gap + char
            gap = ""
        elif current and char.isspace() and char != "\n":
            gap += char
        elif current:
            runs.append(current)
            current, gap = "", ""
    if current:
        runs.append(current)
    return runs


def report_missing_glyphs(
    text: str, missing: set[str], path: Path, line: int, problems: Problems
) -> None:
    """One U001 per run of characters the fonts cannot draw, saying what to do."""
    for run in _missing_runs(text, missing):
        chars = sorted({c for c in run if c in missing})
        scripts = ", ".join(dict.fromkeys(fonts.script_of(c) for c in chars))
        codes = f"U+{ord(chars[0]):04X}" + (
            f"–U+{ord(chars[-1]):04X}" if len(chars) > 1 else ""
        )
        shown = run if len(run) <= 24 else run[:23] + "…"
        problems.error(
            "U001",
            path,
            line,
            f"{len(chars)} character(s) {shown!r} ({scripts}, {codes}) have no glyph in the "
            "shipped fonts; leave them out, or add a font that has them to styles/fonts/ "
            "with an @font-face rule in styles/base.css",
        )
