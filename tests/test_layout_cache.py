"""The layout cache: a build lays out again only what changed, and a damaged, stale or
misplaced cache never gives a wrong book (it is detected, and the chunks laid out again).

Every cached build here is compared, byte for byte, with a build of the same sources
from no cache at all.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path

import pypdfium2
import pytest
from chunkbook import make_book

from oic_book.build import build
from oic_book.editions import chunks, layout_cache
from oic_book.manuscript.check import check_project

ROOT = Path(__file__).resolve().parent.parent
LAID_OUT = re.compile(r"(\d+) of (\d+) chunks laid out \(([^)]*)\)")
# About half a page: one step never fills more than the page left and the blank verso.
FILLER = " ".join(["Бұл сөйлем беттерді толтыру үшін қосылды."] * 25)


class Built:
    """A build's outputs, its log, and the chunks it laid out (not found in the cache)."""

    def __init__(self, pdf: bytes, epub: bytes | None, log: str) -> None:
        self.pdf, self.epub, self.log = pdf, epub, log
        match = LAID_OUT.search(log)
        assert match, log
        self.laid_out = [name for name in match[3].split(", ") if name]
        assert len(self.laid_out) == int(match[1])

    def pages(self) -> list[str]:
        document = pypdfium2.PdfDocument(self.pdf)
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _build(project: Path, out: Path, formats=("pdf", "epub")) -> Built:
    logger = logging.getLogger("oic_book")
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        result = build(project, out, formats=formats)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    epub = result.epub.read_bytes() if "epub" in formats else None
    return Built(result.pdf.read_bytes(), epub, "\n".join(handler.lines))


def _copy(source: Path, destination: Path, cache: bool = True, same_key: bool = True) -> Path:
    """A copy of a project; with its cache, whose key is the same file (a hard link) unless
    `same_key` is false: then the copy's key file is another file with the same bytes, as
    a cache committed with the sources and checked out elsewhere would be."""
    ignored = ("dist",) if cache else (".cache", "dist")
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(*ignored))
    if cache and same_key:
        (destination / layout_cache.KEY).unlink()
        os.link(source / layout_cache.KEY, destination / layout_cache.KEY)
    return destination


def _fresh(project: Path, tmp_path: Path) -> Built:
    """The same sources built from no cache."""
    copy = _copy(project, tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}", cache=False)
    fresh = _build(copy, copy / "dist")
    assert "front" in fresh.laid_out
    return fresh


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    project = make_book(tmp_path_factory.mktemp("cached"), chapters=6, seed=7)
    shutil.copytree(ROOT / "styles", project / "styles")
    return project


@pytest.fixture(scope="module")
def original(source) -> Built:
    """The generated book built once from no cache; it leaves its cache in `source`."""
    built = _build(source, source / "dist")
    assert "front" in built.laid_out
    return built


def _chapters(project: Path) -> list[Path]:
    return sorted((project / "manuscript" / "chapters").glob("*.md"))


def _entries(project: Path) -> list[Path]:
    return sorted((project / layout_cache.FOLDER).glob("*.entry"))


def _starts(built: Built) -> dict[int, int]:
    """Chapter number → the page it starts on."""
    starts = {}
    for number, text in enumerate(built.pages(), start=1):
        if match := re.match(r"(\d+)-тарау", text):
            starts.setdefault(int(match[1]), number)
    return starts


def _grow(chapter: Path) -> None:
    chapter.write_text(chapter.read_text(encoding="utf-8") + f"\n\n{FILLER}\n", "utf-8")


def test_an_unchanged_book_is_laid_out_from_the_cache(source, original, tmp_path):
    project = _copy(source, tmp_path / "book")
    assert _entries(project)
    built = _build(project, tmp_path / "dist")
    assert built.laid_out == []
    assert (built.pdf, built.epub) == (original.pdf, original.epub)


