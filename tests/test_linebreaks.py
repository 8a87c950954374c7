"""Line breaking in the print edition: no word is split across three lines for nothing.

WeasyPrint 70 hyphenates the first word of a line whose text runs up to an inline element
(<a>, <em>...) when that text, trailing space included, is a little wider than the line,
even though it fits without the space (see `oic_book.weasyprint_fixes.linebreak`). The paragraph below
is the one from the book where "қысқартулармен" came out as "қыс‐" / "қартулар‐" / "мен".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oic_book.kazakh import hyphenation
from oic_book.weasyprint_fixes import linebreak as linebreak_fix

weasyprint = pytest.importorskip("weasyprint")
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text.fonts import FontConfiguration

ROOT = Path(__file__).resolve().parent.parent

HYPHEN = "\u2010"  # WeasyPrint's default hyphenate-character
MIN_FILL = 0.7  # a hyphenated line shorter than this share of the measure is a defect

PARAGRAPH = (
    '<p id="x">Кітаптың соңында қысқартулар мен атаулар сөздігі және атаулар көрсеткіші '
    "берілген. Сөздікте мәтіндегі қысқартулармен қатар кітаптың шығу деректерінде "
    'кездесетін <a class="glossref" href="#g-ozh">ӘОЖ</a> және '
    '<a class="glossref" href="#g-kbzh">КБЖ</a> белгілері де түсіндірілген.</p>'
)


def _unpatched_split_first_line():
    function = inline.split_first_line
    while getattr(function, "oic_book", False):
        function = function.__wrapped__
    return function


def _lines(html: str) -> list[tuple[str, float, float]]:
    """Lay `html` out with the print styles; (text, used width, measure) of each line of #x."""
    hyphenation.register_pyphen()
    styles = ROOT / "styles"
    # The stylesheets share the document's font configuration, as in `pdf.layout`:
    # without it their @font-face rules are ignored and a system font is used.
    fonts = FontConfiguration()
    document = weasyprint.HTML(
        string=f'<html lang="kk"><body><section class="part front">{html}</section></body></html>',
        base_url=str(styles) + "/",
    ).render(
        font_config=fonts,
        stylesheets=[
            weasyprint.CSS(filename=str(styles / "base.css"), font_config=fonts),
            weasyprint.CSS(filename=str(styles / "print.css"), font_config=fonts),
            weasyprint.CSS(string="@page { size: A5; }", font_config=fonts),
        ],
    )

    def find(box):
        element = getattr(box, "element", None)
        if (
            element is not None
            and element.get("id") == "x"
            and box.children
            and isinstance(box.children[0], boxes.LineBox)
        ):
            return box
        for child in getattr(box, "children", []):
            if found := find(child):
                return found
        return None

    paragraph = find(document.pages[0]._page_box)
    assert paragraph is not None
    lines = []
    for line in paragraph.children:
        texts = [box for box in line.descendants() if isinstance(box, boxes.TextBox)]
        lines.append(
            (
                "".join(box.text for box in texts),
                sum(box.width for box in texts),
                paragraph.width,
            )
        )
    return lines


def _short_hyphenated_lines(lines):
    return [
        text
        for text, used, measure in lines[:-1]
        if text.endswith(HYPHEN) and used < MIN_FILL * measure
    ]


def _plain_text(lines) -> str:
    joined = "".join(text.removesuffix(HYPHEN) for text, _, _ in lines)
    return re.sub(r"\s+", "", joined)


@pytest.fixture
def with_fix(monkeypatch):
    """The fix applied for one test, and WeasyPrint as it was afterwards."""
    monkeypatch.setattr(inline, "split_first_line", inline.split_first_line)
    linebreak_fix.apply()
    assert linebreak_fix.is_applied()


@pytest.fixture
def without_fix(monkeypatch):
    monkeypatch.setattr(inline, "split_first_line", _unpatched_split_first_line())
    assert not linebreak_fix.is_applied()


def test_no_short_hyphenated_line_before_an_inline_element(with_fix):
    lines = _lines(PARAGRAPH)
    assert _short_hyphenated_lines(lines) == [], [text for text, _, _ in lines]
    assert not any(text == f"қартулар{HYPHEN}" for text, _, _ in lines)


def test_the_fix_changes_line_breaks_only(with_fix):
    expected = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", PARAGRAPH))
    assert _plain_text(_lines(PARAGRAPH)) == expected


def test_apply_is_idempotent(with_fix):
    patched = inline.split_first_line
    linebreak_fix.apply()
    assert inline.split_first_line is patched
    assert not getattr(patched.__wrapped__, "oic_book", False)


def test_UPSTREAM_weasyprint_still_needs_the_fix(without_fix):
    """UPSTREAM CANARY: fails once WeasyPrint no longer has the bug.

    If this fails after a WeasyPrint upgrade, check that the bug is really fixed upstream
    (the reproducer lays out without a short "қартулар‐" line), then delete
    `oic_book.weasyprint_fixes.linebreak`, its call in `pdf.layout` and this test.
    """
    lines = _lines(PARAGRAPH)
    assert _short_hyphenated_lines(lines) == [f"қартулар{HYPHEN}"], (
        "WeasyPrint "
        + weasyprint.__version__
        + " no longer splits 'қысқартулармен' over three lines: is linebreak_fix still needed?"
    )
