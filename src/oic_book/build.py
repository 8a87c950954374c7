"""The pipeline, stage by stage: read → check → render → lay out → write.

    manuscript ──► reader ──► model.Book ──► render ──► pdf  ──► dist/oic-book.pdf
                                                  └──► epub ──► dist/oic-book.epub

Outputs are written to temporary files in the output folder and renamed into place only
when both are complete, so a failed or interrupted build leaves the previous ones as
they were, and two builds at once never leave a half-written file.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import posixpath
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from . import EDITIONS, render
from .editions import chunks, cover, epub, layout_cache, pagemap, pdf, pdfmerge, pdfua
from .errors import BookError, BuildError, Problem
from .manuscript import check
from .project import Project
from .workers import Workers

log = logging.getLogger("oic_book")

PDF_NAME = "oic-book.pdf"
EPUB_NAME = "oic-book.epub"


@dataclass(frozen=True)
class BuildResult:
    """What a build made, for the caller's summary."""

    written: tuple[Path, ...]  # the editions written, in FORMATS order
    pages: int
    warnings: tuple[Problem, ...]

    def path(self, fmt: str) -> Path:
        """The written file of one edition ("pdf", "epub")."""
        return next(p for p in self.written if p.suffix == f".{fmt}")

    @property
    def pdf(self) -> Path:
        return self.path("pdf")

    @property
    def epub(self) -> Path:
        return self.path("epub")


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Log one stage of the build with its wall time."""
    start = time.perf_counter()
    yield
    log.info("%-8s %6.2f s", name, time.perf_counter() - start)


def write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary sibling, then rename them all into place."""
    temporaries: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
            temporaries[path] = Path(name)  # removed below if anything fails from here on
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(name, 0o644)
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)


_CSS_URL = re.compile(r"""(?:url\(\s*|@import\s+)(["']?)([^"')\s;]+)\1""", re.IGNORECASE)


def refused_epub_urls(assets) -> list[str]:
    """URLs in the EPUB's stylesheets that point outside the package (network, file:, /…).

    A reading system would fetch them; the EPUB, like the PDF, uses the project's files only.
    """
    names = {asset.name for asset in assets}
    refused = []
    for asset in assets:
        if asset.media_type != "text/css":
            continue
        base = posixpath.dirname(asset.name)
        for match in _CSS_URL.finditer(asset.data.decode("utf-8", "replace")):
            url = match[2]
            if url.startswith("#"):
                continue
            inside = posixpath.normpath(posixpath.join(base, url.split("#")[0]))
            if urlsplit(url).scheme or url.startswith("/") or inside not in names:
                refused.append(url)
    return sorted(set(refused))


@contextmanager
def private_temporary_folder() -> Iterator[Path]:
    """A temporary folder of this build, used by every library that asks `tempfile`, and
    removed with everything in it however the build ends (WeasyPrint's font folders
    would otherwise be left behind: their cleanup is in a `__del__` that a fast exit
    skips)."""
    folder = Path(tempfile.mkdtemp(prefix="oic-book-"))
    before = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = before
        shutil.rmtree(folder, ignore_errors=True)


@private_temporary_folder()
def build(
    project: Path, out_dir: Path, strict: bool = False, formats: tuple[str, ...] = EDITIONS
) -> BuildResult:
    """Build the editions named in `formats` (default: all) into `out_dir`.

    The print layout is made even for the EPUB alone: its page-list and index carry the
    print edition's page numbers.
    """
    project = Project.at(project)
    # The types of the files packaged come from our own table and the libraries', not
    # from /etc/mime.types: the build reads nothing of the machine's, and the EPUB is the
    # same bytes everywhere (ebooklib and WeasyPrint ask `mimetypes`).
    mimetypes.knownfiles = []
    outputs: dict[Path, bytes] = {}
    # The layout processes start first: they import WeasyPrint while the manuscript is
    # read; they end with the layout, to leave their memory to the rest.
    with Workers(chunks.serve_layout, "layout") as layout_workers:
        layout_workers.start()
        with stage("check"):
            book, problems = check.check_project(project.root)
            failing = problems.errors + (problems.warnings if strict else [])
            if failing or book is None:
                raise BookError(problems.sorted())
        with stage("render"):
            assets = epub.collect_assets(project)
            refused = refused_epub_urls(assets)
            if refused:
                raise BuildError("refused to package: " + ", ".join(refused))
            plan = chunks.plan(book)
            setup = pdf.ChunkSetup.for_book(book, project, chunks.link_targets(book, plan))
            cache = layout_cache.open_cache(project, book.images)
        with stage("layout"):
            # In chunks of a few chapters, on both cores; the same pages as one layout.
            # Each is merged into the PDF as it comes (the "pdf" stage only finishes it).
            merger = None
            if "pdf" in formats:
                fonts, identifier = project.styles / "fonts", pdf.pdf_identifier(book.config)
                merger = pdfmerge.Merger(fonts, identifier)
            laid_out = chunks.lay_out_book(book, plan, layout_workers, setup, cache, merger)
            refused = sorted({url for chunk in laid_out for url in chunk.refused})
            if refused:
                raise BuildError("refused to fetch: " + ", ".join(refused))
            pages = chunks.print_pages(laid_out)
            pages_count = laid_out[-1].first_page + laid_out[-1].page_count - 1
    # The EPUB takes the print edition's page numbers; it is made while the PDF is
    # finished ("epub" below is the time left to wait for it).
    with Workers(serve_epub, "epub") as epub_workers:
        if "epub" in formats:
            epub_workers.start().send((book, pages, assets, project))
        if "pdf" in formats:
            with stage("pdf"):
                pdf_data = merger.finish()
            with stage("pdfua"):  # PDF/UA-1: the structure tree completed
                link_targets = chunks.merged_link_targets(laid_out)
                outputs[out_dir / PDF_NAME] = pdfua.make_accessible(pdf_data, link_targets)
        del merger, laid_out
        if "epub" in formats:
            with stage("epub"):
                outputs[out_dir / EPUB_NAME], seconds = epub_workers.started[0].receive()
            log.info("%-8s %6.2f s (in its own process)", "epubmade", seconds)
    with stage("write"):
        write_atomically(outputs)
        if cache is not None:
            cache.prune()  # keep what this book is made of, no more
    log.info("%d pages", pages_count)
    return BuildResult(tuple(outputs), pages_count, tuple(problems.warnings))


def serve_epub(connection) -> None:
    """The EPUB worker's main loop (see `workers`): one job, one EPUB."""
    while (job := connection.recv()) is not None:
        start = time.perf_counter()
        data = epub_edition(*job)
        connection.send((data, time.perf_counter() - start))


def epub_edition(
    book, pages: render.PrintPages, assets: list[epub.Asset], project: Project
) -> bytes:
    """The EPUB: the same templates, the print edition's page numbers, the cover, and
    packaging."""
    documents = pagemap.insert_page_markers(
        render.render_epub_documents(book, pages), pages.starts
    )
    assets = [
        *assets,
        *epub.image_assets(project, book.images),
        epub.cover_asset(cover.cover_png(book.config, project.styles)),
    ]
    return epub.epub_bytes(
        book, documents, assets, book.config.build_timestamp(), pagemap.page_source(book)
    )
