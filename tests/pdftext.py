"""Reading a built PDF in the tests with pip-installed tools only (pypdfium2, pypdf), so
that `make test` needs no poppler-utils: a fresh machine does not have them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from pypdf import PdfReader


def page_texts(path: Path) -> list[str]:
    """The text of every page, one printed line per line, in reading order.

    That is the order WeasyPrint draws the text in (columns one after the other), except
    that the running head comes first and the folio last, as pdftotext gives them:
    WeasyPrint draws the page's margin boxes after its content.
    """
    document = pdfium.PdfDocument(str(path))
    try:
        return [_reading_order_text(page) for page in document]
    finally:
        document.close()


# The page margins of print.css are 18 mm at the top and 20 mm at the bottom; the running
# head and the folio are drawn inside them, the text block never is.
_HEAD_BAND = 18 * 72 / 25.4
_FOOT_BAND = 20 * 72 / 25.4


def _reading_order_text(page) -> str:
    textpage = page.get_textpage()
    height = page.get_height()
    bands: dict[str, list[list[str]]] = {"head": [], "body": [], "foot": []}
    previous: dict[str, tuple[float, float]] = {}
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        text = textpage.get_text_bounded(left, bottom, right, top).replace("\r\n", " ")
        band = (
            "head" if bottom > height - _HEAD_BAND else "foot" if top < _FOOT_BAND else "body"
        )
        lines = bands[band]
        last = previous.get(band)
        # Runs whose heights overlap by half are one line: a superscript note call and
        # the low dots of a leader belong to the line they stand on.
        if last and min(top, last[0]) - max(bottom, last[1]) > 0.5 * min(
            top - bottom, last[0] - last[1]
        ):
            lines[-1].append(text)
        else:
            lines.append([text])
        previous[band] = (top, bottom)
    return "\n".join("".join(line) for band in ("head", "body", "foot") for line in bands[band])


@dataclass(frozen=True)
class Font:
    """A font resource of the PDF, as pdffonts would list it."""

    name: str  # /BaseFont, with its subset prefix
    embedded: bool
    subset: bool
    unicode: bool  # has a /ToUnicode map, so its text can be searched and copied


def fonts(path: Path) -> list[Font]:
    """Every font used on any page (Type0 fonts by their descendant's file)."""
    found: dict[str, Font] = {}
    for page in PdfReader(path).pages:
        resources = page.get("/Resources") or {}
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            name = str(font["/BaseFont"]).lstrip("/")
            descriptor_font = font
            if font.get("/Subtype") == "/Type0":
                descriptor_font = font["/DescendantFonts"][0].get_object()
            descriptor = descriptor_font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[name] = Font(
                name,
                embedded,
                bool(re.match(r"^[A-Z]{6}\+", name)),
                "/ToUnicode" in font,
            )
    return sorted(found.values(), key=lambda f: f.name)
