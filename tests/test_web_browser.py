"""The web edition in a real browser (Debian's Chromium through Playwright): fonts, notes,
glossary and index links, print page anchors, search, accessibility (axe-core), and the
layout from a 320 px phone to a desktop, in both colour schemes.

The book is tests/web/manuscript, built once with the real styles; the axe test also runs
on the real book's site (the session's `built` fixture).
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdfium2
import pytest
from conftest import ROOT
from lxml import html as lxml_html

from oic_book.build import build

FIXTURE = Path(__file__).parent / "web" / "manuscript"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHIPPED_FAMILIES = {"Noto Serif", "Noto Sans", "Noto Naskh Arabic", "Noto Sans Mono"}
READING_PAGES = ["index.html", "imprint.html", "ch1.html", "ch2.html", "glossary.html"]
ALL_PAGES = [*READING_PAGES, "index-of-names.html", "pages.html", "search.html"]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` served on 127.0.0.1 (any free port); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("webbook")
    shutil.copytree(FIXTURE, project / "manuscript")
    shutil.copytree(ROOT / "styles", project / "styles")
    return build(project, project / "dist", strict=True).site


@pytest.fixture(scope="module")
def base_url(site) -> Iterator[str]:
    with serving(site) as url:
        yield url


@pytest.fixture
def new_page(browser):
    """Pages in fresh contexts (viewport, colour scheme), closed after the test."""
    contexts = []

    def make(viewport=DESKTOP, scheme="light"):
        context = browser.new_context(viewport=viewport, color_scheme=scheme)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# --- fonts -----------------------------------------------------------------------------


def _platform_fonts(page, selector: str = "body *:not(script):not(style)") -> dict[str, bool]:
    """Every font the browser drew the text of `selector` with → whether it is a web font."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    nodes = cdp.send(
        "DOM.querySelectorAll",
        {"nodeId": root, "selector": selector},
    )["nodeIds"]
    fonts: dict[str, bool] = {}
    for node in nodes:
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            fonts[font["familyName"]] = font["isCustomFont"]
    cdp.detach()
    return fonts


@pytest.mark.parametrize("name", ["ch1.html", "glossary.html", "index-of-names.html"])
def test_pages_render_with_the_shipped_fonts_only(new_page, base_url, name):
    page = new_page(DESKTOP)
    font_requests = []
    page.on(
        "request",
        lambda r: font_requests.append(r.url) if r.resource_type == "font" else None,
    )
    page.goto(base_url + name)
    page.evaluate("document.fonts.ready")
    fonts = _platform_fonts(page)
    assert fonts, "no text drawn"
    assert all(fonts.values()), f"system fonts used: {fonts}"
    assert set(fonts) <= SHIPPED_FAMILIES, fonts
    assert font_requests and all(
        url.startswith(base_url + "styles/fonts/") for url in font_requests
    )


def test_other_languages_are_marked_and_drawn_with_the_shipped_fonts(new_page, base_url):
    page = new_page(PHONE)
    page.goto(base_url + "ch2.html")
    page.evaluate("document.fonts.ready")
    arabic = page.locator('main span[lang="ar"]').first
    assert arabic.inner_text() == "منظمة التعاون الإسلامي"
    assert arabic.get_attribute("dir") == "rtl"
    assert _platform_fonts(page, 'main span[lang="ar"]') == {"Noto Naskh Arabic": True}
    english = page.locator('main span[lang="en"]').first
    assert english.inner_text() == "Organisation of Islamic Cooperation"


def test_figures_show_their_image_and_caption(new_page, base_url):
    page = new_page(PHONE)
    page.goto(base_url + "ch2.html")
    image = page.locator("figure img").first
    assert image.evaluate("i => i.complete && i.naturalWidth") == 240
    assert image.get_attribute("alt").startswith("Сауда көлемінің")
    assert image.bounding_box()["width"] <= PHONE["width"]
    assert page.locator("figure figcaption").first.inner_text() == "1-сурет. Сауда көлемі"


# --- notes, terms, index ------------------------------------------------------------


def test_note_reference_leads_to_the_note_and_back(new_page, base_url):
    page = new_page(PHONE)
    page.goto(base_url + "ch1.html")
    assert not page.locator(".sidenote").first.is_visible()  # no room beside the text
    page.click("a#fnref-member")
    assert page.url.endswith("ch1.html#fn-member")
    note = page.locator("#fn-member")
    assert "1995" in note.inner_text() and "желтоқсанда" in note.inner_text()
    assert note.is_visible() and _in_viewport(page, "#fn-member")
    page.click("#fn-member a.backlink")
    assert page.url.endswith("ch1.html#fnref-member")
    assert _in_viewport(page, "#fnref-member")


