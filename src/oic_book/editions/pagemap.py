"""Page numbers of the print edition, read off its one layout, carried into the EPUB.

After WeasyPrint has laid the print HTML out, each page's first line of text is found in
the box tree: the block it belongs to (every block has an id, the same in both editions)
and the words it starts with. The EPUB gets an `epub:type="pagebreak"` marker at those
words of the same block, and a page-list that points at the markers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from lxml import etree

from ..model import Book
from ..render import Document, PageMarker, PageStart, PrintPages

log = logging.getLogger("oic_book")

XHTML = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
# fmt: off
BLOCKS = frozenset([
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "blockquote", "section",
    "nav", "div", "pre", "figure", "table",
])
# fmt: on
_SPACE = re.compile(r"\s+")
_HYPHENS = "\u2010\u00ad"


def containers(book: Book) -> dict[str, str]:
    """Ids of the print sections → the EPUB document each becomes."""
    names = {
        "titlepage": "titlepage.xhtml",
        "imprint": "imprint.xhtml",
        "contents": "nav.xhtml",
        "glossary": "glossary.xhtml",
        "index": "index.xhtml",
    }
    names.update({f"{part.slug}-part": f"{part.slug}.xhtml" for part in book.parts})
    return names


def _flow_text_boxes(box) -> Iterator:
    """Text boxes of the page's main flow, in order: no running heads, page numbers,
    footnote area, or generated content (leaders, page references, note calls)."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return
    if "::" in (getattr(box, "element_tag", "") or ""):
        return
    if isinstance(box, boxes.TextBox):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _flow_text_boxes(child)


def _first_line_words(page_box) -> tuple[object, str] | None:
    """The element and text at the start of the page's first line of text."""
    from weasyprint.formatting_structure import boxes

    def lines(box):
        if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            return
        if isinstance(box, boxes.TableRowGroupBox) and box.is_header:
            return  # a table's header row, repeated at the top of the page in print only
        if isinstance(box, boxes.LineBox):
            yield box
            return
        for child in getattr(box, "children", ()):
            yield from lines(child)

    for line in lines(page_box):
        texts = list(_flow_text_boxes(line))
        first = next((b for b in texts if b.text.strip()), None)
        if first is None:
            continue
        text = _SPACE.sub(" ", "".join(b.text for b in texts)).strip()
        return first.element, text.rstrip(_HYPHENS)
    return None


def page_starts(document, roots, book: Book) -> list[PageStart]:
    """The start of every printed page that carries text."""
    return page_starts_in(document, roots, containers(book))


def page_starts_in(document, roots, containers: dict[str, str]) -> list[PageStart]:
    """The start of every printed page with text; `containers` maps the ids of the print
    sections to the EPUB documents they become."""
    parents = {child: parent for root in roots for parent in root.iter() for child in parent}
    starts = []
    for number, page in enumerate(document.pages, start=1):
        found = _first_line_words(page._page_box)
        if found is None:
            continue  # a blank page: nothing to mark
        element, words = found
        block = None
        while element is not None:
            element_id = element.get("id")
            if block is None and element_id and _local(element.tag) in BLOCKS:
                block = element_id
            if element_id in containers:
                starts.append(
                    PageStart(number, containers[element_id], block or element_id, words[:40])
                )
                break
            element = parents.get(element)
    return starts


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def anchor_pages(document) -> dict[str, int]:
    """The printed page number of every id in the laid-out document."""
    page_of: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            page_of.setdefault(anchor, number)
    return page_of


def print_pages(document, roots, book: Book) -> PrintPages:
    """What the EPUB and the index need from the print layout."""
    starts = page_starts(document, roots, book)
    markers = tuple(
        PageMarker(str(start.number), f"{start.doc}#page-{start.number}") for start in starts
    )
    return PrintPages(page_of=anchor_pages(document), markers=markers, starts=tuple(starts))


def page_source(book: Book) -> str:
    """How the EPUB names the print edition its page numbers come from."""
    config = book.config
    if config.isbn:
        return f"urn:isbn:{config.isbn}"
    # no publisher yet: the print edition is named by title and year alone
    named = [config.title, config.publisher, str(config.date.year)]
    return ", ".join(part for part in named if part) + " (PDF)"


# --- the EPUB side -------------------------------------------------------------------


def _text_slots(element) -> list[tuple[object, str, str]]:
    """(node, 'text'|'tail', string) of every text run inside `element`, in order,
    leaving out note references (their number is not part of the printed line)."""
    slots = []

    def walk(node, inside: bool):
        if node is not element and _is_noteref(node):
            if node.tail:
                slots.append((node, "tail", node.tail))
            return
        if node.text:
            slots.append((node, "text", node.text))
        for child in node:
            walk(child, True)
        if inside and node.tail and node is not element:
            slots.append((node, "tail", node.tail))

    walk(element, False)
    return slots


