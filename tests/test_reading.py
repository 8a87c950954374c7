"""The EPUB in a reading engine: epub.js in headless Chromium, at a phone's width
(390 × 844 CSS px), paginated as a phone reader shows it, every document of the real book
and of the every-element book, at the default text size and at 150 % and 200 %.

What a reader would see and a validator cannot: word gaps, clipped words and pictures,
note calls too small to tap or that lead elsewhere, text drawn in a font the book does not
embed. The engine and its measurements are in tests/reading.py and tests/reader/.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from reading import GAP_LIMIT_EM, READER, Reader, wide_gap_share

BOOKS = ["built", "every_element"]
SIZES = ["100%", "150%", "200%"]
MAX_WIDE_GAP_SHARE = 0.05  # of the lines with two words or more
MIN_TARGET = 24  # CSS px, WCAG 2.2 success criterion 2.5.8


@pytest.fixture(scope="module")
def layouts(request, browser):
    """(book, text size) → the measured layout of every document, measured once."""
    measured = {}

    def get(book: str, size: str):
        if (book, size) not in measured:
            epub = request.getfixturevalue(book).result.epub
            reader = Reader(browser, epub, font_size=size)
            measured[book, size] = reader.measure_all()
            reader.close()
        return measured[book, size]

    return get


@pytest.mark.parametrize("size", ["100%", "150%"])
@pytest.mark.parametrize("book", BOOKS)
def test_few_lines_have_wide_word_gaps(layouts, book, size):
    """At most 5 % of the lines have a gap between words over 1 em (justified text with
    no Kazakh hyphenation had 31 % in the chapters, 50 % at 150 %)."""
    wide, total = wide_gap_share(layouts(book, size))
    assert total >= 50
    worst = sorted(
        (line for doc in layouts(book, size) for line in doc.lines),
        key=lambda line: -line.widest,
    )[:3]
    assert wide / total <= MAX_WIDE_GAP_SHARE, (wide, total, worst, GAP_LIMIT_EM)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("book", BOOKS)
def test_nothing_is_clipped(layouts, book, size):
    """No word runs past its page's edge, no picture is wider or taller than a page."""
    clipped = {doc.href: doc.clipped for doc in layouts(book, size) if doc.clipped}
    assert not clipped


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("book", BOOKS)
def test_note_calls_are_24_px_targets(layouts, book, size):
    calls = [call for doc in layouts(book, size) for call in doc.note_calls]
    assert calls
    small = [(call.id, call.target) for call in calls if call.target < MIN_TARGET]
    assert not small


def test_note_calls_look_like_superscript_numbers(layouts):
    """The target grew, the look did not: the call's number is set small."""
    for doc in layouts("built", "100%"):
        for call in doc.note_calls:
            assert call.height < 2 * MIN_TARGET


def test_every_document_fits_its_pages(layouts):
    """The cover takes one page; nothing makes an empty page after it."""
    cover = next(doc for doc in layouts("built", "100%") if doc.href == "cover.xhtml")
    assert cover.column["pages"] == 1


@pytest.mark.parametrize("book", BOOKS)
def test_note_calls_land_on_their_notes(request, browser, book):
    """Tapping a note call shows the page where its note is."""
    reader = Reader(browser, request.getfixturevalue(book).result.epub)
    try:
        followed = 0
        for href in reader.hrefs:
            for call in reader.measure(href).note_calls:
                landing = reader.follow_note_call(href, call.id)
                assert landing["visible"], (href, call.id, landing)
                followed += 1
        assert followed >= 3
    finally:
        reader.close()


@pytest.mark.parametrize("book", BOOKS)
def test_text_is_drawn_in_embedded_fonts_only(request, browser, book):
    """Every glyph Chromium draws comes from a font the EPUB embeds, never the system."""
    reader = Reader(browser, request.getfixturevalue(book).result.epub)
    try:
        for href in reader.hrefs:
            reader.show(href)
            fonts = reader.platform_fonts()
            system = {
                family: glyphs for (family, custom), glyphs in fonts.items() if not custom
            }
            assert not system, (href, system)
    finally:
        reader.close()


def test_vendored_reader_is_the_published_one():
    """tests/reader/vendor holds the npm packages' files unchanged (README's hashes)."""
    readme = (READER / "vendor" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.MULTILINE)
    assert len(rows) == 2
    for name, digest in rows:
        data = Path(READER / "vendor" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
