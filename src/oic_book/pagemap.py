"""Page numbers of the print edition, read off its one layout.

WeasyPrint's `Document.pages` know where each anchor (every element id) landed; the EPUB
and the index take their page numbers from here.
"""

from __future__ import annotations

from .model import Book
from .render import PrintPages


def anchor_pages(document) -> dict[str, int]:
    """The printed page number of every id in the laid-out document."""
    page_of: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            page_of.setdefault(anchor, number)
    return page_of


def print_pages(document, book: Book) -> PrintPages:
    """What the EPUB needs from the print layout."""
    return PrintPages(page_of=anchor_pages(document))


def page_source(book: Book) -> str:
    """How the EPUB names the print edition its page numbers come from."""
    config = book.config
    if config.isbn:
        return f"urn:isbn:{config.isbn}"
    return f"{config.title}, {config.publisher}, {config.date.year} (PDF)"
