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

from ..fonts import font_faces
from ..kazakh import locale
from ..model import Book
from ..project import STYLES, Project
from ..render import Document

COVER_NAME = "images/cover.png"  # sections/cover.html shows it
# A core media type of every EPUB 3 (3.0–3.3) and the one Adobe RMSDK readers (older
# Kobo, Nook) and calibre know for OpenType/TrueType; `font/ttf` came with EPUB 3.2.
FONT_MEDIA_TYPE = "application/vnd.ms-opentype"


def epub_font_type(media_type: str) -> str:
    """The manifest media type of a font file: FONT_MEDIA_TYPE for TrueType/OpenType."""
    return FONT_MEDIA_TYPE if media_type in ("font/ttf", "font/otf") else media_type


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
    """ebooklib's writer, with the fixed-time zip and an NCX made from our nav."""

    def __init__(self, target, book, options, date_time):
        super().__init__(target, book, options)
        self.date_time = date_time

    def _write_opf_file(self, root):
        # The package's language, for reading systems that look there (EPUB 3.3, 5.4.1).
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_file(root)

    def _get_ncx(self):
        nav = next(i for i in self.book.get_items() if "nav" in getattr(i, "properties", ()))
        return ncx_from_nav(nav.content, self.book.uid, self.book.title, self.book.language)

    def write(self):
        self.out = _FixedTimeZip(self.file_name, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
        self.out.date_time = self.date_time
        self.out.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        self._write_container()
        self._write_opf()
        self._write_items()
        self.out.close()


XHTML_NS = "http://www.w3.org/1999/xhtml"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
_OPS_TYPE = "{http://www.idpf.org/2007/ops}type"


def ncx_from_nav(nav_xhtml: bytes, uid: str, title: str, language: str) -> bytes:
    """The EPUB 2 NCX for readers that use it (Kobo's Adobe renderer, older ones): the
    nav's table of contents, nested as deep as it is, as Standard Ebooks' navdoc2ncx.xsl
    makes it. ebooklib's own NCX is flat and says depth 0."""
    from lxml import etree

    nav = etree.fromstring(nav_xhtml)
    toc = next(
        n for n in nav.iter(f"{{{XHTML_NS}}}nav") if "toc" in (n.get(_OPS_TYPE) or "").split()
    )
    root = etree.Element(f"{{{NCX_NS}}}ncx", nsmap={None: NCX_NS}, version="2005-1")
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    head = etree.SubElement(root, f"{{{NCX_NS}}}head")
    etree.SubElement(
        etree.SubElement(root, f"{{{NCX_NS}}}docTitle"), f"{{{NCX_NS}}}text"
    ).text = title
    nav_map = etree.SubElement(root, f"{{{NCX_NS}}}navMap")
    order = 0

    def add_points(parent, ol, level: int) -> int:
        nonlocal order
        depth = 0
        for li in ol.findall(f"{{{XHTML_NS}}}li"):
            link = li.find(f"{{{XHTML_NS}}}a")
            if link is None:
                continue
            order += 1
            point = etree.SubElement(
                parent, f"{{{NCX_NS}}}navPoint", id=f"navpoint-{order}", playOrder=str(order)
            )
            label = etree.SubElement(point, f"{{{NCX_NS}}}navLabel")
            etree.SubElement(label, f"{{{NCX_NS}}}text").text = " ".join(
                "".join(link.itertext()).split()
            )
            etree.SubElement(point, f"{{{NCX_NS}}}content", src=link.get("href"))
            depth = max(depth, level)
            for inner in li.findall(f"{{{XHTML_NS}}}ol"):
                depth = max(depth, add_points(point, inner, level + 1))
        return depth

    depth = add_points(nav_map, toc.find(f"{{{XHTML_NS}}}ol"), 1)
    for name, content in (
        ("dtb:uid", uid),
        ("dtb:depth", str(depth)),
        ("dtb:totalPageCount", "0"),
        ("dtb:maxPageNumber", "0"),
    ):
        etree.SubElement(head, f"{{{NCX_NS}}}meta", name=name, content=content)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)


