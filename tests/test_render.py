"""Reading and rendering, pinned by golden files.

`tests/golden/<case>/manuscript` is read and rendered; every EPUB document and the print
HTML are compared with `tests/golden/<case>/expected/`. After an intended change, run
`pytest tests/test_render.py --save-golden` and review the diff of the expected files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oic_book.manuscript.reader import read_book
from oic_book.render import PrintPages, Renderer, render_epub_documents, render_print_html

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "manuscript").is_dir())


@pytest.fixture(scope="module", params=CASES)
def case(request):
    root = GOLDEN / request.param
    return root, read_book(root / "manuscript" / "book.yaml")


def _compare(path: Path, actual: str, save: bool) -> None:
    if save:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run pytest --save-golden"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from golden"


def test_rendered_documents_match_golden(case, request):
    root, book = case
    save = request.config.getoption("--save-golden")
    page_of = {"ix-ch1-1": 7, "ix-ch1-2": 7, "t-ch1-1": 7, "t-ch2-1": 9}
    for doc in render_epub_documents(book, PrintPages(page_of=page_of)):
        _compare(root / "expected" / doc.name, doc.xhtml, save)
    _compare(root / "expected" / "print.html", render_print_html(book), save)


def test_model_of_the_basic_case():
    book = read_book(GOLDEN / "basic" / "manuscript" / "book.yaml")
    first, second = book.chapters
    assert (first.slug, first.number, first.title) == ("ch1", 1, "Бірінші тарау")
    assert [h.id for h in first.headings] == ["ch1-1", "custom-id"]
    assert [(n.label, n.number) for n in second.footnotes] == [("second", 1), ("third", 2)]
    assert second.footnotes[1].paragraphs == ("Екінші ескертпе.", "Оның екінші абзацы.")
    assert [(u.key, u.first_in_part) for u in first.terms] == [
        ("g-iyu", True),
        ("g-iyu", False),
    ]
    assert [e.headword for e in book.index] == ["Ислам ынтымақтастық ұйымы (ИЫҰ)", "Рабат"]
    assert first.links == (("custom-id", 11), ("ch2", 11))
    # lines point at the source
    assert first.footnotes[0].line == 16 and first.terms[1].line == 6


def test_typography_is_applied_but_the_source_is_kept():
    book = read_book(GOLDEN / "basic" / "manuscript" / "book.yaml")
    body = book.chapters[0].body_html
    assert "«ынтымақтастық»" in body and "\u00a0– " in body and "1969\u00a0ж." in body
    assert "ИЫҰ</oic-term>\u2011ның" in body
    assert "Н.\u00a0Ә.\u00a0Назарбаев" in book.chapters[1].body_html
    assert '"ынтымақтастық"' in (GOLDEN / "basic/manuscript/chapters/01-first.md").read_text()


def test_links_point_into_the_right_epub_document():
    book = read_book(GOLDEN / "basic" / "manuscript" / "book.yaml")
    epub = Renderer(book, "epub")
    assert epub.href("custom-id") == "ch1.xhtml#custom-id"
    assert epub.href("ch2") == "ch2.xhtml"
    assert epub.href("g-iyu") == "glossary.xhtml#g-iyu"
    assert Renderer(book, "print").href("g-iyu") == "#g-iyu"


def test_reading_on_two_cores_gives_the_same_book(monkeypatch, project_root):
    """Large manuscripts are read in two processes; the book must not change."""
    from oic_book.manuscript import reader

    book_yaml = project_root / "manuscript" / "book.yaml"
    sequential = read_book(book_yaml)
    monkeypatch.setattr(reader, "PARALLEL_BYTES", 0)
    assert read_book(book_yaml) == sequential


def test_a_note_call_is_bound_to_the_word_before_it(project_root):
    """A call that follows a word is wrapped with it (white-space: nowrap), so a line
    never begins with a note number."""
    book = read_book(GOLDEN / "basic" / "manuscript" / "book.yaml")
    html = render_print_html(book)
    calls = [m.start() for m in re.finditer(r"<oic-footnote\b", html)]
    assert calls
    bound = re.compile(
        r'<span class="noteword">(?:<span class="nohyph">[^<>]*</span>)?[^\s<>]+$'
    )
    for start in calls:
        assert bound.search(html[:start]), html[start - 80 : start]
