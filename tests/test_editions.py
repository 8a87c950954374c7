"""The two editions agree: print page numbers in the EPUB, index, glossary links, and
accessibility of both."""

from __future__ import annotations

import re
import zipfile

import pdftext
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from oic_book.kazakh import locale
from oic_book.kazakh.collation import sort_key
from oic_book.model import Occurrence
from oic_book.render import merge_pages

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def squash(text: str) -> str:
    return re.sub(r"[\s\u00a0\u2010\u2011\u00ad-]+", "", text)


@pytest.fixture(scope="module")
def pdf_pages(built):
    return pdftext.page_texts(built.result.pdf)


@pytest.fixture(scope="module")
def docs(built):
    with zipfile.ZipFile(built.result.epub) as zf:
        return {
            name.removeprefix("EPUB/"): etree.fromstring(zf.read(name))
            for name in zf.namelist()
            if name.endswith(".xhtml")
        }


@pytest.fixture(scope="module")
def opf(built):
    with zipfile.ZipFile(built.result.epub) as zf:
        return etree.fromstring(zf.read("EPUB/content.opf"))


def _text_after(element, limit: int = 60) -> str:
    """Text that follows an element in its document, note numbers left out."""
    out = []
    node = element
    while node is not None and sum(map(len, out)) < limit:
        if node is not element and node.get(EPUB_TYPE) != "noteref":
            out.append("".join(node.itertext()))
        if node.tail:
            out.append(node.tail)
        nxt = node.getnext()
        while nxt is None and node.getparent() is not None:
            node = node.getparent()
            if node.tail:
                out.append(node.tail)
            nxt = node.getnext()
        node = nxt
    return "".join(out)


def test_page_list_has_one_entry_per_printed_page_with_text(docs, pdf_pages):
    entries = docs["nav.xhtml"].xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
    with_text = [str(n) for n, text in enumerate(pdf_pages, start=1) if text.strip()]
    assert [a.text for a in entries] == with_text
    assert len(with_text) >= 15


def test_page_list_points_at_real_markers(docs):
    nav = docs["nav.xhtml"]
    for a in nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS):
        doc, _, fragment = a.get("href").partition("#")
        target = docs[doc].xpath(f"//*[@id='{fragment}']")
        assert len(target) == 1, a.get("href")
        marker = target[0]
        assert marker.get(EPUB_TYPE) == "pagebreak"
        assert marker.get("role") == "doc-pagebreak"
        assert marker.get("title") == a.text


def test_each_marker_sits_at_the_first_words_of_its_page(docs, pdf_pages):
    """The words after each marker open that page in the PDF (after its running head)."""
    checked = 0
    for name, root in docs.items():
        markers = root.xpath("//*[@epub:type='pagebreak']", namespaces=NS)
        for marker in markers:
            page = int(marker.get("title"))
            following = _text_after(marker)
            if marker.getprevious() in markers:
                continue  # a later page of the contents, marked before its nav (pagemap)
            # a contents page: the leaders and page numbers are print's own
            page_start = squash(re.sub(r"\.{3,}\s*\d+", "", pdf_pages[page - 1]))[:160]
            # A page that begins inside a hyphenated word is marked at that word's start.
            words = [squash(following)[:12], squash(" ".join(following.split()[1:]))[:12]]
            assert any(w and w in page_start for w in words), (name, page, following[:40])
            checked += 1
    assert checked >= 15


def test_page_break_source_is_recorded(opf):
    source = opf.findtext(".//dc:source", namespaces=NS)
    assert source
    assert opf.xpath("string(//opf:meta[@property='pageBreakSource'])", namespaces=NS) == source


def test_index_is_sorted_in_kazakh_order_and_in_both_editions(built, docs, pdf_pages):
    headwords = [entry.headword for entry in built.book.index]
    assert headwords == sorted(headwords, key=sort_key)
    assert len(headwords) >= 30
    items = docs["index.xhtml"].xpath("//x:ul[@class='index-entries']/x:li", namespaces=NS)
    assert [
        li.xpath("string(x:span[@class='headword'])", namespaces=NS) for li in items
    ] == headwords
    # The index is the book's last section: from its heading to the end.
    start = max(
        i
        for i, text in enumerate(pdf_pages)
        if squash(text).startswith(squash(locale.labels()["index"]))
    )
    printed = squash("".join(pdf_pages[start:]))
    for li in items:
        # the same headword with the same page numbers in print
        assert squash("".join(li.itertext())) in printed, "".join(li.itertext())


def test_index_page_numbers_are_the_pages_of_the_occurrences(built, docs, pdf_pages):
    """Each number in the EPUB index links to an occurrence printed on that page."""
    checked = 0
    for a in docs["index.xhtml"].xpath("//x:a[@class='pageref']", namespaces=NS):
        doc, _, anchor = a.get("href").partition("#")
        (target,) = docs[doc].xpath(f"//*[@id='{anchor}']")
        first_page = int(a.text.split("–")[0])
        # the first word of the occurrence; it may be hyphenated over the page break
        word = squash("".join(target.itertext()).split()[0])[:6]
        page = squash(pdf_pages[first_page - 1])
        following = squash(pdf_pages[first_page]) if first_page < len(pdf_pages) else ""
        assert word in page or any(
            word[:k] in page and following.find(word[k:]) >= 0 for k in range(2, len(word))
        ), (word, first_page)
        checked += 1
    assert checked >= 40


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30))
def test_merged_page_ranges_cover_exactly_the_pages(pages):
    occurrences = tuple(Occurrence("ch1", f"a{i}") for i in range(len(pages)))
    page_of = {f"a{i}": page for i, page in enumerate(pages)}
    refs = merge_pages(occurrences, page_of)
    covered = []
    for ref in refs:
        first, _, last = ref.label.partition("–")
        covered += range(int(first), int(last or first) + 1)
        assert page_of[ref.anchor] == int(first)
        if last:
            assert int(last) > int(first)
    assert covered == sorted(set(pages))
    starts = [int(r.label.split("–")[0]) for r in refs]
    ends = [int(r.label.split("–")[-1]) for r in refs]
    assert all(start > end + 1 for start, end in zip(starts[1:], ends, strict=False))


