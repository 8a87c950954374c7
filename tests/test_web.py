"""The web edition without a browser: its pages and links, and the caches of the live
preview (a re-check and a re-render after a save give what a fresh run gives)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from lxml import etree
from lxml import html as lxml_html

from oic_book import render
from oic_book.editions import web
from oic_book.manuscript import check
from oic_book.project import Project

FIXTURE = Path(__file__).parent / "web" / "manuscript"


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "manuscript")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    return tmp_path


def _site(project: Path) -> dict[str, bytes]:
    book, problems = check.check_project(project)
    assert book is not None, problems.sorted()
    return web.site_files(book, None, Project.at(project), web.DOWNLOADS)


def test_every_link_of_the_site_lands_on_a_page_and_an_id(project):
    files = _site(project)
    pages = {
        name: lxml_html.fromstring(data)
        for name, data in files.items()
        if name.endswith(".html")
    }
    ids = {
        name: {el.get("id") for el in tree.iter() if el.get("id")}
        for name, tree in pages.items()
    }
    checked = 0
    for name, tree in pages.items():
        for link in tree.iter("a"):
            href = link.get("href")
            if href is None or re.match(r"[a-z]+:", href):
                continue
            target, _, anchor = href.partition("#")
            target = target or name
            if target in web.DOWNLOADS.values():
                continue  # copied in by the build, beside the pages
            assert target in files, (name, href)
            if anchor:
                assert anchor in ids[target], (name, href)
            checked += 1
    assert checked > 50


def test_ids_are_unique_and_the_side_notes_are_second_copies(project):
    for name, data in _site(project).items():
        if not name.endswith(".html"):
            continue
        tree = lxml_html.fromstring(data)
        all_ids = [el.get("id") for el in tree.iter() if el.get("id")]
        assert len(all_ids) == len(set(all_ids)), name
        for side in tree.find_class("sidenote"):
            assert side.get("aria-hidden") == "true"
            assert not [el for el in side.iter() if el.get("id")]
            assert all(a.get("tabindex") == "-1" for a in side.iter("a"))


def test_pages_are_well_formed_and_keep_end_tags_after_page_marking(project):
    book, _ = check.check_project(project)
    docs = render.render_web_pages(book)
    starts = (render.PageStart(7, "ch1.xhtml", "ch1-b1", "Қазақстан ИЫҰ"),)
    marked = web.mark_pages(docs, starts)
    page = next(doc for doc in marked if doc.name == "ch1.html")
    etree.fromstring(page.xhtml.encode())  # still XML
    assert '<a class="pagebreak" href="#page-7" id="page-7"' in page.xhtml or (
        'id="page-7"' in page.xhtml and 'href="#page-7"' in page.xhtml
    )
    search = next(doc for doc in marked if doc.name == "search.html")
    assert re.search(r'<ol class="search-results" id="search-results"></ol>', search.xhtml)
    assert "<ol" in search.xhtml and "/>" not in re.findall(r"<ol[^>]*>", search.xhtml)[0]


# --- the caches of the live preview ----------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


EDITS = [
    ("chapters/01-first.md", "Төрағалық", "Төрағалық етуі"),  # a section title
    ("chapters/02-second.md", "## Білім", "## Білім\n\n### Мектеп\n\nМәтін."),
    ("chapters/01-first.md", "Сол жылы", "Сол жылы {term}`ИЫҰ`"),  # a term use
    ("chapters/02-second.md", "Жастар", "{index}`Жастар`"),  # an index mark
    ("chapters/02-second.md", "Бұл тараудың", "[Мүшелік](#ch1-1) туралы. Бұл тараудың"),
    ("glossary.yaml", "үкіметаралық ұйымы", "үкіметаралық ірі ұйымы"),
    ("book.yaml", "title: Веб сынақ кітабы", "title: Веб сынақ кітабының жаңа атауы"),
    ("chapters/01-first.md", "# Қазақстан және ұйым", "# Қазақстан мен ұйым"),
    ("chapters/01-first.md", "[^chair]:", "[^chair]: Жаңа ескертпе. "),  # a note
    ("chapters/02-second.md", "Экономика", "Экономика[^missing]"),  # an error
    ("chapters/02-second.md", "Экономика[^missing]", "Экономика"),  # and its fix
]


def test_a_cached_recheck_and_rerender_equal_a_fresh_run_after_each_save(project):
    cache, memo = check.CheckCache(), {}
    files = Project.at(project)
    check.check_project(project, cache=cache)
    for name, old, new in EDITS:
        _edit(project / "manuscript" / name, old, new)
        book, problems = check.check_project(project, cache=cache)
        fresh_book, fresh_problems = check.check_project(project)
        assert problems.sorted() == fresh_problems.sorted(), name
        assert (book is None) == (fresh_book is None)
        if book is None:
            continue
        cached = web.site_files(book, None, files, web.DOWNLOADS, memo)
        assert cached == web.site_files(fresh_book, None, files, web.DOWNLOADS), (name, new)


def test_the_memo_renders_only_what_a_save_changed(project, monkeypatch):
    cache, memo = check.CheckCache(), {}
    book, _ = check.check_project(project, cache=cache)
    render.render_web_pages(book, memo=memo)
    rendered = []
    real = render.Renderer.render

    def counting(self, template, **extra):
        rendered.append(extra.get("page_name"))
        return real(self, template, **extra)

    monkeypatch.setattr(render.Renderer, "render", counting)
    _edit(project / "manuscript" / "chapters" / "02-second.md", "Жастар мен", "Жастар және")
    book, _ = check.check_project(project, cache=cache)
    render.render_web_pages(book, memo=memo)
    assert rendered == ["ch2.html"]  # the chapter; nothing else
    rendered.clear()
    _edit(
        project / "manuscript" / "chapters" / "02-second.md", "Жастар және", "{index}`Жастар`"
    )
    book, _ = check.check_project(project, cache=cache)
    render.render_web_pages(book, memo=memo)
    assert sorted(rendered) == ["ch2.html", "index-of-names.html"]  # a new index entry


def test_a_changed_image_is_seen_by_the_cached_recheck(project):
    from PIL import Image

    cache, memo = check.CheckCache(), {}
    files = Project.at(project)
    book, _ = check.check_project(project, cache=cache)
    before = web.site_files(book, None, files, web.DOWNLOADS, memo)
    Image.new("RGB", (50, 20), (0, 90, 0)).save(
        project / "manuscript" / "chapters" / "images" / "diagram.png"
    )
    book, _ = check.check_project(project, cache=cache)
    after = web.site_files(book, None, files, web.DOWNLOADS, memo)
    fresh_book, _ = check.check_project(project)
    assert after == web.site_files(fresh_book, None, files, web.DOWNLOADS)
    assert after["ch2.html"] != before["ch2.html"]  # the image's new name
    assert {n for n in after if n.startswith("images/")} != {
        n for n in before if n.startswith("images/")
    }
