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
IMAGE_SCHEME = "oic-image"


def make_url_fetcher(project: Project, images: dict[str, tuple[Path, str]] | None = None):
    """A WeasyPrint URL fetcher that reads only the project's own files, never the network.

    Every path goes through `project.contain` (the rule of `check` and the EPUB too).
    The book's images are asked for as `oic-image:NAME` (their name in the EPUB), not by
    path: WeasyPrint names an image in the PDF after a hash of its URL, so a path would
    make the PDF depend on where the project lives. `images` maps NAME → (file, media
    type), as checked by `check`.
    Every refused URL is recorded in `.refused`, so the build can fail on it instead of
    letting WeasyPrint print a warning and leave a hole in the page.
    """
    weasyprint = _weasyprint()
    from weasyprint.urls import URLFetcherResponse

    images = images or {}

    class ProjectURLFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == IMAGE_SCHEME and parts.path in images:
                path, media_type = images[parts.path]
                try:
                    data = project.read(path)
                except (OSError, ValueError) as exc:
                    self.refused.append(url)
                    raise RefusedURL(f"image unreadable: {url} ({exc})") from None
                return URLFetcherResponse(url, data, {"Content-Type": media_type})
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


def css_string(value: str) -> str:
    """`value` as a quoted CSS string that nothing in it can end: every ASCII character
    but letters, digits and the space is written as an escape (a newline, a quote or a
    backslash in book.yaml's title would otherwise let it write CSS of its own)."""
    out = []
    for char in value:
        if (char.isascii() and (char.isalnum() or char == " ")) or (
            not char.isascii() and char.isprintable()
        ):
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return '"' + "".join(out) + '"'


def book_css(config: BookConfig, first_page: int = 1) -> str:
    """The rules that depend on book.yaml: page size and the left running head.

    `first_page` numbers the pages of a document that continues the book (the index).
    """
    title = css_string(config.title)
    # The outline goes as deep as the contents (book.yaml toc_depth), no deeper.
    outline = "".join(
        f"section.part h{level} {{ bookmark-level: "
        f"{level if level <= config.toc_depth else 'none'}; }}\n"
        for level in range(2, 7)
    )
    return (
        f"@page {{ size: {config.page_size}; }}\n"
        f"@page :left {{ @top-left {{ content: {title}; }} }}\n"
        f"@page :first {{ counter-reset: page {first_page}; }}\n" + outline
    )


NO_SYSTEM_FONTS = Path(__file__).with_name("no-system-fonts.conf")


def closed_font_configuration():
    """A WeasyPrint font configuration that knows no font of the machine.

    WeasyPrint loads fontconfig's default configuration, which lists every installed
    font; a generic family (the user agent's `monospace` for code) or a character the
    stack lacks would then be drawn with, say, DejaVu Sans Mono, and the PDF would
    depend on the build machine. fontconfig reads FONTCONFIG_FILE when the
    configuration is made (FcInitLoadConfigAndFonts); ours names no font folder, so
    only the @font-face fonts exist and any family name resolves to one of them.
    """
    from weasyprint.text.fonts import FontConfiguration

    before = os.environ.get("FONTCONFIG_FILE")
    os.environ["FONTCONFIG_FILE"] = str(NO_SYSTEM_FONTS)
    try:
        return FontConfiguration()
    finally:
        if before is None:
            del os.environ["FONTCONFIG_FILE"]
        else:
            os.environ["FONTCONFIG_FILE"] = before


def layout(html: str, config: BookConfig, project: Project, fetcher, first_page: int = 1):
    """Lay the print HTML out into pages (the one WeasyPrint layout of the build).

    Returns the laid-out document and the root of the element tree it was made from.
    """
    weasyprint = _weasyprint()

    hyphenation.register_pyphen()  # pyphen has no Kazakh; ours makes `hyphens: auto` work
    tags.apply()
    linebreak.apply()  # a text box's trailing space must not split a word that fits
    speedups.apply()
    fonts = closed_font_configuration()
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
