"""The 2026 edition's editorial rules, applied to every file of the manuscript.

`make editorial` runs them (and CI, after `make test`); `make test` does not. They hold the
text to the house conventions of manuscript/EDITORIAL.md, beyond what the builder needs:
every note names a source a reader can find, listed in the bibliography; date forms and
the typography the builder does not set itself (checked on the text as `typeset` leaves
it, so plain typing is never a fault); index marks on the names the book indexes
everywhere; hunspell-kk with the project word list. A chapter that builds
(`oic-book check --strict`) but has not yet had its editorial pass fails here, and only
here: the builder's tests stay green for it.
"""

from __future__ import annotations

import re

import pytest
from test_manuscript import (
    NBSP,
    ROLE_RE,
    ROOT,
    URL_RE,
    _md,
    bibliography,
    bibliography_entries,
    body_and_notes,
    book_text,
    chapters,
    config,
    documents,
    footnote_texts,
    glossary_text,
    plain,
    read,
    split_role,
    without_tables,
)

from oic_book.kazakh.typography import typeset


def _typeset(text: str) -> str:
    """The text as the builder sets it, paragraph by paragraph."""
    return "\n\n".join(typeset([paragraph])[0] for paragraph in text.split("\n\n"))


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.name)
def test_chapter_has_sections(path):
    tokens = _md().parse(read(path))
    h2 = [t for t in tokens if t.type == "heading_open" and t.tag == "h2"]
    h3 = [t for t in tokens if t.type == "heading_open" and t.tag in ("h3", "h4")]
    assert 2 <= len(h2) <= 5
    assert not h3


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.name)
def test_no_raw_html(path):
    """The edition is Markdown only (raw HTML is for what Markdown cannot say)."""
    tokens = _md().parse(read(path))
    kinds = set()
    for tok in tokens:
        kinds.add(tok.type)
        for child in tok.children or []:
            kinds.add(child.type)
    assert not kinds & {"html_block", "html_inline"}


@pytest.mark.parametrize("name", ["Мысыр", "Израиль", "Қазақстан", "Жидда", "Астана"])
def test_names_are_indexed(name):
    """Every running-text occurrence of these names in a chapter carries an index role."""
    for path in chapters():
        body, _ = body_and_notes(read(path))
        bare = ROLE_RE.sub("", re.sub(r"^#.*$", "", body, flags=re.MULTILINE))
        assert not re.search(rf"(?<!\w){name}", bare), f"{path.name}: bare {name}"


def test_qazirgi_tanda_only_quoted():
    """«Қазіргі таңда» in the source meant 2006; the book never says it in its own voice."""
    for path in documents():
        unquoted = re.sub(r"«[^»]*»", "", plain(read(path)))
        assert not re.search(r"(?i)қазіргі таңда", unquoted), path.name


def test_missing_space_after_full_stop():
    text = re.sub(URL_RE, "", book_text())
    # «ж.қазанда», «болмауда.Ислам»: a full stop glued to the next word
    bad = re.findall(r"[а-яәғқңөұүһі]\.[А-ЯӘҒҚҢӨҰҮҺІа-яәғқңөұүһі]", text)
    assert not bad, bad


@pytest.mark.parametrize(
    "path", [*documents(), None], ids=lambda p: p.name if p else "glossary"
)
def test_typography(path):
    """The house typography, on the text as the builder sets it: what `typeset` does for
    plain typing (quotes, dashes, «ж.», initials) is not asked of the author; what is left
    (a no-break space before «миллиард», «жыл», a month; balanced quotes; decimal
    commas) is the editor's."""
    text = read(path) if path else glossary_text(keep_nbsp=True)
    prose = ROLE_RE.sub(lambda m: split_role(m.group(2))[0], text)
    prose = URL_RE.sub("", prose)
    prose = _typeset(prose)
    assert '"' not in prose, "straight double quote"
    assert " - " not in prose and " – " not in prose and " — " not in prose, "dash"
    assert not re.search(r"\d ж\.", prose), "number and ж. need a no-break space"
    assert not re.search(r"\d ж\b(?!\.)", prose)
    assert not re.search(r"\b\d+ (миллиард|миллион|жыл|жылға)\b", prose)
    assert not re.search(r"\b[А-ЯӘҒҚҢӨҰҮҺІ]\. ?[А-ЯӘҒҚҢӨҰҮҺІ][а-яәғқңөұүһі]", prose)
    assert not re.search(r"\d\.\d", prose), "decimal comma"
    assert prose.count("«") == prose.count("»")


@pytest.mark.parametrize(
    "path", [p for p in documents() if p != bibliography()], ids=lambda p: p.name
)
def test_date_forms(path):
    """Running text writes «1969 жылғы 25 қыркүйекте»; «ж.» is for notes, tables and the
    bibliography. Quotations («…») keep their own form."""
    body, notes = (_typeset(part) for part in body_and_notes(read(path)))
    body, notes = (re.sub(r"«[^»]*»", "", part) for part in (body, notes))
    assert not re.search(rf"\d{NBSP}ж\.", without_tables(body)), path.name
    if notes:
        assert not re.search(r"\d{4} жыл(ы|ғы) \d", notes.replace(NBSP, " ")), path.name


@pytest.mark.parametrize("label", sorted(footnote_texts()))
def test_every_note_names_a_findable_source(label):
    """Title, site and URL, with the date of access (the Kazakh Wikipedia article, whose
    revision could not be established, is the one source without one)."""
    text = footnote_texts()[label]
    urls = URL_RE.findall(text)
    assert urls, f"{label}: no URL"
    assert "//" in text.replace("://", ""), f"{label}: no «Title // Site»"
    if not all("wikipedia.org" in u for u in urls):
        assert re.search(rf"2026{NBSP}ж\. 30{NBSP}қарашада қаралды", text), label


def test_bibliography_lists_every_source_once():
    listed_urls = [url for entry in bibliography_entries() for url in URL_RE.findall(entry)]
    assert len(listed_urls) == len(set(listed_urls)), "a source listed twice"
    cited = {url for text in footnote_texts().values() for url in URL_RE.findall(text)}
    cited |= {url for text in config()["source_credit"] for url in URL_RE.findall(text)}
    assert cited - set(listed_urls) == set(), "cited but not in the bibliography"
    assert set(listed_urls) - cited == set(), "in the bibliography but never cited"


def test_spelling():
    """hunspell-kk with the project word list flags nothing (the check `make spell` runs)."""
    from oic_book.manuscript.check import check_project

    _, problems = check_project(ROOT, spell=True)
    flagged = [p.format() for p in problems.items if p.code.startswith("S")]
    assert not flagged, flagged
