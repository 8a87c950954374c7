"""The print edition laid out in chunks is the book laid out in one pass, page for page.

A generated book of about 200 pages (`chunkbook`) is built as `oic-book build` builds it
(in chunks, on worker processes, merged with pikepdf) and laid out again as one WeasyPrint
document (`pdf.lay_out_in_one_pass`). Every page must have the same text (so the same
page breaks, page numbers, running heads, contents entries, glossary and index page
references and footnotes) and the same page label; the EPUB made from either layout must
be the same (page-list, page-break markers, index); the PDF's structure tree, outline,
named destinations and links must be the same.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from chunkbook import make_book

from oic_book.build import build, epub_edition
from oic_book.editions import chunks, epub, pdf
from oic_book.manuscript.check import check_project
from oic_book.project import Project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    project = make_book(tmp_path_factory.mktemp("chunked"), chapters=28)
    shutil.copytree(ROOT / "styles", project / "styles")
    book, problems = check_project(project)
    assert book is not None, problems.sorted()
    whole_pdf, whole_pages = pdf.lay_out_in_one_pass(book, project)
    assets = epub.collect_assets(Project.at(project))
    whole_epub = epub_edition(book, whole_pages, assets, Project.at(project))
    result = build(project, project / "dist")
    return {
        "book": book,
        "plan": chunks.plan(book),
        "whole": (whole_pdf, whole_epub),
        "chunked": (result.pdf.read_bytes(), result.epub.read_bytes()),
    }


def _pages(data: bytes) -> list[tuple[str, str]]:
    document = pypdfium2.PdfDocument(data)
    pages = []
    for index in range(len(document)):
        text = document[index].get_textpage().get_text_range()
        pages.append((document.get_page_label(index), text))
    return pages


def test_the_book_was_really_split(books):
    plan = books["plan"]
    assert sum(chunk.kind == "parts" for chunk in plan) >= 4
    pages = _pages(books["chunked"][0])
    assert len(pages) >= 150
    blank = [number for number, (_, text) in enumerate(pages, 1) if not text.strip()]
    assert blank, "no blank verso: the merge never had to add one"


def test_every_page_is_the_same(books):
    whole, chunked = _pages(books["whole"][0]), _pages(books["chunked"][0])
    assert len(chunked) == len(whole)
    for number, (one, other) in enumerate(zip(whole, chunked, strict=True), start=1):
        assert other == one, f"page {number} differs"


def test_the_epub_is_the_same(books):
    with (
        zipfile.ZipFile(io.BytesIO(books["whole"][1])) as whole,
        zipfile.ZipFile(io.BytesIO(books["chunked"][1])) as chunked,
    ):
        assert chunked.namelist() == whole.namelist()
        for name in whole.namelist():
            assert chunked.read(name) == whole.read(name), name
        nav = chunked.read("EPUB/nav.xhtml").decode("utf-8")
        assert 'epub:type="page-list"' in nav


def _structure(data: bytes) -> dict:
    """What a reader or assistive technology meets, by page index: the outline, named
    destinations, links, the structure tree and the parent tree, the fonts' glyphs."""
    document = pikepdf.open(io.BytesIO(data))
    index = {page.obj.objgen: number for number, page in enumerate(document.pages)}

    def place(destination) -> tuple:
        return (index[destination[0].objgen], *(round(float(v), 2) for v in destination[2:4]))

    outline = []
    with document.open_outline() as tree:
        stack = [(item, 0) for item in reversed(tree.root)]
        while stack:
            item, depth = stack.pop()
            outline.append((depth, item.title, place(item.destination)))
            stack += [(child, depth + 1) for child in reversed(item.children)]
    names = document.Root.Names.Dests.Names
    destinations = [(str(names[i]), place(names[i + 1])) for i in range(0, len(names), 2)]
    links = [
        (
            number,
            [round(float(v), 2) for v in annotation.Rect],
            str(annotation.get("/Dest", "")),
            str(annotation.A.URI) if "/A" in annotation else "",
            int(annotation.StructParent),
        )
        for number, page in enumerate(document.pages)
        for annotation in page.obj.get("/Annots", ())
    ]
    tree = []
    stack = [(document.Root.StructTreeRoot.K[0], 0)]
    while stack:
        element, depth = stack.pop()
        if not isinstance(element, pikepdf.Dictionary):
            tree.append((depth, int(element)))
            continue
        if element.get("/Type") == "/OBJR":
            tree.append((depth, "OBJR", index[element.Pg.objgen]))
            continue
        page = index[element.Pg.objgen] if "/Pg" in element else None
        tree.append((depth, str(element.S), page, str(element.get("/Alt", ""))))
        kids = element.get("/K", ())
        kids = kids if isinstance(kids, pikepdf.Array) else [kids]
        stack += [(kid, depth + 1) for kid in reversed(list(kids))]

    def tag(element) -> str | None:
        return None if element is None else str(element.S)

    parent_tree = [
        (key, [tag(e) for e in value] if isinstance(value, pikepdf.Array) else tag(value))
        for key, value in pikepdf.NumberTree(document.Root.StructTreeRoot.ParentTree).items()
    ]
    fonts: dict[str, set] = {}
    for page in document.pages:
        for font in page.obj.Resources.Font.values():
            widths = font.DescendantFonts[0].W
            glyphs = fonts.setdefault(str(font.BaseFont), set())
            for i in range(0, len(widths), 2):
                glyphs.update(range(int(widths[i]), int(widths[i]) + len(widths[i + 1])))
    return {
        "outline": outline,
        "destinations": destinations,
        "links": links,
        "structure tree": tree,
        "parent tree": parent_tree,
        "struct parents": [int(page.obj.StructParents) for page in document.pages],
        "fonts": fonts,
        "catalog": sorted(str(key) for key in document.Root),
        "info": {str(k): str(v) for k, v in document.docinfo.items()},
        "metadata": document.Root.Metadata.read_bytes(),
    }


