"""The EPUB 3 edition: ebooklib packages the rendered XHTML, styles, fonts and cover.

Content documents are added as plain `EpubItem`s with our own XHTML: ebooklib's
`EpubHtml` would re-parse and rebuild them (dropping attributes), and its generated nav
carries English headings and a page-list that counts every `epub:type` element.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from ebooklib import epub

from ..fonts import FONT_FILES
from ..kazakh import locale
from ..model import Book
from ..project import STYLES, Project
from ..render import Document

COVER_NAME = "images/cover.png"  # sections/cover.html shows it


@dataclass(frozen=True)
class Asset:
    """A file copied into the EPUB as it is: stylesheet, font or image."""

    name: str  # path inside the EPUB
    media_type: str
    data: bytes


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed time, for byte-identical builds."""

    date_time: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.date_time)
            zinfo.compress_type = compress_type or self.compression
            zinfo.external_attr = 0o644 << 16
            zinfo_or_arcname = zinfo
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)


class _Writer(epub.EpubWriter):
    """ebooklib's writer, with the fixed-time zip."""

    def __init__(self, target, book, options, date_time):
        super().__init__(target, book, options)
        self.date_time = date_time

    def _write_opf_file(self, root):
        # The package's language, for reading systems that look there (EPUB 3.3, 5.4.1).
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_file(root)

    def write(self):
        self.out = _FixedTimeZip(self.file_name, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
        self.out.date_time = self.date_time
        self.out.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        self._write_container()
        self._write_opf()
        self._write_items()
        self.out.close()


def collect_assets(project: Project) -> list[Asset]:
    """Stylesheets and fonts (their licence is in each font file), read through the
    project's rule (`project.contain`): a stylesheet linked out of `styles/` is refused."""
    styles = project.styles
    assets = [
        Asset(f"styles/{name}", "text/css", project.read(styles / name, (STYLES,)))
        for name in ("base.css", "epub.css")
    ]
    assets += [
        Asset(
            f"styles/fonts/{name}", "font/ttf", project.read(styles / "fonts" / name, (STYLES,))
        )
        for name in FONT_FILES
    ]
    return assets


def cover_asset(png: bytes) -> Asset:
    """The cover image, as the package's cover-image."""
    return Asset(COVER_NAME, "image/png", png)


def _accessibility_metadata(book: epub.EpubBook, summary: str) -> None:
    """schema.org accessibility metadata (EPUB Accessibility 1.1)."""
    for prop, value in (
        ("schema:accessMode", "textual"),
        ("schema:accessMode", "visual"),
        ("schema:accessModeSufficient", "textual"),
        ("schema:accessibilityFeature", "tableOfContents"),
        ("schema:accessibilityFeature", "readingOrder"),
        ("schema:accessibilityFeature", "structuralNavigation"),
        ("schema:accessibilityFeature", "alternativeText"),
        ("schema:accessibilityFeature", "printPageNumbers"),
        ("schema:accessibilityFeature", "pageNavigation"),
        ("schema:accessibilityFeature", "displayTransformability"),
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", summary),
        ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
    ):
        book.add_metadata(None, "meta", value, {"property": prop})


def epub_bytes(
    book_model: Book,
    documents: list[Document],
    assets: list[Asset],
    timestamp: int,
    page_source: str | None,
) -> bytes:
    """Package the documents and assets into EPUB bytes (same input, same bytes)."""
    config = book_model.config
    labels = locale.labels()
    book = epub.EpubBook()
    book.set_identifier(config.identifier)
    book.set_title(config.title)
    book.set_language(config.language)
    for number, author in enumerate(config.authors, start=1):
        book.add_author(author, role="aut", uid=f"author-{number}")
    for number, editor in enumerate(config.editors, start=1):
        book.add_author(editor, role="edt", uid=f"editor-{number}")
    book.add_metadata("DC", "publisher", config.publisher)
    book.add_metadata("DC", "date", config.date.isoformat())
    book.add_metadata("DC", "rights", config.rights)
    if config.subtitle:
        book.add_metadata("DC", "description", config.subtitle)
    if page_source:
        # The print edition the page-list was taken from (EPUB Accessibility 1.1, 2.3).
        book.add_metadata("DC", "source", page_source)
        book.add_metadata(None, "meta", page_source, {"property": "pageBreakSource"})
    _accessibility_metadata(book, labels["accessibility_summary"])

    for asset in assets:
        if asset.name == COVER_NAME:
            book.set_cover(asset.name, asset.data, create_page=False)
        else:
            book.add_item(
                epub.EpubItem(
                    uid=asset.name.replace("/", "-").replace(".", "-"),
                    file_name=asset.name,
                    media_type=asset.media_type,
                    content=asset.data,
                )
            )
    spine = []
    for doc in documents:
        item = epub.EpubItem(
            uid=doc.name.removesuffix(".xhtml"),
            file_name=doc.name,
            media_type="application/xhtml+xml",
            content=doc.xhtml.encode("utf-8"),
        )
        item.properties = list(doc.properties)
        book.add_item(item)
        spine.append(item)
    book.spine = spine
    book.toc = [
        epub.Link(doc.name, doc.title, doc.name.removesuffix(".xhtml"))
        for doc in documents
        if doc.name not in ("cover.xhtml", "nav.xhtml")
    ]
    book.add_item(epub.EpubNcx())

    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    target = io.BytesIO()
    options = {
        "epub3_landmark": False,  # ours, in Kazakh, are in nav.xhtml
        "epub3_pages": False,  # ours point at real page-break markers only
        "epub2_guide": False,
        "mtime": moment,
    }
    zip_time = max(moment, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    _Writer(target, book, options, zip_time).write()
    return target.getvalue()