def test_note_is_shown_beside_its_line_on_a_wide_screen(new_page, base_url):
    page = new_page(DESKTOP)
    page.goto(base_url + "ch1.html")
    side = page.locator("#fnref-member + .sidenote")
    assert side.is_visible()
    reference = page.locator("#fnref-member").bounding_box()
    paragraph = page.locator("#fnref-member").locator("xpath=..").bounding_box()
    box = side.bounding_box()
    assert box["x"] >= paragraph["x"] + paragraph["width"]  # in the margin
    assert abs(box["y"] - reference["y"]) < 80  # beside its line
    endnote = page.locator("#fn-member").inner_text()
    assert side.inner_text().split(" ", 1)[1].strip() in endnote


def test_first_use_of_a_term_links_to_its_glossary_entry(new_page, base_url):
    page = new_page(PHONE)
    page.goto(base_url + "ch1.html")
    link = page.locator("a.glossref").first
    assert link.inner_text() == "ИЫҰ"
    link.click()
    assert page.url.endswith("glossary.html#g-iyu")
    entry = page.locator("#g-iyu")
    assert "ИЫҰ" in entry.inner_text() and _in_viewport(page, "#g-iyu")


def test_index_links_land_on_their_occurrences(new_page, base_url, site):
    page = new_page(DESKTOP)
    page.goto(base_url + "index-of-names.html")
    entries = page.locator(".index-entries > li")
    checked = 0
    for i in range(entries.count()):
        headword = entries.nth(i).locator(".headword").inner_text()
        for link in entries.nth(i).locator("a.pageref").all():
            assert re.fullmatch(r"\d+(–\d+)?", link.inner_text())  # print page numbers
            href = link.get_attribute("href")
            document, anchor = href.split("#")
            target = lxml_html.parse(str(site / document)).getroot().get_element_by_id(anchor)
            stem = headword.split(" (")[-1].rstrip(")")[:4]  # "Мысыр" in "Мысырмен"
            assert stem.lower() in target.text_content().lower(), (headword, href)
            checked += 1
    assert checked >= 5
    page.locator("a.pageref").first.click()
    anchor = page.url.split("#")[1]
    assert _in_viewport(page, f"#{anchor}")


def _in_viewport(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect();"
        " return r.bottom > 0 && r.top < window.innerHeight; }",
    )


# --- print page numbers ---------------------------------------------------------------


def test_print_pages_are_anchors_at_the_printed_pages_first_words(new_page, base_url, site):
    pdf = pypdfium2.PdfDocument(site / "oic-book.pdf")
    page = new_page(DESKTOP)
    page.goto(base_url + "pages.html")
    links = page.locator(".page-links a").all()
    assert len(links) >= 5
    checked = 0
    for link in links:
        number = int(link.inner_text())
        document, anchor = link.get_attribute("href").split("#")
        assert anchor == f"page-{number}"
        marker = lxml_html.parse(str(site / document)).getroot().get_element_by_id(anchor)
        after = " ".join("".join(marker.xpath("following::text()")[:12]).split())
        following = " ".join(after.split()[:2])
        printed = " ".join(pdf[number - 1].get_textpage().get_text_range().split())
        if not printed:
            continue  # a page with no text has no marker
        assert following in printed[:300], (number, following, printed[:300])
        checked += 1
    assert checked >= 4
    last, href = links[-1].inner_text(), links[-1].get_attribute("href")
    page.goto(base_url + href)
    assert _in_viewport(page, f"#page-{last}")


# --- search ----------------------------------------------------------------------------


def _search(page, base_url: str, query: str) -> set[str]:
    page.goto(base_url + "search.html?q=" + query)
    page.wait_for_function("document.getElementById('search-status').textContent.trim() !== ''")
    hrefs = page.locator("#search-results a").evaluate_all("as => as.map(a => a.href)")
    return {href.rsplit("/", 1)[-1] for href in hrefs}


def _substring_pages(site: Path, query: str) -> set[str]:
    """The pages whose text holds `query`, as a plain case-blind substring search."""
    found = set()
    # Not the home page: Pagefind leaves navigation (the contents) out of its index.
    for name in [*READING_PAGES[1:], "index-of-names.html"]:
        main = lxml_html.parse(str(site / name)).getroot().get_element_by_id("main")
        text = " ".join(main.text_content().split()).replace("\u2011", "-")
        if query.casefold() in text.casefold():
            found.add(name)
    return found


