"""The print edition: WeasyPrint lays the HTML out once and writes the PDF.

The layout (a `weasyprint.Document`) is kept so that the EPUB can take its page numbers
from it (see `pagemap`); it is never laid out a second time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..kazakh import hyphenation
from ..manuscript.config import BookConfig
from ..project import STYLES, Project
from ..weasyprint_fixes import linebreak, speedups, tags


def _weasyprint():
    # Imported on use: it costs half a second, and `oic-book check` never needs it.
    import weasyprint

    return weasyprint


class RefusedURL(ValueError):
    """A resource outside the project's own files was asked for."""


# The types of the files a stylesheet or the book may use (the `mimetypes` module would
# read /etc/mime.types, a file outside the project).
MEDIA_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


def make_url_fetcher(project: Project):
    """A WeasyPrint URL fetcher that reads only the project's own files, never the network.

    Every path goes through `project.contain` (the rule of `check` and the EPUB too).
    Every refused URL is recorded in `.refused`, so the build can fail on it instead of
    letting WeasyPrint print a warning and leave a hole in the page.
    """
    weasyprint = _weasyprint()
    from weasyprint.urls import URLFetcherResponse

    class ProjectURLFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                self.refused.append(url)
                raise RefusedURL(f"not a project file: {url}")
            try:
                path = Path(url2pathname(parts.path))
                data = project.read(path)
            except (OSError, ValueError) as exc:
                self.refused.append(url)
                raise RefusedURL(f"outside the project or unreadable: {url} ({exc})") from None
            media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
            return URLFetcherResponse(path.as_uri(), data, {"Content-Type": media_type})

    fetcher = ProjectURLFetcher(allowed_protocols={"file"})
    fetcher.refused = []  # read by the build after the layout
    return fetcher


def book_css(config: BookConfig, first_page: int = 1) -> str:
    """The rules that depend on book.yaml: page size and the left running head.

    `first_page` numbers the pages of a document that continues the book (the index).
    """
    title = config.title.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f"@page {{ size: {config.page_size}; }}\n"
        f'@page :left {{ @top-left {{ content: "{title}"; }} }}\n'
        f"@page :first {{ counter-reset: page {first_page}; }}\n"
    )


def layout(html: str, config: BookConfig, project: Project, fetcher, first_page: int = 1):
    """Lay the print HTML out into pages (the one WeasyPrint layout of the build).

    Returns the laid-out document and the root of the element tree it was made from.
    """
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    hyphenation.register_pyphen()  # pyphen has no Kazakh; ours makes `hyphens: auto` work
    tags.apply()
    linebreak.apply()  # a text box's trailing space must not split a word that fits
    speedups.apply()
    fonts = FontConfiguration()
    # Read here, through the project's rule: `CSS(filename=…)` would open the file itself.
    stylesheets = [
        weasyprint.CSS(
            string=project.read(project.styles / name, (STYLES,)).decode("utf-8"),
            base_url=(project.styles / name).as_uri(),
            url_fetcher=fetcher,
            font_config=fonts,
        )
        for name in ("base.css", "print.css")
    ]
    stylesheets.append(weasyprint.CSS(string=book_css(config, first_page), font_config=fonts))
    source = weasyprint.HTML(
        string=html, base_url=str(config.manuscript_dir) + "/", url_fetcher=fetcher
    )
    document = source.render(font_config=fonts, stylesheets=stylesheets, pdf_variant="pdf/ua-1")
    # The element tree too: page numbers are traced from boxes back to element ids.
    return document, source.etree_element


def append_pages(document, other, keep: int):
    """The first `keep` pages of `document` followed by every page of `other`."""
    return document.copy(document.pages[:keep] + other.pages)


def pdf_bytes(document, config: BookConfig) -> bytes:
    """Write the laid-out document to PDF bytes, reproducibly (fixed /ID, no clock)."""
    identifier = hashlib.sha256(config.identifier.encode()).hexdigest()[:32].encode()
    # fontTools stamps each font subset's `head.modified` with the clock unless
    # SOURCE_DATE_EPOCH is set (fontTools.misc.timeTools.timestampNow, 4.x): without
    # this, two builds a second apart differ in every embedded font.
    with source_date_epoch(config.build_timestamp()):
        return document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=identifier)


@contextmanager
def source_date_epoch(timestamp: int) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH for the libraries that read it, and restore it after."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(timestamp)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
