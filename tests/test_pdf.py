"""The print edition, checked by its properties with pypdf and pypdfium2."""

from __future__ import annotations

import re

import pdftext
import pytest
from pypdf import PdfReader

from oic_book.kazakh import locale


@pytest.fixture(scope="module")
def reader(built):
    return PdfReader(built.result.pdf)


@pytest.fixture(scope="module")
def raw_pages(built):
    return pdftext.page_texts(built.result.pdf)


@pytest.fixture(scope="module")
def page_texts(raw_pages):
    """The text of every page, with line breaks, hyphenation and spaces removed."""
    return [squash(text) for text in raw_pages]


def squash(text: str) -> str:
    """Text with no spaces, breaks or hyphens, so layout does not affect a search."""
    return re.sub(r"[\s\u00a0\u2010\u2011\u00ad-]+", "", text)


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_page_count_and_size(built, reader):
    assert len(reader.pages) >= 15
    assert built.result.pages == len(reader.pages)
    box = reader.pages[0].mediabox
    if built.book.config.page_size == "A5":  # 148 × 210 mm = 419.5 × 595.3 pt
        assert round(float(box.width)) == 420 and round(float(box.height)) == 595


def test_metadata(built, reader):
    info = reader.metadata
    assert info.title == built.book.config.title
    assert built.book.config.creators[0] in info.author
    assert reader.trailer["/Root"]["/Lang"] == "kk"


def test_every_font_is_shipped_embedded_and_subset(built, project_root):
    from oic_book.fonts import font_faces

    # WeasyPrint names an embedded font after its @font-face family ("Noto Serif").
    families = "|".join(
        re.escape(face.family.replace(" ", "-")) for face in font_faces(project_root / "styles")
    )
    listed = pdftext.fonts(built.result.pdf)
    assert listed, "no fonts listed"
    for font in listed:
        assert re.fullmatch(
            rf"[A-Z]{{6}}\+({families})(-Bold|-Italic|-BoldItalic)?", font.name
        ), font
        assert font.embedded and font.subset and font.unicode, font


def _outline_titles(reader, items=None, depth=0, out=None):
    out = [] if out is None else out
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            _outline_titles(reader, item, depth + 1, out)
        else:
            out.append((depth, item.title, reader.get_destination_page_number(item) + 1))
    return out


def test_outline_has_every_chapter_and_section(built, reader):
    outline = _outline_titles(reader)
    titles = [title for _, title, _ in outline]
    for part in built.book.parts:
        assert any(part.title in title for title in titles), part.title
        for heading in part.headings:
            # the outline goes as deep as the contents: book.yaml toc_depth
            if heading.level <= built.book.config.toc_depth:
                assert heading.title in titles, heading.title
            else:
                assert heading.title not in titles, heading.title
    assert any(title == locale.labels()["glossary"] for title in titles)


def test_contents_page_numbers_match_the_pages_of_the_headings(
    built, reader, page_texts, raw_pages
):
    """Every number in the contents is the page where that heading really is."""
    contents_page = next(
        i for i, text in enumerate(page_texts) if text.startswith(squash("Мазмұны"))
    )
    lines = raw_pages[contents_page] + "\n" + raw_pages[contents_page + 1]
    entries: dict[str, int] = {}
    pending = ""  # a title that wraps: its first lines carry no leader
    for line in lines.splitlines():
        match = re.match(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", line)
        if match:
            entries[squash(pending + match[1])] = int(match[2])
            pending = ""
        elif line.strip() and not line.strip().isdigit() and entries:
            pending += line.strip()
    checked = 0
    for part in built.book.parts:
        for title in [part.title, *(h.title for h in part.headings if h.level == 2)]:
            key = next((k for k in entries if k.endswith(squash(title))), None)
            assert key is not None, f"contents entry missing: {title}"
            page = entries[key]
            assert squash(title) in page_texts[page - 1], f"{title} is not on page {page}"
            # and it is the first page that carries the heading after the contents
            assert page - 1 > contents_page
            checked += 1
    assert checked >= 8


def test_page_numbers_are_printed_at_the_foot(reader):
    for index in (7, 10, 15):
        text = reader.pages[index].extract_text().strip()
        assert text.endswith(str(index + 1)), text[-40:]


def test_footnotes_sit_on_the_page_of_their_reference(built, page_texts):
    """Each note's text is on the same page as the words its call follows."""
    checked = 0
    for part in built.book.parts:
        for note in part.footnotes:
            marker = f'<oic-note label="{note.label}"></oic-note>'
            before = squash(plain(part.body_html.split(marker)[0]))
            note_start = squash(plain(note.paragraphs[0]))[:25]
            note_pages = [i for i, text in enumerate(page_texts) if note_start in text]
            assert len(note_pages) == 1, f"footnote {note.label} found on {note_pages}"
            # the words before a call may begin on the previous page: try shorter tails
            for length in (30, 12, 5):
                ref_pages = [i for i, text in enumerate(page_texts) if before[-length:] in text]
                if ref_pages:
                    break
            assert note_pages[0] in ref_pages, (
                f"footnote {note.label}: {note_pages} vs {ref_pages}"
            )
            checked += 1
    assert checked >= 15


def test_chapters_start_on_right_hand_pages(built, page_texts):
    for part in built.book.chapters:
        title = squash(f"{part.number}-тарау{part.title}")
        pages = [i + 1 for i, text in enumerate(page_texts) if title in text]
        assert pages and pages[0] % 2 == 1, (part.title, pages)


def test_running_heads(built, page_texts):
    """Left pages carry the book title, right pages the chapter title; openings none."""
    book_title = squash(built.book.config.title)
    starts = []
    for part in built.book.chapters:
        opening = squash(f"{part.number}-тарау{part.title}")
        starts.append(next(i for i, text in enumerate(page_texts) if opening in text))
    # the chapters end where the next part (appendix, bibliography or glossary) begins
    following = [p for p in built.book.parts if p.kind not in ("front", "chapter")]
    after = squash(following[0].title) if following else squash(locale.labels()["glossary"])
    end_of_last = next(
        i for i, t in enumerate(page_texts) if after in t[:80] and i > starts[-1]
    )
    checked = 0
    for part, start, end in zip(
        built.book.chapters, starts, [*starts[1:], end_of_last], strict=True
    ):
        opening_text = page_texts[start]
        assert opening_text.startswith(squash(f"{part.number}-тарау")), "head on an opening"
        for index in range(start + 1, end):
            text = page_texts[index]
            if not text or text.isdigit():
                continue  # a blank page before the next chapter
            expected = squash(part.title) if (index + 1) % 2 else book_title
            assert text.startswith(expected), (index + 1, text[:60])
            checked += 1
    assert checked >= 6


def test_body_text_is_hyphenated_at_valid_kazakh_syllable_breaks(built):
    """Lines end in a hyphen, and each such break is one the Kazakh rules allow."""
    from oic_book.kazakh.hyphenation import hyphenation_points

    text = "\n".join(pdftext.page_texts(built.result.pdf))
    breaks = re.findall(r"([^\W\d_]+)\u2010\n([^\W\d_]+)", text)
    assert len(breaks) >= 20, "the body text is hardly hyphenated"
    for head, tail in breaks:
        if not re.search("[а-яәғқңөұүһі]", head.lower()):
            continue  # a span in another language ({lang=en}) follows its own rules
        word = head + tail
        assert len(head) in hyphenation_points(word), f"{head}-{tail}"
