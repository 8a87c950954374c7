"""The print edition: WeasyPrint lays the HTML out and writes the PDF.

The build lays the book out in chunks (`chunks`), each in a worker process with a
`ChunkLayouter`; the layout of a chunk is kept until its page numbers, for the EPUB (see
`pagemap`), and its PDF are taken from it. `lay_out_in_one_pass` lays the whole book out
as one document: the reference the chunks are tested against.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..kazakh import hyphenation
from ..manuscript.config import BookConfig
from ..project import STYLES, Project
from ..weasyprint_fixes import footnotes, linebreak, speedups, tags
from . import pagemap, pdfua
from .chunks import FontUse, LaidOutChunk


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


def image_sources(book) -> dict[str, tuple[Path, str]]:
    """The book's images as `make_url_fetcher` takes them: name → (file, media type)."""
    return {image.name: (image.path, image.media_type) for image in book.images}


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


def layout(
    html: str, config: BookConfig, project: Project, fetcher, first_page: int = 1, styles=None
):
    """Lay the print HTML out into pages.

    Returns the laid-out document and the root of the element tree it was made from.
    `styles` (from `print_styles`) may be shared by the layouts of one process.
    """
    weasyprint = _weasyprint()
    fonts, stylesheets = styles or print_styles(project, fetcher)
    stylesheets = [
        *stylesheets,
        weasyprint.CSS(string=book_css(config, first_page), font_config=fonts),
    ]
    source = weasyprint.HTML(
        string=html, base_url=str(config.manuscript_dir) + "/", url_fetcher=fetcher
    )
    document = source.render(font_config=fonts, stylesheets=stylesheets, pdf_variant="pdf/ua-1")
    # The element tree too: page numbers are traced from boxes back to element ids.
    return document, source.etree_element


def print_styles(project: Project, fetcher):
    """The font configuration and the parsed print style sheets, with WeasyPrint fixed."""
    weasyprint = _weasyprint()

    hyphenation.register_pyphen()  # pyphen has no Kazakh; ours makes `hyphens: auto` work
    tags.apply()
    linebreak.apply()  # a text box's trailing space must not split a word that fits
    footnotes.apply()  # a note never leaves the page of its call (footnote-policy)
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
    return fonts, stylesheets


@dataclass(frozen=True)
class ChunkSetup:
    """What every chunk of one build shares: sent once to each layout process."""

    config: BookConfig
    project: Project
    images: dict[str, tuple[Path, str]]  # the book's images: name → (file, media type)
    containers: dict[str, str]  # ids of print sections → their EPUB document (pagemap)
    link_targets: frozenset[str]  # ids some link of the book points to (pdfua)

    @classmethod
    def for_book(cls, book, project: Project, link_targets: frozenset[str]) -> ChunkSetup:
        images = image_sources(book)
        return cls(book.config, project, images, pagemap.containers(book), link_targets)


class ChunkLayouter:
    """Lays out chunks of one book, one after another, in one process."""

    def __init__(self, setup: ChunkSetup) -> None:
        self.setup = setup
        self.fetcher = make_url_fetcher(setup.project, setup.images)
        self.styles = print_styles(setup.project, self.fetcher)

    def lay_out(self, name: str, html: str, ask_first_page) -> LaidOutChunk:
        """Paginate `html`, ask `ask_first_page(page_count)` for its first page number,
        then number the pages and write the PDF."""
        from ..weasyprint_fixes import chunking

        setup = self.setup
        first: list[int] = []

        def on_paginated(count: int) -> int:
            first.append(ask_first_page(count))
            return first[0]

        # Links to other chunks are kept; the merged PDF defines their destinations.
        with chunking.laying_out_chunk(on_paginated, chunking.EVERY_ANCHOR):
            document, root = layout(
                html, setup.config, setup.project, self.fetcher, styles=self.styles
            )
            data = pdf_bytes(document, setup.config, _unique_header_ids(f"p{first[0]}-"))
        shift = first[0] - 1
        anchors = {
            anchor: page + shift for anchor, page in pagemap.anchor_pages(document).items()
        }
        starts = tuple(
            replace(start, number=start.number + shift)
            for start in pagemap.page_starts_in(document, [root], setup.containers)
        )
        return LaidOutChunk(
            name,
            first[0],
            len(document.pages),
            data,
            anchors,
            starts,
            font_uses(document),
            pdfua.link_targets_of([root], setup.link_targets),
            tuple(self.fetcher.refused),  # the style sheets' too, fetched before any chunk
        )