def test_search_finds_an_inflected_kazakh_word(new_page, base_url):
    page = new_page(DESKTOP)
    # ch2 has only «Қазақстанда»: a substring search for «Қазақстанның» misses it.
    assert {"ch1.html", "ch2.html"} <= _search(page, base_url, "Қазақстанның")
    assert "ch2.html" in _search(page, base_url, "Мысырдың")  # ch2 has «Мысырмен»
    assert page.locator("#search-results mark").count() > 0


@pytest.mark.parametrize(
    "query",
    ["Қазақстан", "Қазақстанның", "Қазақстанда", "Мысырмен", "ұйымның", "ИЫҰ-ға", "Астана"],
)
def test_search_finds_at_least_what_a_substring_search_finds(new_page, base_url, site, query):
    page = new_page(DESKTOP)
    expected = _substring_pages(site, query)
    assert expected, f"the fixture has no {query!r}"
    assert expected <= _search(page, base_url, query)


def test_search_page_says_it_needs_a_server_when_opened_from_disk(new_page, site):
    page = new_page(PHONE)
    page.goto((site / "search.html").as_uri() + "?q=Мысыр")
    page.wait_for_function(
        "document.getElementById('search-status').textContent.includes('веб-сервер')"
    )


# --- layout, schemes, the file system --------------------------------------------------


@pytest.mark.parametrize("width", [320, 390, 768, 1280, 1920])
def test_no_page_scrolls_sideways(new_page, base_url, width):
    page = new_page({"width": width, "height": 800})
    for name in ALL_PAGES:
        page.goto(base_url + name)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, width, overflow)


def test_dark_scheme_is_dark_and_light_is_light(new_page, base_url):
    for scheme, dark in (("dark", True), ("light", False)):
        page = new_page(PHONE, scheme)
        page.goto(base_url + "ch1.html")
        luminance = page.evaluate(
            "(() => { const c = getComputedStyle(document.documentElement).backgroundColor"
            ".match(/\\d+/g).map(Number); return (0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]) / 255; })()"
        )
        assert (luminance < 0.2) if dark else (luminance > 0.9)


def test_site_works_from_the_file_system(new_page, site):
    page = new_page(PHONE)
    page.goto((site / "ch1.html").as_uri())
    page.evaluate("document.fonts.ready")
    assert all(_platform_fonts(page).values())
    page.click("a[rel=next]")
    assert page.url.endswith("ch2.html")
    assert page.locator("h1").first.inner_text().endswith("Ынтымақтастық")
    page.click("footer a[href='oic-book.pdf']", modifiers=["Alt"])  # no error: it exists
    assert (site / "oic-book.pdf").read_bytes()[:5] == b"%PDF-"
    assert (site / "oic-book.epub").read_bytes()[:2] == b"PK"


# --- accessibility ---------------------------------------------------------------------


def test_skip_link_and_visible_focus(new_page, base_url):
    page = new_page(PHONE)
    page.goto(base_url + "ch1.html")
    page.keyboard.press("Tab")
    skip = page.evaluate(
        "(() => { const e = document.activeElement; const r = e.getBoundingClientRect();"
        " const s = getComputedStyle(e);"
        " return [e.className, r.top >= 0 && r.bottom <= innerHeight, s.outlineStyle,"
        " parseFloat(s.outlineWidth)]; })()"
    )
    assert skip[0] == "skip-link" and skip[1], skip
    assert skip[2] != "none" and skip[3] >= 2
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    for _ in range(6):  # every later stop shows the focus too
        page.keyboard.press("Tab")
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
        )
        assert style[0] != "none" and style[1] >= 2


def test_language_is_set_on_the_page(new_page, base_url):
    page = new_page(PHONE)
    for name in ALL_PAGES:
        page.goto(base_url + name)
        assert page.evaluate("document.documentElement.lang") == "kk"


def _axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(("viewport", "scheme"), [(PHONE, "light"), (DESKTOP, "dark")])
def test_axe_reports_no_violations(new_page, base_url, viewport, scheme):
    page = new_page(viewport, scheme)
    found = {}
    for name in ALL_PAGES:
        page.goto(base_url + name + ("?q=Мысыр" if name == "search.html" else ""))
        page.evaluate("document.fonts.ready")
        if name == "search.html":
            page.wait_for_selector("#search-results li")
        violations = _axe_violations(page)
        if violations:
            found[name] = violations
    assert not found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_reports_no_violations_on_the_real_book(new_page, built, scheme):
    site = built.out / "site"
    page = new_page(DESKTOP, scheme)
    found = {}
    with serving(site) as url:
        for path in sorted(site.glob("*.html")):
            page.goto(url + path.name)
            page.evaluate("document.fonts.ready")
            violations = _axe_violations(page)
            if violations:
                found[path.name] = violations
    assert not found