def test_one_word_lays_out_only_its_chunk(source, original, tmp_path):
    project = _copy(source, tmp_path / "book")
    chapter = _chapters(project)[3]
    text = chapter.read_text(encoding="utf-8")
    # A word of a paragraph for one as long: nothing moves to another page.
    paragraph = next(
        line for line in text.splitlines() if len(line) > 200 and not line.startswith("[^")
    )
    word = next(w for w in paragraph.split() if w.isalpha() and len(w) > 6)
    chapter.write_text(text.replace(word, word[::-1], 1), encoding="utf-8")
    built = _build(project, tmp_path / "dist")
    assert len(built.laid_out) == 1 and built.laid_out[0].startswith("parts"), built.laid_out
    fresh = _fresh(project, tmp_path)
    assert built.pdf != original.pdf
    assert (built.pdf, built.epub) == (fresh.pdf, fresh.epub)


def test_growing_into_the_blank_verso_moves_nothing_after(source, original, tmp_path):
    """Chapters start on right-hand pages: a chapter one page longer fills the blank page
    before the next chapter, no page number after it changes, and nothing after it is laid
    out again; grown further, it moves every page after it, and they are laid out again."""
    project = _copy(source, tmp_path / "book")
    starts, pages = _starts(original), original.pages()
    number = next(n for n in sorted(starts)[:-1] if not pages[starts[n + 1] - 2].strip())
    chapter = _chapters(project)[number - 1]
    for attempt in range(20):
        _grow(chapter)
        probe = _build(project, tmp_path / f"grown-{attempt}", formats=("pdf",))
        assert _starts(probe)[number + 1] == starts[number + 1], "past the verso at once"
        if probe.pages()[starts[number + 1] - 2].strip():
            break  # the blank verso now has text
    else:
        pytest.fail("the chapter never reached its blank verso")
    assert len(probe.laid_out) == 1 and probe.laid_out[0].startswith("parts"), probe.laid_out
    built = _build(project, tmp_path / "grown")
    fresh = _fresh(project, tmp_path)
    assert (built.pdf, built.epub) == (fresh.pdf, fresh.epub)

    for attempt in range(20):
        _grow(chapter)
        probe = _build(project, tmp_path / f"past-{attempt}", formats=("pdf",))
        if _starts(probe)[number + 1] != starts[number + 1]:
            break
    book, _ = check_project(project)
    plan = chunks.plan(book)
    index = next(i for i, c in enumerate(plan) if chapter in {p.path for p in c.parts})
    assert {c.name for c in plan[index:]} | {"front"} <= set(probe.laid_out)
    assert not {c.name for c in plan[1:index]} & set(probe.laid_out)
    built = _build(project, tmp_path / "past")
    fresh = _fresh(project, tmp_path)
    assert (built.pdf, built.epub) == (fresh.pdf, fresh.epub)


