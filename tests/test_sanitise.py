"""The one sanitiser (`manuscript/sanitise.py`) and the id namespace.

By class, not by case: the same allow-list judges raw HTML and attributes wherever an
author can write them (a paragraph, a heading, a footnote, a glossary definition); raw
HTML that passes is rewritten as well-formed XHTML; an author id never collides with an
id of the builder; a value that reaches CSS cannot write CSS.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import tinycss2
from badcases import BASE, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from oic_book import render
from oic_book.editions.pdf import css_string
from oic_book.errors import Problems
from oic_book.manuscript.check import check_project
from oic_book.manuscript.reader import make_parser
from oic_book.manuscript.sanitise import ALLOWED_TAGS, RESERVED_ID, sanitise_tokens

GLOSSARY = """- term: ИЫҰ
  expansion: Ислам ынтымақтастық ұйымы
  definition: {snippet}
"""


def project_with(tmp_path: Path, chapter: str = "", glossary: str = "") -> Path:
    project = tmp_path / "project"
    shutil.copytree(BASE / "manuscript", project / "manuscript")
    shutil.copytree(ROOT / "styles", project / "styles")
    if chapter:
        (project / "manuscript" / "chapters" / "01.md").write_text(chapter, encoding="utf-8")
    if glossary:
        (project / "manuscript" / "glossary.yaml").write_text(glossary, encoding="utf-8")
    return project


def codes_of(project: Path) -> list[str]:
    _, problems = check_project(project)
    return sorted(p.code for p in problems.errors)


# (a) one allow-list, wherever the author writes -----------------------------------------

HOSTILE = [
    ("<script>alert(1)</script>", ["H001"]),
    ('<iframe src="x"></iframe>', ["H001"]),
    ("<marquee>x</marquee>", ["H002"]),
    ('<span onclick="steal()">x</span>', ["H003"]),
    ('<span style="font-family: DejaVu Sans Mono">x</span>', ["H004"]),
    ('<span class="footnote">x</span>', ["H004"]),
    ('<a href="javascript:alert(1)">x</a>', ["H005"]),
    ('<span lang="en; color: red">x</span>', ["H006"]),
    ('<span dir="sideways">x</span>', ["H006"]),
    ('<span id="index">x</span>', ["I003"]),
    ('<span id="ch1-b2">x</span>', ["I003"]),
    ('<span id="fn-a">x</span>', ["I003"]),
    ('<span id="g-iyu">x</span>', ["I003"]),
    ('<span id="бөлім">x</span>', ["I003"]),
    ("<span>never closed", ["H007"]),
    ("closes nothing</em>", ["H007"]),
    ("<div>a block inside a paragraph</div>", ["H007"]),
    ("<!DOCTYPE html>", ["H002"]),
    ("<?php echo 1 ?>", ["H002"]),
    ("<span>" * 40 + "deep" + "</span>" * 40, ["M007"]),
    ('<a href="#ch1" href="#ch1">twice</a>', ["H006"]),
    ('<span title="&#1;x">x</span>', []),  # an invalid reference reads as nothing
]
WELL_FORMED = [
    "one<br>two<br/>three<BR>four</br>",
    '<span lang="en" dir="ltr" title="a &amp; b">English</span>',
    '<abbr title="Organisation of Islamic Cooperation">OIC</abbr> &amp; <q>x</q>',
    "<sub>2</sub><sup>3</sup><wbr><kbd>Ctrl</kbd><!-- a comment -->",
    '<span id="my-id">x</span>',
]


def _in(context: str, snippet: str) -> dict[str, str]:
    """The snippet written in one of the places an author writes inline text."""
    chapter = "# Тарау\n\n{term}`ИЫҰ` мәтін.[^a]\n\n{body}\n\n[^a]: Ескерту. {note}\n"
    body, note, glossary = "Мәтін.", "", ""
    if context == "paragraph":
        body = f"Мәтін {snippet} мәтін."
    elif context == "footnote":
        note = snippet
    elif context == "heading":
        body = f"## Бөлім {snippet}\n\nМәтін."
    elif context == "glossary":
        glossary = GLOSSARY.replace("{snippet}", snippet.replace("'", "''").join("''"))
    chapter = chapter.replace("{body}", body).replace("{note}", note)
    return {"chapter": chapter, "glossary": glossary}


@pytest.mark.parametrize("context", ["paragraph", "footnote", "heading", "glossary"])
@pytest.mark.parametrize(("snippet", "codes"), HOSTILE)
def test_the_same_allow_list_everywhere(tmp_path, context, snippet, codes):
    project = project_with(tmp_path, **_in(context, snippet))
    assert codes_of(project) == codes


@pytest.mark.parametrize("context", ["paragraph", "footnote", "heading", "glossary"])
@pytest.mark.parametrize("snippet", WELL_FORMED)
def test_allowed_html_is_accepted_everywhere(tmp_path, context, snippet):
    project = project_with(tmp_path, **_in(context, snippet))
    assert codes_of(project) == []


@pytest.mark.parametrize(
    ("block", "codes"),
    [
        ('{style="color: red"}\nМәтін.', ["H004"]),
        ("{onclick=x}\nМәтін.", ["H003"]),
        ("{#index}\n## Бөлім", ["I003"]),
        ("{#contents-title}\nМәтін.", ["I003"]),
        ("{lang=ar dir=rtl #arabic}\nМәтін.", []),
        ("{.footnote}\nМәтін.", ["H004"]),
        ("{#twice}\nБір.\n\n{#twice}\nЕкі.", ["I001"]),
        ("{#x}\n# Екінші тақырып", ["M003"]),
    ],
)
def test_block_attributes_go_through_the_same_list(tmp_path, block, codes):
    chapter = f"# Тарау\n\n{{term}}`ИЫҰ` мәтін.[^a]\n\n{block}\n\n[^a]: Ескерту.\n"
    assert codes_of(project_with(tmp_path, chapter)) == codes


def test_attributes_a_plugin_set_aside_are_judged_not_dropped():
    """mdit-py-plugins moves `on*` (or anything outside its `allowed`) to
    meta["insecure_attrs"]: the sanitiser reports them instead of losing them silently,
    and keeps what its own list allows."""
    md = make_parser()
    tokens = md.parse("{onclick=x}\nМәтін.\n", {})
    paragraph = next(t for t in tokens if t.type == "paragraph_open")
    paragraph.meta["insecure_attrs"] = {**paragraph.meta["insecure_attrs"], "lang": "en"}
    problems = Problems(Path("/project"))
    sanitise_tokens(tokens, Path("/project/manuscript/chapters/01.md"), problems)
    assert [p.code for p in problems.items] == ["H003"]
    assert paragraph.attrs == {"lang": "en"}


# (b) what passes is well-formed XHTML ------------------------------------------------------


def test_raw_html_is_rewritten_as_xhtml(tmp_path):
    chapter = (
        "# Тарау\n\n{term}`ИЫҰ` бір<br>екі <BR> & <span lang=en>three</span>.[^a]\n\n"
        '<div lang="ar">\n\nМәтін & тағы.\n\n</div>\n\n[^a]: Ескерту<br>.\n'
    )
    book, problems = check_project(project_with(tmp_path, chapter))
    assert problems.errors == []
    part = book.chapters[0]
    for fragment in (part.body_html, *part.footnotes[0].paragraphs):
        etree.fromstring(f"<root>{fragment}</root>".encode())  # raises if ill-formed
    assert "<br/>" in part.body_html and "<BR>" not in part.body_html
    assert '<span lang="en">three</span>' in part.body_html


HTMLISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<span>",
                "</span>",
                "<em>",
                "</em>",
                "<br>",
                "</br>",
                "<div>",
                "</div>",
                '<span lang="en">',
                "<b",
                ">",
                "&",
                "&amp;",
                "&#0;",
                "<!--",
                "-->",
                "*",
                "**",
                "`",
                "\n",
                "\n\n",
                "<script>",
                '<a href="#x">',
                "</a>",
            ]
        ),
        st.text(alphabet="аб <>&\"'=/", max_size=6),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=HTMLISH)
def test_whatever_the_html_the_output_is_well_formed_or_refused(text):
    md = make_parser()
    tokens = md.parse(f"# Т\n\n{text}\n", {})
    for token in tokens:
        for child in token.children or ():
            child.meta = {**child.meta, "line": 1}
    problems = Problems(Path("/p"))
    sanitise_tokens(tokens, Path("/p/manuscript/chapters/01.md"), problems)
    if problems.errors:
        return
    fragment = md.renderer.render(tokens, md.options, {})
    root = etree.fromstring(f"<root>{fragment}</root>".encode())
    tags = {element.tag for element in root.iter()} - {"root"}
    markdown_tags = {"p", "h1", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "hr"}
    assert tags <= ALLOWED_TAGS | markdown_tags | {"blockquote"}


# (c) ids: the builder's namespace is reserved, and checked against what it makes ---------


def test_every_id_the_builder_makes_is_in_its_reserved_namespace(tmp_path):
    """If the builder starts making a new kind of id, RESERVED_ID must learn it, or an
    author could take it (an `{#index}` once cut the PDF from 24 pages to 8)."""
    chapter = (
        "# Тарау {term}`ИЫҰ` {index}`Мысыр`\n\n{term}`ИЫҰ` мәтін.[^a] ^[ішкі]\n\n"
        '{#mine}\n## Бөлім\n\n{index}`Мысыр` <span id="also-mine">x</span>\n\n'
        "- тізім\n\n> дәйексөз\n\n[^a]: Ескерту.\n"
    )
    project = project_with(tmp_path, chapter)
    manuscript = project / "manuscript"
    (manuscript / "chapters" / "app.md").write_text("# Қосымша\n\nМәтін.\n", "utf-8")
    (manuscript / "chapters" / "bib.md").write_text("# Әдебиеттер\n\n- Кітап.\n", "utf-8")
    book_yaml = manuscript / "book.yaml"
    book_yaml.write_text(
        book_yaml.read_text("utf-8")
        + "appendices:\n  - chapters/app.md\nbibliography: chapters/bib.md\n",
        "utf-8",
    )
    book, problems = check_project(project)
    assert problems.errors == []
    authored = {i for part in book.parts for i, _ in part.ids}
    assert authored == {"mine", "also-mine"}
    html = render.render_print_html(book) + render.render_print_index(book, {})
    html += "".join(doc.xhtml for doc in render.render_epub_documents(book))
    html += "".join(doc.xhtml for doc in render.render_web_pages(book, None, None, None))
    made = set(re.findall(r'\sid="([^"]+)"', html)) - authored
    assert made and {i for i in made if not RESERVED_ID.match(i)} == set()


def test_an_author_id_can_be_linked_and_is_kept(tmp_path):
    chapter = (
        "# Тарау\n\n{term}`ИЫҰ` [төменде](#mine).[^a]\n\n{#mine}\n## Бөлім\n\n[^a]: Ескерту.\n"
    )
    book, problems = check_project(project_with(tmp_path, chapter))
    assert problems.errors == []
    assert '<h2 id="mine">' in book.chapters[0].body_html


# (d) titles: roles are expanded, notes are refused (never lost) --------------------------


def test_roles_in_a_title_are_expanded_and_notes_refused(tmp_path):
    chapter = "# Тарау {term}`ИЫҰ` {index}`Мысыр`\n\n{term}`ИЫҰ` мәтін.[^a]\n\n[^a]: Е.\n"
    book, problems = check_project(project_with(tmp_path, chapter))
    assert problems.errors == []
    html = render.render_print_html(book)
    title = re.search(r'<h1 id="ch1">.*?</h1>', html, re.DOTALL)[0]
    assert "oic-" not in title and 'id="ix-ch1-' in title and 'href="#g-' in title
    refused = "# Тарау[^a]\n\n{term}`ИЫҰ` мәтін.\n\n## Бөлім ^[ішкі]\n\n[^a]: Е.\n"
    _, problems = check_project(project_with(tmp_path / "2", refused))
    assert sorted(p.code for p in problems.errors) == ["F006", "F006"]
    named = "{#mine}\n# Тарау\n\n{term}`ИЫҰ` мәтін.[^a]\n\n[^a]: Е.\n"
    _, problems = check_project(project_with(tmp_path / "3", named))
    assert [p.format() for p in problems.errors] == [
        (
            "manuscript/chapters/01.md:2: error: a '# Title' cannot take an id: the builder "
            "names it (link to the chapter with #ch1) [I003]"
        )
    ]


# (e) values that reach CSS cannot write CSS -------------------------------------------------


@given(value=st.text(max_size=60))
def test_css_string_round_trips_whatever_the_value(value):
    tokens = [t for t in tinycss2.parse_component_value_list(css_string(value))]
    assert [t.type for t in tokens] == ["string"]
    assert tokens[0].value == value.replace("\x00", "\ufffd")