def test_first_use_of_a_term_in_each_chapter_links_to_the_glossary(built, docs):
    for part in built.book.parts:
        root = docs[f"{part.slug}.xhtml"]
        links = root.xpath("//x:a[@epub:type='glossref']", namespaces=NS)
        keys = [a.get("href").partition("#")[2] for a in links]
        expected = [use.key for use in part.terms if use.first_in_part]
        assert keys == expected
        assert all(a.get("role") == "doc-glossref" for a in links)
        assert all(a.get("href").startswith("glossary.xhtml#") for a in links)


def test_glossary_entries_link_back_to_the_pages_of_use(built, docs, pdf_pages):
    root = docs["glossary.xhtml"]
    printed = squash("".join(pdf_pages))
    for entry in built.book.glossary:
        (dd,) = root.xpath(
            f"//x:dt[@id='{entry.key}']/following-sibling::x:dd[1]", namespaces=NS
        )
        refs = dd.xpath(".//x:a[@class='pageref']", namespaces=NS)
        assert refs, entry.term
        for a in refs:
            doc, _, anchor = a.get("href").partition("#")
            assert docs[doc].xpath(f"//*[@id='{anchor}']"), a.get("href")
            assert a.text and a.text.isdigit()
        # the print glossary lists the same pages
        uses = dd.xpath("string(.//x:span[@class='uses'])", namespaces=NS)
        assert uses.endswith(", ".join(a.text for a in refs))
        assert squash(uses) in printed, uses


ROLE_OF = {
    "footnote": "doc-footnote",
    "noteref": "doc-noteref",
    "chapter": "doc-chapter",
    "preface": "doc-preface",
    "glossary": "doc-glossary",
    "index": "doc-index",
    "toc": "doc-toc",
    "pagebreak": "doc-pagebreak",
    "glossref": "doc-glossref",
    "page-list": "doc-pagelist",
}


def test_every_epub_type_has_its_aria_role(docs):
    checked = 0
    for name, root in docs.items():
        for element in root.xpath("//*[@epub:type]", namespaces=NS):
            if (
                etree.QName(element).localname in ("body", "a")
                and element.getparent() is not None
                and element.xpath("ancestor::x:nav[@epub:type='landmarks']", namespaces=NS)
            ):
                continue  # landmark links name targets, they are not those things
            for kind in element.get(EPUB_TYPE).split():
                if kind in ROLE_OF and etree.QName(element).localname != "body":
                    assert element.get("role") == ROLE_OF[kind], (name, kind)
                    checked += 1
    assert checked > 50


def test_accessibility_metadata(opf):
    metas = {}
    for meta in opf.xpath("//opf:meta[@property]", namespaces=NS):
        metas.setdefault(meta.get("property"), []).append(meta.text)
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "kk"
    assert "textual" in metas["schema:accessMode"]
    assert "textual" in metas["schema:accessModeSufficient"]
    for feature in (
        "tableOfContents",
        "readingOrder",
        "structuralNavigation",
        "printPageNumbers",
        "alternativeText",
        "pageNavigation",
    ):
        assert feature in metas["schema:accessibilityFeature"], feature
    assert metas["schema:accessibilityHazard"] == ["none"]
    summary = metas["schema:accessibilitySummary"][0]
    assert re.search("[әғқңөұүһі]", summary) and not re.search("[A-Za-z]{4,}", summary)
    assert metas["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


def test_every_image_has_alt_text(docs):
    images = [img for root in docs.values() for img in root.xpath("//x:img", namespaces=NS)]
    assert images, "the cover at least"
    assert all(img.get("alt", "").strip() for img in images)


def _structure_types(reader) -> dict[str, int]:
    counts: dict[str, int] = {}

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict):
            if "/S" in node:
                counts[node["/S"]] = counts.get(node["/S"], 0) + 1
            kids = node.get("/K")
            for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return counts


def test_pdf_is_tagged_pdf_ua(built):
    reader = PdfReader(built.result.pdf)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "kk"
    assert root["/MarkInfo"]["/Marked"] == True
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()
    types = _structure_types(reader)
    notes = sum(len(part.footnotes) for part in built.book.parts)
    assert types.get("/H1", 0) >= len(built.book.parts)
    assert types.get("/H2", 0) >= 10
    assert types.get("/L", 0) >= 2 and types.get("/LI", 0) >= 30
    assert types.get("/Note", 0) == notes
    assert types.get("/Link", 0) >= 40


ENGLISH_LABELS = re.compile(
    r"\b(Contents|Table of Contents|Chapter|Glossary|Notes?|Footnotes?|Index|Cover|Pages?|"
    r"Guide|Landmarks|Back|Return|Title Page|Copyright|Start)\b"
)


def test_no_english_label_in_either_edition(built, docs, pdf_pages):
    """Every generated word is Kazakh: no English label in any EPUB document or PDF page."""
    for name, root in docs.items():
        generated = [
            *root.xpath("//x:title/text() | //x:h1//text() | //x:h2//text()", namespaces=NS),
            *root.xpath("//@aria-label | //@alt", namespaces=NS),
        ]
        for text in generated:
            assert not ENGLISH_LABELS.search(text), (name, text)
    heads = [page.strip().splitlines()[0] for page in pdf_pages if page.strip()]
    for line in heads:
        assert not ENGLISH_LABELS.search(line), line