def _is_noteref(node) -> bool:
    """A note reference, or the web edition's copy of the note beside it: text that is not
    on the printed line."""
    return node.get(f"{{{EPUB_NS}}}type") == "noteref" or "sidenote" in (
        node.get("class") or ""
    ).split(" ")


def _marker(number: int):
    span = etree.Element(f"{{{XHTML}}}span")
    span.set(f"{{{EPUB_NS}}}type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", f"page-{number}")
    # The page number as `title`, the accessible name that Ace's pagebreak-label rule
    # asks for: axe-core (4.12) reports `aria-label` on this span as a prohibited
    # attribute, and a title satisfies both.
    span.set("title", str(number))
    return span


# Where a marker may stand before a block rather than inside it: the block's parent must
# accept phrasing content (not <ol>, <ul>, <dl>).
_FLOW_PARENTS = frozenset(["body", "section", "div", "blockquote", "aside"])


def _insert(element, words: str, number: int, after: int) -> int:
    """Insert the marker for page `number` in `element` before `words`; return the offset
    from which a later page in the same block is searched."""
    nav = next((a for a in element.iterancestors() if _local(a.tag) == "nav"), None)
    if nav is None and _local(element.tag) == "nav":
        nav = element
    if nav is not None:
        # A nav's lists admit only links and spans that carry text (EPUBCheck counts an
        # aria-label too, which axe-core prohibits on a page break): a page that begins
        # inside the contents is marked just before them.
        nav.addprevious(_marker(number))
        return after
    slots = _text_slots(element)
    chars: list[str] = []  # the block's text with white space collapsed, as in layout
    index: list[tuple[int, int]] = []  # its position → (slot, offset in slot)
    for slot_number, (_, _, text) in enumerate(slots):
        for offset, char in enumerate(text):
            if char.isspace():
                if not chars or chars[-1] == " ":
                    continue
                char = " "
            chars.append(char)
            index.append((slot_number, offset))
    flat = "".join(chars)
    position = -1
    candidate = words.split(" ")
    while position < 0 and candidate:
        # Generated text (page numbers in the glossary, leaders) is in one edition only:
        # fewer words still find the place where the page starts.
        position = flat.find(" ".join(candidate), after)
        candidate = candidate[:-1]
    if position < 0:
        log.warning(
            "page %d: %r not found in #%s; marked at its start",
            number,
            words,
            element.get("id"),
        )
        position = 0
    while position > 0 and flat[position - 1].isalnum():
        position -= 1  # a page that starts inside a hyphenated word is marked at its start
    marker = _marker(number)
    if position == 0:
        parent = element.getparent()
        if (
            parent is not None
            and _local(parent.tag) in _FLOW_PARENTS
            and _local(element.tag) not in ("section", "nav")
        ):
            element.addprevious(marker)
        else:
            element.insert(0, marker)
            marker.tail, element.text = element.text, None
        return 1
    slot_number, offset = index[position]
    node, kind, text = slots[slot_number]
    if kind == "text":
        node.text = text[:offset]
        marker.tail = text[offset:]
        node.insert(0, marker)
    else:
        node.tail = text[:offset]
        marker.tail = text[offset:]
        node.addnext(marker)
    return position + 1


def insert_page_markers(documents: list[Document], starts: tuple[PageStart, ...]):
    """The EPUB documents with a page-break marker where each printed page begins."""
    out = []
    for doc, root in marked_roots(documents, starts):
        if root is None:
            out.append(doc)
            continue
        xhtml = etree.tostring(
            root, encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>"
        ).decode("utf-8")
        out.append(Document(doc.name, doc.title, xhtml, doc.properties))
    return out


def marked_roots(documents: list[Document], starts: tuple[PageStart, ...], name_of=str):
    """Each document with its parsed root, page-break markers inserted (`mark_pages`), or
    None if no printed page begins in it. `name_of` maps a start's document name to the
    names of `documents` (the web edition names its pages otherwise)."""
    by_doc: dict[str, list[PageStart]] = {}
    for start in starts:
        by_doc.setdefault(name_of(start.doc), []).append(start)
    for doc in documents:
        if doc.name not in by_doc:
            yield doc, None
            continue
        root = etree.fromstring(doc.xhtml.encode("utf-8"))
        mark_pages(root, by_doc[doc.name], doc.name)
        yield doc, root


def mark_pages(root, starts: list[PageStart], name: str) -> None:
    """Insert a page-break marker for each of `starts` into the parsed document `root`
    (the EPUB's and the web edition's documents alike)."""
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    searched_from: dict[str, int] = {}
    for start in starts:
        element = ids.get(start.block_id)
        if element is None:
            raise ValueError(f"page {start.number}: no element #{start.block_id} in {name}")
        searched_from[start.block_id] = _insert(
            element, start.words, start.number, searched_from.get(start.block_id, 0)
        )