def guide_references(documents: list[Document]) -> list[dict[str, str]]:
    """The EPUB 2 <guide>, still read by Kindle's converter and calibre: the cover page
    marked as such lets calibre use it as the cover instead of adding a second one
    (calibre's EPUB input, rationalize_cover3). No "text" entry, so that Kindle opens the
    book at its start, as Standard Ebooks does."""
    labels = locale.labels()
    kinds = {
        "cover.xhtml": ("cover", labels["cover"]),
        "titlepage.xhtml": ("title-page", labels["title_page"]),
        "nav.xhtml": ("toc", labels["contents"]),
        "glossary.xhtml": ("glossary", labels["glossary"]),
        "index.xhtml": ("index", labels["index"]),
    }
    return [
        {"type": kinds[doc.name][0], "title": kinds[doc.name][1], "href": doc.name}
        for doc in documents
        if doc.name in kinds
    ]


def collect_assets(project: Project) -> list[Asset]:
    """Stylesheets and the fonts their `@font-face` rules name (licence in each font
    file), read through the project's rule (`project.contain`): a stylesheet or font
    linked out of `styles/` is refused."""
    styles = project.styles
    assets = [
        Asset(f"styles/{name}", "text/css", project.read(styles / name, (STYLES,)))
        for name in ("base.css", "epub.css")
    ]
    faces = {face.name: face for face in font_faces(styles)}
    assets += [
        Asset(
            f"styles/{name}",
            epub_font_type(face.media_type),
            project.read(face.file, (STYLES,)),
        )
        for name, face in faces.items()
    ]
    return assets


def image_assets(project: Project, images) -> list[Asset]:
    """The book's images, under the names the documents use (images/NAME)."""
    return [
        Asset(f"images/{image.name}", image.media_type, project.read(image.path))
        for image in images
    ]


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
    for number, compiler in enumerate(config.compilers, start=1):
        book.add_author(compiler, role="com", uid=f"compiler-{number}")
        if compiler in config.editors:  # one creator, two MARC roles
            book.add_metadata(
                None,
                "meta",
                "edt",
                {
                    "refines": f"#compiler-{number}",
                    "property": "role",
                    "scheme": "marc:relators",
                },
            )
    editors = [name for name in config.editors if name not in config.compilers]
    for number, editor in enumerate(editors, start=1):
        book.add_author(editor, role="edt", uid=f"editor-{number}")
    if config.publisher:  # no publisher yet: no dc:publisher, never a placeholder
        book.add_metadata("DC", "publisher", config.publisher)
    book.add_metadata("DC", "date", config.date.isoformat())
    book.add_metadata("DC", "rights", config.rights)
    if config.annotation or config.subtitle:
        book.add_metadata("DC", "description", config.annotation or config.subtitle)
    if page_source:
        # The print edition the page-list was taken from (EPUB Accessibility 1.1, 2.3).
        book.add_metadata("DC", "source", page_source)
        book.add_metadata(None, "meta", page_source, {"property": "pageBreakSource"})
    _accessibility_metadata(book, labels["accessibility_summary"])

    for asset in assets:
        if asset.name == COVER_NAME:
            # The image's manifest id is "cover", and its <meta name="cover"> names first:
            # Nook Color finds the cover by both (calibre renames the id to work around
            # it; Standard Ebooks reorders the attributes).
            cover = epub.EpubCover(uid="cover", file_name=asset.name)
            cover.content = asset.data
            book.add_item(cover)
            book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover"})
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
        stem = doc.name.removesuffix(".xhtml")
        item = epub.EpubItem(
            uid="cover-page" if stem == "cover" else stem,
            file_name=doc.name,
            media_type="application/xhtml+xml",
            content=doc.xhtml.encode("utf-8"),
        )
        item.properties = list(doc.properties)
        book.add_item(item)
        spine.append(item)
    book.spine = spine
    book.guide = guide_references(documents)
    book.add_item(epub.EpubNcx())  # written by _Writer._get_ncx from nav.xhtml

    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    target = io.BytesIO()
    options = {
        "epub3_landmark": False,  # ours, in Kazakh, are in nav.xhtml
        "epub3_pages": False,  # ours point at real page-break markers only
        "epub2_guide": True,  # ours, in Kazakh (guide_references)
        "mtime": moment,
    }
    # A zip entry's date runs from 1980 to 2107 only: a book dated outside is clamped.
    earliest = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
    latest = dt.datetime(2107, 12, 31, 23, 59, 58, tzinfo=dt.UTC)
    zip_time = min(max(moment, earliest), latest).timetuple()[:6]
    _Writer(target, book, options, zip_time).write()
    return target.getvalue()
