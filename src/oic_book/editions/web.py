"""The web edition: a static folder of HTML pages, one per chapter, from the same
templates as the print and EPUB editions.

    render.render_web_pages ──► page markers (print page numbers) ──► files ──► Pagefind

The folder works from any web server or from the file system: relative links only, the
shipped fonts, no script needed to read (the search page alone uses one, Pagefind's).
When the print layout is known, each page gets the markers of the printed pages that
begin in it (`id="page-12"`), placed as in the EPUB (see `pagemap`), so that a reader
can cite and link to "page 12" of the printed book.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from lxml import etree

from .. import render
from ..errors import BuildError
from ..kazakh import locale
from ..model import Book
from ..project import STYLES, Project
from ..render import Document, PageStart, PrintPages
from . import pagemap

SITE_DIR = "site"
PDF_NAME = "oic-book.pdf"
EPUB_NAME = "oic-book.epub"
# What the footer of every page offers (a label of locale/kk.yaml → the file, copied into
# the site, so that the folder is complete on its own).
DOWNLOADS = {"download_pdf": PDF_NAME, "download_epub": EPUB_NAME}
STYLESHEETS = ("base.css", "web.css")
ASSETS = ("search.js",)

# Elements that HTML writes without an end tag; any other element must keep its end tag
# even when empty (`<ol></ol>`, `<script></script>`): HTML reads `<ol/>` as an open tag.
# fmt: off
_VOID = frozenset([
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
])
# fmt: on


def site_files(
    book: Book,
    pages: PrintPages | None,
    project: Project,
    downloads: dict[str, str] | None = None,
    memo: dict | None = None,
) -> dict[str, bytes]:
    """Every file of the site but the search index, by path inside the site folder
    (`memo`: see `render.render_web_pages`)."""
    docs = render.render_web_pages(book, pages, downloads, memo)
    if pages is not None and pages.starts:
        docs = mark_pages(docs, pages.starts)
    files = {doc.name: doc.xhtml.encode("utf-8") for doc in docs}
    files.update(static_files(project))
    # The book's images, under the names the pages use (images/NAME), as in the EPUB.
    files.update({f"images/{image.name}": project.read(image.path) for image in book.images})
    return files


def static_files(project: Project) -> dict[str, bytes]:
    """The stylesheets, the shipped fonts (with their licence) and the search script, read
    through the project's rule (`project.read`): nothing from outside `styles/`."""
    styles = project.styles
    files = {f"styles/{name}": project.read(styles / name, (STYLES,)) for name in STYLESHEETS}
    # The fonts folder as it is: the fonts base.css names, and their licence.
    for path in sorted((styles / "fonts").iterdir()):
        if not path.name.startswith("."):
            files[f"styles/fonts/{path.name}"] = project.read(path, (STYLES,))
    assets = resources.files(__package__).joinpath("webassets")
    files.update({f"assets/{name}": assets.joinpath(name).read_bytes() for name in ASSETS})
    return files


def mark_pages(docs: list[Document], starts: tuple[PageStart, ...]) -> list[Document]:
    """The pages with a marker where each printed page begins (`id="page-N"`)."""
    label = locale.labels()["print_page"]
    out = []
    for doc, root in pagemap.marked_roots(docs, starts, render.web_name):
        if root is None:
            out.append(doc)
            continue
        for marker in list(root.iterfind(".//{*}span[@role='doc-pagebreak']")):
            _as_link(marker, label)
        for element in root.iter(etree.Element):
            empty = element.text is None and len(element) == 0
            if empty and etree.QName(element).localname not in _VOID:
                element.text = ""  # lxml then writes an end tag
        html = etree.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
        out.append(Document(doc.name, doc.title, html + "\n", doc.properties))
    return out


def _as_link(marker, label: str) -> None:
    """The EPUB's page-break marker as the web shows it: a link to itself, named "page
    12 of the print edition", left out of the search index."""
    number = marker.get("title")
    for name in list(marker.attrib):
        if name != "id":
            del marker.attrib[name]
    marker.tag = f"{{{pagemap.XHTML}}}a"
    marker.set("class", "pagebreak")
    marker.set("href", f"#{marker.get('id')}")
    marker.set("aria-label", label.format(n=number))
    marker.set("data-pagefind-ignore", "all")
    marker.text = number
    # A link may not hold a link: a page that begins inside one (a web address in a
    # note, a contents entry) is marked just before it.
    outer = [a for a in marker.iterancestors(f"{{{pagemap.XHTML}}}a")]
    if outer:
        _detach(marker)
        outer[-1].addprevious(marker)


def _detach(element) -> None:
    """Take an element out of the tree, leaving its tail text where it was."""
    parent, previous = element.getparent(), element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    element.tail = None
    parent.remove(element)


def stage_site(
    book: Book,
    pages: PrintPages | None,
    project: Project,
    staging: Path,
    downloads: dict[str, str] | None = None,
    search: bool = True,
) -> Path:
    """Write the whole site into the empty folder `staging`, indexed for search, and
    return it; `replace_folder` then puts it in place of the old site at once, so that a
    failed build leaves the old one. The caller removes `staging` if anything fails."""
    write_files(staging, site_files(book, pages, project, downloads))
    if search:
        index_search(staging)
    os.chmod(staging, 0o755)
    return staging


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write `files` (by path inside `folder`)."""
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.chmod(path, 0o644)


def replace_folder(new: Path, old: Path) -> None:
    """Put folder `new` where `old` is, with the least time without either. Another build
    may be doing the same at once: the last one to finish wins, neither fails."""
    trash = Path(tempfile.mkdtemp(dir=old.parent, prefix=f".{old.name}.old."))
    try:
        for attempt in range(20):
            try:
                os.replace(old, trash / str(attempt))
            except FileNotFoundError:
                pass
            try:
                os.replace(new, old)
                return
            except OSError as exc:  # the other build put its folder there in between
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
        raise BuildError(f"could not replace {old}")
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def pagefind_executable() -> Path:
    """The Pagefind binary that the `pagefind-bin` package ships."""
    try:
        import pagefind_bin

        return pagefind_bin.get_executable()
    except (ImportError, FileNotFoundError) as exc:
        raise BuildError(
            "the web edition's search needs Pagefind: pip install 'pagefind-bin' "
            f"({type(exc).__name__}: {exc})"
        ) from exc


def index_search(site: Path) -> None:
    """Index the site's pages with Pagefind into `site/pagefind/` (offline, static)."""
    command = [str(pagefind_executable()), "--site", str(site), "--silent", "--keep-index-url"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = " ".join((result.stderr or result.stdout).split())[:300]
        raise BuildError(f"pagefind failed (exit {result.returncode}): {message}")
