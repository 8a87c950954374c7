"""The footnote-policy fix for WeasyPrint 70 (`weasyprint_fixes.footnotes`) and its canaries.

A small page, a paragraph whose one line calls a note, a heading, and a paragraph that
overflows the page after its first line (orphans: 2). Over a grid of filler heights and
note lengths, WeasyPrint 70 as it is moves the note to the next page in some of them
while its call stays; with the fix, the note and its call are always on one page.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pypdfium2
import pytest
import weasyprint
from weasyprint.layout import block
from weasyprint.text.fonts import FontConfiguration

from oic_book.weasyprint_fixes import footnotes

FONTS = Path(__file__).resolve().parent.parent / "styles" / "fonts"
GRID = [(filler, lines) for filler in range(14) for lines in (1, 2, 3)]


def _html(filler: int, note_lines: int) -> str:
    note = " ".join(["NOTEBODY"] + ["note words here"] * (note_lines * 4))
    return f"""<style>
@font-face {{ font-family: Serif; src: url({(FONTS / "NotoSerif-Regular.ttf").as_uri()}); }}
@page {{ size: 90mm 70mm; margin: 5mm; }}
body {{ font-family: Serif; font-size: 10pt; line-height: 12pt; margin: 0;
        orphans: 2; widows: 2; }}
.fn {{ float: footnote; footnote-policy: line; }}
h2 {{ font-size: 10pt; margin: 0; break-after: avoid; }}
</style>
<p>{"filler<br>" * filler}</p>
<p>CALLWORD<span class="fn">{note}</span></p>
<h2>HEADING</h2>
<p>{" ".join(["next paragraph words"] * 12)}</p>"""


def _pages(filler: int, note_lines: int) -> tuple[int, int]:
    """The page of the call and the page of the note."""
    fonts = FontConfiguration()
    pdf = weasyprint.HTML(string=_html(filler, note_lines)).write_pdf(font_config=fonts)
    document = pypdfium2.PdfDocument(pdf)
    texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    call = next(i for i, text in enumerate(texts) if "CALLWORD" in text)
    note = next(i for i, text in enumerate(texts) if "NOTEBODY" in text)
    return call, note


@pytest.fixture
def fixed():
    assert footnotes.apply()
    return block._linebox_layout


def test_the_condition_is_still_in_weasyprint():
    """Canary: the fix rewrites this condition of WeasyPrint 70.0. When this fails,
    WeasyPrint has changed the function: check whether the bug is still there."""
    function = getattr(block._linebox_layout, "__wrapped__", block._linebox_layout)
    assert inspect.getsource(function).count(footnotes.CONDITION) == 1


def test_upstream_weasyprint_still_moves_a_note_off_its_page(fixed, monkeypatch):
    """UPSTREAM: fails once WeasyPrint keeps every note on its call's page by itself;
    the fix can then go."""
    monkeypatch.setattr(block, "_linebox_layout", fixed.__wrapped__)
    misplaced = [case for case in GRID if len(set(_pages(*case))) > 1]
    assert misplaced


def test_a_note_stays_on_the_page_of_its_call(fixed):
    misplaced = [(case, _pages(*case)) for case in GRID]
    assert [(case, pages) for case, pages in misplaced if pages[0] != pages[1]] == []


def test_the_fix_is_installed_once(fixed):
    assert footnotes.apply()
    assert block._linebox_layout is fixed
    assert not getattr(fixed.__wrapped__, "oic_book", False)
