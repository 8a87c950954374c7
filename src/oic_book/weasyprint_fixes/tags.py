"""PDF structure tags that WeasyPrint 70 cannot choose by itself."""

from __future__ import annotations


def apply() -> None:
    """Tag footnotes /Note in the PDF structure tree, as PDF/UA asks.

    WeasyPrint 70 chooses a tag from the element name alone and has no /Note, so the
    print edition writes its notes as <oic-footnote>, mapped here. Still required as of
    WeasyPrint 70.0 (pinned in pyproject.toml).
    """
    from weasyprint.pdf import tags

    if getattr(tags._get_pdf_tag, "oic_book", False):
        return
    original = tags._get_pdf_tag

    def get_pdf_tag(tag):
        if tag == "oic-footnote":
            return "Note"
        if tag in ("oic-footnote::footnote-call", "oic-footnote::footnote-marker"):
            return "Lbl"
        return original(tag)

    get_pdf_tag.oic_book = True
    tags._get_pdf_tag = get_pdf_tag
