"""PDF structure tags that WeasyPrint 70 cannot choose by itself.

WeasyPrint builds the structure tree from its boxes and forgets the HTML element each one
came from. Two small patches keep what only the HTML knows; everything that can be
decided from the PDF itself is done afterwards, on the written file (`editions.pdfua`).
"""

from __future__ import annotations

# HTML elements WeasyPrint 70 reduces to NonStruct, and the PDF 1.7 standard type that
# says what they are: the contents and sidebars are sections of the book (the contents
# list inside becomes TOC/TOCI in pdfua); a figure groups the image (Figure, with its
# alt text) and its Caption.
_GROUPS = {"nav": "Sect", "aside": "Sect", "figure": "Div"}
_GROUPING = frozenset(("/Div", "/Sect", "/Part", "/Art", "/BlockQuote"))


def apply() -> None:
    """Install the patches (once): footnotes as /Note, and the HTML facts kept.

    Still required as of WeasyPrint 70.0 (pinned in pyproject.toml); the canary tests
    in tests/test_pdfua.py fail when a WeasyPrint release makes them needless or wrong.
    """
    from weasyprint.pdf import tags

    if getattr(tags._get_pdf_tag, "oic_book", False):
        return
    choose_tag = tags._get_pdf_tag

    def get_pdf_tag(tag):
        # WeasyPrint 70 chooses a tag from the element name alone and has no /Note, so
        # the print edition writes its notes as <oic-footnote>, mapped here.
        if tag == "oic-footnote":
            return "Note"
        if tag in ("oic-footnote::footnote-call", "oic-footnote::footnote-marker"):
            return "Lbl"
        if tag in _GROUPS:
            return _GROUPS[tag]
        return choose_tag(tag)

    get_pdf_tag.oic_book = True
    get_pdf_tag.original = choose_tag  # for the canary test
    tags._get_pdf_tag = get_pdf_tag
    tags._build_box_tree = _keeping_html_facts(tags._build_box_tree)


def _keeping_html_facts(build_box_tree):
    """Wrap WeasyPrint's recursive `_build_box_tree` so that each structure element made
    for an HTML element carries its `lang` (as /Lang) and its `id` (as /ID).

    /Lang is what PDF/UA asks for a passage in another language; /ID lets the
    post-processing find elements by their HTML id (the contents, the notes). Fragments
    of one element on several pages, or anonymous boxes inside it, repeat the id: pdfua
    makes the IDs unique. The recursion goes through the module attribute, so every level
    of the tree passes through this wrapper. Anonymous boxes get no facts: they repeat
    their element's.
    """
    import pydyf
    from weasyprint.css import AnonymousStyle

    def build(box, parent, pdf, page_number, nums, annotations, tags):
        source = getattr(box, "_box", box)  # an absolutely positioned box's placeholder
        anonymous = isinstance(source.style, AnonymousStyle)
        facts = {}
        if source.element is not None and not anonymous and "::" not in source.element_tag:
            for attribute, key in (("lang", "Lang"), ("id", "ID")):
                if value := source.element.get(attribute):
                    facts[key] = pydyf.String(value)
        elif source.element_tag == "oic-footnote::footnote-call" and source.element.get("id"):
            # Which note this call is for, so that pdfua can put the note after it; a
            # private key that pdfua removes (editions.pdfua.NOTE_CALL).
            facts["OICNoteCall"] = pydyf.String(source.element.get("id"))
        for element in build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):
            if anonymous and element["S"] in _GROUPING:
                # A box CSS made to hold an element's inline content (the image of a
                # figure) is no element of the document: not a second Div in the Div.
                element["S"] = "/NonStruct"
            element.update(facts)
            yield element

    return build