def test_a_damaged_cache_is_detected_and_the_book_is_right(source, original, tmp_path):
    project = _copy(source, tmp_path / "book")
    garbled = False
    for number, entry in enumerate(_entries(project)):
        data = entry.read_bytes()
        header = data.index(b"\n") + 1
        if len(data) > header:  # a laid-out chunk: its PDF damaged
            if number % 2:
                entry.write_bytes(data[: (header + len(data)) // 2])  # cut short
            else:
                middle = (header + len(data)) // 2
                entry.write_bytes(data[:middle] + b"X" + data[middle + 1 :])  # one byte
        elif not garbled:  # one page count: not an entry at all
            entry.write_bytes(b"\x89PNG not an entry at all")
            garbled = True
    built = _build(project, tmp_path / "dist")
    assert "damaged" in built.log and "unreadable" in built.log
    assert "front" in built.laid_out
    assert (built.pdf, built.epub) == (original.pdf, original.epub)


def test_an_entry_that_lies_about_its_page_count_is_caught(source, original, tmp_path):
    """An entry whose header is well formed but wrong (as from a layout the fingerprint
    did not tell apart) is caught when a chunk it numbered is laid out, and the book is
    made again without the cache."""
    project = _copy(source, tmp_path / "book")
    # Signed again with this checkout's key: an entry the build itself wrote.
    signer = layout_cache.LayoutCache(
        project / layout_cache.FOLDER,
        "",
        signing_key=layout_cache._signing_key(project / layout_cache.KEY),
    )
    lied = 0
    for entry in _entries(project):
        line, rest = entry.read_bytes().split(b"\n", 1)
        header = json.loads(line)
        if "pages" in header:
            header["pages"] += 2
            del header["mac"]
            header["mac"] = signer._sign(header, rest)
            entry.write_bytes(json.dumps(header).encode() + b"\n" + rest)
            lied += 1
    assert lied
    built = _build(project, tmp_path / "dist")
    assert "laying out without it" in built.log
    assert (built.pdf, built.epub) == (original.pdf, original.epub)


def test_entries_written_elsewhere_are_not_trusted(source, original, tmp_path):
    """A cache that came with the sources (committed, copied from another machine) may
    have been written by anyone: its entries' PDFs would go into the book as they are.
    Here every laid-out chunk's PDF is replaced by another chunk's, and its header made
    consistent again, as a forger who knows the format would; the key file's bytes come
    along. Not one entry is used, and the book is the one its sources make."""
    project = _copy(source, tmp_path / "book", same_key=False)
    entries = {}
    for entry in _entries(project):
        line, pdf = entry.read_bytes().split(b"\n", 1)
        if pdf:
            entries[entry] = (json.loads(line), pdf)
    assert len(entries) >= 2
    pdfs = [pdf for _header, pdf in entries.values()]
    for (entry, (header, _pdf)), forged in zip(entries.items(), pdfs[1:] + pdfs[:1]):
        header["length"] = len(forged)
        entry.write_bytes(json.dumps(header).encode() + b"\n" + forged)
    built = _build(project, tmp_path / "dist")
    assert len(built.laid_out) == len(chunks.plan(check_project(project)[0]))
    assert "not written here" in built.log
    assert (built.pdf, built.epub) == (original.pdf, original.epub)
    # The entries written now are this checkout's, and are used next time.
    again = _build(project, tmp_path / "dist-again")
    assert again.laid_out == []


def test_a_key_file_that_is_a_link_is_not_followed(source, original, tmp_path):
    project = _copy(source, tmp_path / "book", cache=False)
    secret = tmp_path / "secret"
    secret.write_bytes(bytes(32))
    (project / layout_cache.KEY).parent.mkdir(parents=True)
    (project / layout_cache.KEY).symlink_to(secret)
    built = _build(project, tmp_path / "dist", formats=("pdf",))
    assert "cannot be used" in built.log
    assert not _entries(project)
    assert built.pdf == original.pdf


def test_a_changed_style_sheet_misses_the_whole_cache(source, original, tmp_path):
    project = _copy(source, tmp_path / "book")
    css = project / "styles" / "print.css"
    css.write_text(css.read_text(encoding="utf-8").replace("orphans: 2", "orphans: 3"))
    built = _build(project, tmp_path / "dist", formats=("pdf",))
    assert len(built.laid_out) == len(chunks.plan(check_project(project)[0]))


def test_a_deleted_cache_is_made_again(source, original, tmp_path):
    project = _copy(source, tmp_path / "book", cache=False)
    built = _build(project, tmp_path / "dist")
    assert "front" in built.laid_out and _entries(project)
    assert (built.pdf, built.epub) == (original.pdf, original.epub)


def test_a_cache_folder_that_leads_elsewhere_is_not_used(source, original, tmp_path):
    project = _copy(source, tmp_path / "book", cache=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / ".cache").symlink_to(elsewhere, target_is_directory=True)
    built = _build(project, tmp_path / "dist", formats=("pdf",))
    assert "not a folder of the project" in built.log
    assert not any(elsewhere.rglob("*"))
    assert built.pdf == original.pdf


def test_entries_the_book_no_longer_uses_are_removed(source, original, tmp_path):
    project = _copy(source, tmp_path / "book")
    before = set(_entries(project))
    chapter = _chapters(project)[0]
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("## ", "## Жаңа ", 1))
    _build(project, tmp_path / "dist", formats=("pdf",))
    after = set(_entries(project))
    assert before - after and after - before
    assert not list((project / layout_cache.FOLDER).glob(".tmp-*"))