def test_the_pdf_structure_is_the_same(books):
    whole, chunked = _structure(books["whole"][0]), _structure(books["chunked"][0])
    for key in whole:
        assert chunked[key] == whole[key], key


def test_each_font_is_embedded_once(books):
    whole, chunked = books["whole"][0], books["chunked"][0]
    document = pikepdf.open(io.BytesIO(chunked))
    programs = {
        str(font.BaseFont): font.DescendantFonts[0].FontDescriptor.FontFile2.objgen
        for page in document.pages
        for font in page.obj.Resources.Font.values()
    }
    for page in document.pages:
        for font in page.obj.Resources.Font.values():
            assert (
                font.DescendantFonts[0].FontDescriptor.FontFile2.objgen
                == programs[str(font.BaseFont)]
            )
    assert len(chunked) <= 1.1 * len(whole), (len(chunked), len(whole))


def test_front_matter_that_moves_is_laid_out_again(tmp_path, monkeypatch, caplog):
    """The contents are first laid out with stand-in page numbers, to count their pages;
    if the real numbers made them longer, everything after them is laid out again."""
    project = make_book(tmp_path / "book", chapters=6)
    shutil.copytree(ROOT / "styles", project / "styles")
    expected = build(project, tmp_path / "once").pdf.read_bytes()
    stand_in = chunks.stand_in_pages
    # Forty-digit numbers overflow the number column and push entries onto new lines.
    monkeypatch.setattr(chunks, "stand_in_pages", lambda b, p, digits: stand_in(b, p, 40))
    caplog.set_level("INFO", logger="oic_book")
    assert build(project, tmp_path / "twice").pdf.read_bytes() == expected
    assert "the front matter takes 4 pages, not 5: again" in caplog.text


@pytest.mark.parametrize("fixture", ["every_element", "built"])
def test_every_element_and_the_real_book_are_the_same_in_chunks(fixture, request):
    """Figures, tables (header cells named in their rows), code, other languages and
    scripts, links out and between chapters, front and back matter: the book with every
    element an author can write, and the real book, each built in chunks (one part each,
    for so small a book) against one pass."""
    built = request.getfixturevalue(fixture)
    project = built.out.parent if fixture == "every_element" else ROOT
    book, problems = check_project(project)
    assert book is not None, problems.sorted()
    assert len(chunks.plan(book)) >= 5
    whole, _ = pdf.lay_out_in_one_pass(book, project)
    chunked = built.result.pdf.read_bytes()
    assert _pages(chunked) == _pages(whole)
    one, other = _structure(whole), _structure(chunked)
    for key in one:
        assert other[key] == one[key], key
