"""Two hooks that let WeasyPrint 70 lay out one chunk of the book (a few chapters) alone,
exactly as those pages come out of a layout of the whole book.

Every chunk starts on a right-hand page with fresh state (`break-before: right`, footnotes
counted per chapter, the running head set by the chapter's own title), so its page breaks
do not depend on what came before it: only the printed page numbers do. Those are drawn in
the margin boxes, which WeasyPrint 70 makes after the whole chunk is paginated
(`layout.layout_document`, "Add margin boxes"). So:

* **The first page number is asked for late.** The chunk is paginated from page 1; just
  before its first margin box is made, `on_paginated(page_count)` is called and returns the
  chunk's real first page number, and every page's `page` counter is moved by the
  difference. The caller can lay several chunks out at once and tell each its first page
  once the chunks before it have been paginated.
* **Links to other chunks are kept.** WeasyPrint drops an internal link whose anchor is
  not in the document (`pdf.anchors.resolve_links`) with an error. For the anchors in
  `keep_links` the link is kept as it would be in the whole book: a `/Dest` naming the
  anchor, which the merged PDF's name tree defines (`pdfmerge` checks that it does).

Both are inactive outside `laying_out_chunk()`. `apply()` is idempotent and refuses other
WeasyPrint versions: it copies `resolve_links` (25 lines of 70.0) rather than wrap it.
`tests/test_chunks.py` checks that a book laid out in chunks equals one laid out whole.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager

#: The WeasyPrint version the hooks were written for and checked on.
CHECKED_ON = "70."

_on_paginated: Callable[[int], int] | None = None
_keep_links: Container[str] = frozenset()


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


#: `keep_links` for a chunk whose links may point anywhere in the book.
EVERY_ANCHOR: Container[str] = _Everything()


@contextmanager
def laying_out_chunk(
    on_paginated: Callable[[int], int], keep_links: Container[str]
) -> Iterator[None]:
    """Lay out (and write) one chunk inside this block; see the module's docstring."""
    global _on_paginated, _keep_links
    apply()
    _on_paginated, _keep_links = on_paginated, keep_links
    try:
        yield
    finally:
        _on_paginated, _keep_links = None, frozenset()


def apply() -> None:
    """Install both hooks, once."""
    import weasyprint
    from weasyprint import layout, pdf

    if not weasyprint.__version__.startswith(CHECKED_ON):
        raise RuntimeError(
            f"oic_book.weasyprint_fixes.chunking was checked on WeasyPrint {CHECKED_ON}x, "
            f"not {weasyprint.__version__}: review it"
        )
    if not getattr(layout.make_margin_boxes, "oic_book", False):
        layout.make_margin_boxes = _numbering_margin_boxes(layout.make_margin_boxes)
    if not getattr(pdf.resolve_links, "oic_book", False):
        pdf.resolve_links = resolve_links


def _numbering_margin_boxes(original):
    def make_margin_boxes(context, page, state):
        if _on_paginated is not None and not getattr(context, "oic_numbered", False):
            context.oic_numbered = True
            # page_maker holds one state per page, and one for the page after the last.
            first = _on_paginated(len(context.page_maker) - 1)
            for _, _, _, page_state, _ in context.page_maker:
                counters = page_state[1]
                if "page" in counters:
                    counters["page"] = [value + first - 1 for value in counters["page"]]
        return original(context, page, state)

    make_margin_boxes.oic_book = True
    make_margin_boxes.__wrapped__ = original
    return make_margin_boxes


def resolve_links(pages):
    """WeasyPrint 70.0's `pdf.anchors.resolve_links`, keeping links to `_keep_links`."""
    from weasyprint.logger import LOGGER

    anchors = set()
    paged_anchors = []
    for page in pages:
        paged_anchors.append([])
        for anchor_name, (point_x, point_y, _, _) in page.anchors.items():
            if anchor_name not in anchors:
                paged_anchors[-1].append((anchor_name, point_x, point_y))
                anchors.add(anchor_name)
    for page in pages:
        page_links = []
        for link in page.links:
            link_type, anchor_name, _, _ = link
            if (
                link_type == "internal"
                and anchor_name not in anchors
                and anchor_name not in _keep_links
            ):
                LOGGER.error("No anchor #%s for internal URI reference", anchor_name)
            else:
                page_links.append(link)
        yield page_links, paged_anchors.pop(0)


resolve_links.oic_book = True