def _unique_header_ids(prefix: str):
    """A `write_pdf` finisher that prefixes the /ID of table header cells, and the
    /Headers of the cells that name them, with `prefix`.

    WeasyPrint 70 names a header cell after the PDF object number of its table
    (`pdf.tags`, "<number>-<row>-<column>"), unique in one document only: chunks of the
    book are separate documents until they are merged.
    """
    import pydyf

    def finisher(document, pdf) -> None:
        for obj in pdf.objects:
            if not isinstance(obj, pydyf.Dictionary) or obj.get("Type") != "/StructElem":
                continue
            if obj.get("S") == "/TH" and isinstance(obj.get("ID"), pydyf.String):
                obj["ID"] = pydyf.String(prefix + str(obj["ID"].string))
            attributes = obj.get("A")
            if isinstance(attributes, pydyf.Dictionary) and "Headers" in attributes:
                attributes["Headers"] = pydyf.Array(
                    [pydyf.String(prefix + str(h.string)) for h in attributes["Headers"]]
                )

    return finisher


def font_uses(document) -> tuple[FontUse, ...]:
    """The fonts a written document embeds, with the glyphs it uses of each."""
    from weasyprint.text.fonts import get_hb_object_data

    uses = {}
    for font in document.fonts.values():
        name = font.name.decode("ascii").lstrip("/")
        widths = dict(font.widths)
        to_unicode = dict(font.to_unicode)
        if name in uses:  # WeasyPrint may hold one file as several Font objects
            widths = {**uses[name].widths, **widths}
            to_unicode = {**uses[name].to_unicode, **to_unicode}
        source = hashlib.sha256(get_hb_object_data(font.hb_face)).hexdigest()
        uses[name] = FontUse(name, source, widths, to_unicode)
    return tuple(uses[name] for name in sorted(uses))


def lay_out_in_one_pass(book, project: Path | Project):
    """The whole print edition laid out as one document: (PDF bytes, its page numbers).

    The reference that the layout in chunks (the build's) is tested against
    (`tests/test_chunks.py`), and the benchmark's single WeasyPrint pass.
    """
    from .. import render

    project = project if isinstance(project, Project) else Project.at(project)
    fetcher = make_url_fetcher(project, image_sources(book))
    document, root = layout(render.render_print_html(book), book.config, project, fetcher)
    roots = [root]
    if book.index:
        # The index alone is laid out once more, after the book: only then are the pages
        # of its entries known, so that ranges can be merged (12, 14–16).
        page_of = pagemap.anchor_pages(document)
        index_page = page_of["index"]
        index_html = render.render_print_index(book, page_of)
        index_doc, index_root = layout(
            index_html, book.config, project, fetcher, first_page=index_page
        )
        document = document.copy(document.pages[: index_page - 1] + index_doc.pages)
        roots.append(index_root)
    pages = pagemap.print_pages(document, roots, book)
    data = pdfua.make_accessible(pdf_bytes(document, book.config), pdfua.link_targets_of(roots))
    return data, pages


def pdf_identifier(config: BookConfig) -> bytes:
    """The first half of the PDF's /ID: the same for every build of this book."""
    return hashlib.sha256(config.identifier.encode()).hexdigest()[:32].encode()


def pdf_bytes(document, config: BookConfig, finisher=None) -> bytes:
    """Write the laid-out document to PDF bytes, reproducibly (fixed /ID, no clock)."""
    identifier = pdf_identifier(config)
    # fontTools stamps each font subset's `head.modified` with the clock unless
    # SOURCE_DATE_EPOCH is set (fontTools.misc.timeTools.timestampNow, 4.x): without
    # this, two builds a second apart differ in every embedded font.
    with source_date_epoch(config.build_timestamp()):
        return document.write_pdf(
            pdf_variant="pdf/ua-1", pdf_identifier=identifier, finisher=finisher
        )


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
