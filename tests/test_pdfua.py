"""PDF/UA-1: an independent validator on the real book and on the every-element book, and
one pikepdf check for each Matterhorn item a validator cannot judge.

page-validation (PyPI, a Rust PDF/UA-1 and PDF/A validator run against the veraPDF
corpus) must report no failed rule. Its checks on WeasyPrint's own output are the canary:
if WeasyPrint starts writing what `editions.pdfua` adds, those tests say so.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import page
import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from oic_book import render
from oic_book.editions import pdf, pdfua
from oic_book.manuscript.reader import read_book
from oic_book.project import Project
from oic_book.weasyprint_fixes import tags

ROOT = Path(__file__).resolve().parent.parent


def failed_rules(data: bytes) -> dict[str, int]:
    report = page.validate_pdf_bytes(data, profile=page.ValidationProfile.PDF_UA_1)
    rules: dict[str, int] = {}
    for failure in report.failures:
        rules[failure.rule_id] = rules.get(failure.rule_id, 0) + 1
    assert report.is_compliant == (not rules)
    return rules


# --- the structure tree, read independently of editions.pdfua --------------------------


def elements(pdf_file: pikepdf.Pdf) -> Iterator[tuple[Dictionary, list[Dictionary]]]:
    """Every structure element, with its ancestors, in document order."""

    def walk(element, ancestors):
        yield element, ancestors
        k = element.get("/K")
        for kid in k if isinstance(k, Array) else [k] if k is not None else []:
            if isinstance(kid, Dictionary) and "/S" in kid:
                yield from walk(kid, [*ancestors, element])

    yield from walk(pdf_file.Root.StructTreeRoot.K[0], [])


def kids_of(element) -> list:
    k = element.get("/K")
    return list(k) if isinstance(k, Array) else [] if k is None else [k]


def parent_tree(pdf_file: pikepdf.Pdf) -> dict:
    return dict(pikepdf.NumberTree(pdf_file.Root.StructTreeRoot.ParentTree).items())


def link_annotations(pdf_file: pikepdf.Pdf) -> Iterator[tuple[int, Dictionary]]:
    for number, pdf_page in enumerate(pdf_file.pages, start=1):
        for annotation in pdf_page.get("/Annots", []):
            if annotation.get("/Subtype") == Name.Link:
                yield number, annotation


# --- the books ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_every_element(every_element, tmp_path_factory):
    """The every-element book's PDF as WeasyPrint writes it, before editions.pdfua, and
    the link descriptions of its HTML."""
    project = every_element.out.parent
    book = read_book(project / "manuscript" / "book.yaml")
    fetcher = pdf.make_url_fetcher(Project.at(project))
    document, root = pdf.layout(
        render.render_print_html(book), book.config, Project.at(project), fetcher
    )
    return pdf.pdf_bytes(document, book.config), pdfua.link_targets_of([root])


@pytest.mark.parametrize("name", ["built", "every_element"])
def test_page_validation_finds_no_failed_rule(request, name):
    """The real book and the every-element book conform to PDF/UA-1."""
    result = request.getfixturevalue(name).result
    assert failed_rules(result.pdf.read_bytes()) == {}


def test_weasyprint_alone_fails_where_pdfua_fixes_it(raw_every_element):
    """Canary: WeasyPrint 70's own PDF still fails the rules pdfua exists for. When this
    fails, a WeasyPrint release fixed them and that part of pdfua can go."""
    raw, targets = raw_every_element
    assert "PDFUA1-LINK-LINK-TAG-001" in failed_rules(raw)
    assert failed_rules(pdfua.make_accessible(raw, targets)) == {}


def test_weasyprint_alone_has_no_tag_for_notes_and_groups():
    """Canary for weasyprint_fixes.tags: WeasyPrint 70 maps these elements to NonStruct
    and keeps no `lang` or `id` (its tree builder has no access to them)."""
    from weasyprint.pdf import tags as weasyprint_tags

    tags.apply()
    original = weasyprint_tags._get_pdf_tag.original
    for element in ("oic-footnote", "nav", "aside", "figure"):
        assert original(element) == "NonStruct", element


def test_post_processing_is_reproducible(raw_every_element):
    raw, targets = raw_every_element
    once = pdfua.make_accessible(raw, targets)
    assert pdfua.make_accessible(raw, targets) == once
    # The first half of the file identifier stays the one WeasyPrint wrote from book.yaml.
    with pikepdf.open(io.BytesIO(raw)) as before, pikepdf.open(io.BytesIO(once)) as after:
        assert bytes(after.trailer.ID[0]) == bytes(before.trailer.ID[0])


@pytest.fixture(scope="module", params=["built", "every_element"])
def book_pdf(request):
    with pikepdf.open(request.getfixturevalue(request.param).result.pdf) as pdf_file:
        yield pdf_file


def test_every_link_annotation_is_held_by_a_link_element(book_pdf):
    owners = parent_tree(book_pdf)
    checked = 0
    for _, annotation in link_annotations(book_pdf):
        owner = owners[int(annotation.StructParent)]
        assert owner.S == Name.Link
        assert any(
            kid.get("/Type") == Name.OBJR and kid.Obj.objgen == annotation.objgen
            for kid in kids_of(owner)
            if isinstance(kid, Dictionary)
        )
        checked += 1
    assert checked >= 20
    for element, ancestors in elements(book_pdf):
        if element.S == Name.Link:
            assert all(a.S != Name.Link for a in ancestors), "a Link inside a Link"


def test_links_say_where_they_go(book_pdf):
    """Internal links: the target's words and its printed page, never the raw id.
    External links: the address."""
    internal = external = 0
    for _, annotation in link_annotations(book_pdf):
        contents = str(annotation.get("/Contents", ""))
        if "/Dest" in annotation:
            assert contents != str(annotation.Dest) and not contents.startswith("#")
            assert re.search(r"\w.*, \d+-бет$", contents), contents
            internal += 1
        else:
            assert contents == str(annotation.A.URI)
            external += 1
    assert internal >= 10 and external >= 1


def test_contents_are_tagged_toc_with_nested_sections(built):
    with pikepdf.open(built.result.pdf) as pdf_file:
        tocs = [(e, a) for e, a in elements(pdf_file) if e.S == Name.TOC]
        outer = [e for e, a in tocs if all(x.S != Name.TOC for x in a)]
        assert len(outer) == 1
        entries = [k for k in kids_of(outer[0]) if k.S == Name.TOCI]
        back_matter = 1 + bool(built.book.index)  # glossary, index
        assert len(entries) == len(built.book.parts) + back_matter
        for entry in entries:
            first = kids_of(entry)[0]
            assert first.S == Name.Reference
            assert any(k.S == Name.Link for k in kids_of(first) if isinstance(k, Dictionary))
        nested = [k for e in entries for k in kids_of(e) if k.S == Name.TOC]
        with_sections = [p for p in built.book.parts if any(h.level == 2 for h in p.headings)]
        assert len(nested) == len(with_sections)
        assert all(a[-1].S == Name.Sect for e, a in tocs if e in outer)  # the <nav>


def test_every_note_has_a_unique_id_in_the_id_tree(book_pdf):
    id_tree = pikepdf.NameTree(book_pdf.Root.StructTreeRoot.IDTree)
    seen = set()
    notes = 0
    for element, _ in elements(book_pdf):
        if "/ID" in element:
            ident = str(element.ID)
            assert ident and ident not in seen
            seen.add(ident)
            assert id_tree[ident].objgen == element.objgen
        if element.S == Name.Note:
            assert "/ID" in element
            notes += 1
    assert notes >= 4 and len(id_tree) == len(seen)


def test_notes_are_read_where_they_are_called(book_pdf):
    """Each Note sits right after its call (a Lbl) in the text, not in the page's footnote
    area after the rest of the page; the private marker that matched them is gone."""
    notes = 0
    for element, ancestors in elements(book_pdf):
        assert "/OICNoteCall" not in element
        if element.S != Name.Note:
            continue
        siblings = kids_of(ancestors[-1])
        at = next(i for i, k in enumerate(siblings) if k.objgen == element.objgen)
        before = siblings[at - 1]
        while before.S == Name.Note:  # a note cut over two pages: its first part
            at -= 1
            before = siblings[at - 1]
        assert at > 0 and before.S == Name.Lbl, [str(a.S) for a in ancestors]
        assert all(a.S != Name.NonStruct for a in ancestors)
        notes += 1
    assert notes >= 4


def test_running_heads_and_page_numbers_are_artifacts(built):
    """No marked content is left without a structure element (WeasyPrint 70 tags the
    page margins but leaves them out of the tree); the margins are /Pagination artifacts."""
    with pikepdf.open(built.result.pdf) as pdf_file:
        reachable = {e.objgen for e, _ in elements(pdf_file)}
        owners = parent_tree(pdf_file)
        without_folio = []
        for number, pdf_page in enumerate(pdf_file.pages, start=1):
            mcids = owners.get(int(pdf_page.StructParents), [])
            pagination = tagged = 0
            for instruction in pikepdf.parse_content_stream(pdf_page, "BDC"):
                tag, properties = instruction.operands
                if tag == Name.Artifact:
                    pagination += properties.get("/Type") == Name.Pagination
                else:
                    tagged += 1
                    owner = mcids[int(properties.MCID)]
                    assert owner.objgen in reachable
            if tagged and not pagination:
                without_folio.append(number)
        # every page with text has a folio, but the title page and the imprint (blank
        # versos have neither text nor folio)
        assert set(without_folio) <= {1, 2}, without_folio


# --- the same fixes on small documents -------------------------------------------------


def tagged(body: str, targets: dict[str, str] | None = None) -> pikepdf.Pdf:
    """A PDF/UA document of `body` laid out by WeasyPrint 70 (with the project's tag
    patches) and completed by pdfua."""
    import weasyprint

    tags.apply()
    html = (
        '<!DOCTYPE html><html lang="kk"><head><title>Сынақ</title></head>'
        f"<body>{body}</body></html>"
    )
    stylesheet = weasyprint.CSS(filename=str(ROOT / "styles" / "base.css"))
    raw = weasyprint.HTML(string=html, base_url=str(ROOT / "styles") + "/").write_pdf(
        stylesheets=[stylesheet], pdf_variant="pdf/ua-1"
    )
    return pikepdf.open(io.BytesIO(pdfua.make_accessible(raw, targets)))


IMAGE = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='40' height='20'%3E"
    "%3Crect width='40' height='20'/%3E%3C/svg%3E"
)


def test_other_languages_get_lang_and_the_document_language_is_not_repeated():
    with tagged(
        '<p lang="kk">Мәтін <span lang="en">United Nations</span> және '
        '<span lang="ar" dir="rtl">منظمة التعاون الإسلامي</span>.</p>'
    ) as pdf_file:
        langs = {str(e.Lang) for e, _ in elements(pdf_file) if "/Lang" in e}
        assert langs == {"en", "ar"}
        assert failed_rules(_saved(pdf_file)) == {}


def test_nav_aside_and_figure_are_not_reduced_to_nonstruct():
    with tagged(
        '<nav id="contents"><h1>Мазмұны</h1><ol><li><a href="#a">Бір</a>'
        '<ol><li><a href="#b">Екі</a></li></ol></li></ol></nav>'
        '<h1 id="a">Бір</h1><h2 id="b">Екі</h2>'
        "<aside><p>Қосымша мәтін.</p></aside>"
        f'<figure><img src="{IMAGE}" alt="Қара тіктөртбұрыш"/>'
        "<figcaption>1-сурет. Тіктөртбұрыш</figcaption></figure>",
        {"a": "Бір", "b": "Екі"},
    ) as pdf_file:
        tree = list(elements(pdf_file))
        groups = [e for e, _ in tree if e.S in (Name.Sect, Name.Div)]
        assert [str(g.S) for g in groups] == ["/Sect", "/Sect", "/Div"]
        figure = groups[2]
        # the image's line sits in an anonymous box, which is no element (NonStruct)
        image, caption = [
            k for e, a in tree if figure in a for k in [e] if k.S != Name.NonStruct
        ][:2]
        assert (image.S, caption.S) == (Name.Figure, Name.Caption)
        assert str(image.Alt) == "Қара тіктөртбұрыш"
        toc = next(e for e, _ in tree if e.S == Name.TOC)
        entry = kids_of(toc)[0]
        assert [str(k.S) for k in kids_of(entry)] == ["/Lbl", "/Reference", "/TOC"]
        assert failed_rules(_saved(pdf_file)) == {}


def _saved(pdf_file: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf_file.save(out)
    return out.getvalue()


def test_content_of_another_producer_is_retagged_through_the_tokenizer():
    """WeasyPrint's streams are rewritten by pattern; a page whose content is an array of
    streams (another producer, a merge) goes through pikepdf's tokenizer instead."""
    pdf_file = pikepdf.new()
    pdf_file.add_blank_page()
    pdf_page = pdf_file.pages[0]
    pdf_page.obj.Contents = Array(
        [
            pdf_file.make_stream(b"/Span <</MCID 0>> BDC EMC"),
            pdf_file.make_stream(b"/P<</MCID 1>>\nBDC EMC"),
        ]
    )
    pdfua._retag(pdf_file, pdf_page, {1})
    operators = [
        (str(i.operands[0]), dict(i.operands[1]))
        for i in pikepdf.parse_content_stream(pdf_page, "BDC")
    ]
    assert operators == [
        ("/Span", {"/MCID": 0}),
        ("/Artifact", {"/Type": Name.Pagination}),
    ]
