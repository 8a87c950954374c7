"""The pipeline, stage by stage: read → check → render → lay out → write.

    manuscript ──► reader ──► model.Book ──► render ──► pdf  ──► dist/oic-book.pdf
                                                  ├──► epub ──► dist/oic-book.epub
                                                  └──► web  ──► dist/site/

The EPUB and the web edition take the print edition's page numbers from its layout.
Outputs are written to temporary files (the site to a temporary folder) in the output
folder and renamed into place only when all are complete, so a failed or interrupted build
leaves the previous ones as they were, and two builds at once never leave a half-written
file.
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
from .editions import chunks, cover, epub, layout_cache, pagemap, pdf, pdfmerge, pdfua, web
from .errors import BookError, BuildError, Problem
from .manuscript import check
from .processes import raise_if_interrupted, signal_pending, signals_held
from .project import Project
from .workers import Workers, gc_paused, in_background, release_memory

log = logging.getLogger("oic_book")

PDF_NAME = web.PDF_NAME
EPUB_NAME = web.EPUB_NAME


@dataclass(frozen=True)
class BuildResult:
    """What a build made, for the caller's summary."""

    written: tuple[Path, ...]  # the editions written, in FORMATS order
    pages: int
    warnings: tuple[Problem, ...]

    def path(self, fmt: str) -> Path:
        """The written file of one edition ("pdf", "epub"), or the site's folder ("web")."""
        if fmt == "web":
            return next(p for p in self.written if p.name == web.SITE_DIR)
        return next(p for p in self.written if p.suffix == f".{fmt}")

    @property
    def pdf(self) -> Path:
        return self.path("pdf")

    @property
    def epub(self) -> Path:
        return self.path("epub")

    @property
    def site(self) -> Path:
        return self.path("web")


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Log one stage of the build with its wall time; a signal that came in is acted on
    here at the latest."""
    raise_if_interrupted()
    start = time.perf_counter()
    yield
    log.info("%-8s %6.2f s", name, time.perf_counter() - start)


def write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary sibling, then rename them all into place.

    Signals are held meanwhile (`processes.signals_held`): one that comes in before the
    renames leaves the old files; a full disk or a read-only folder is a `BuildError`
    naming the file, and leaves no temporary file behind.
    """
    temporaries: dict[Path, Path] = {}
    current = None
    with signals_held():
        try:
            for path, data in files.items():
                current = path
                path.parent.mkdir(parents=True, exist_ok=True)
                handle, name = tempfile.mkstemp(
                    dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
                )
                temporaries[path] = Path(name)  # removed below if anything fails from here
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(name, 0o644)
            if signal_pending():
                return  # interrupted: the old files stay, the signal is acted on below
            for path, temporary in temporaries.items():
                current = path
                os.replace(temporary, path)
        except OSError as exc:
            raise BuildError(f"cannot write {current}: {exc.strerror or exc}") from exc
        finally:
            for temporary in temporaries.values():
                try:
                    temporary.unlink(missing_ok=True)
                except OSError:
                    pass


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
    with signals_held():  # made and named at once: an interruption cannot leave it
        try:
            folder = Path(tempfile.mkdtemp(prefix="oic-book-"))
        except OSError as exc:
            where = exc.filename or tempfile.gettempdir()
            raise BuildError(
                f"cannot make a temporary folder in {where}: {exc.strerror}"
            ) from exc
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
            laid_out = chunks.lay_out_book(book, plan, layout_workers, setup, cache)
            refused = sorted({url for chunk in laid_out for url in chunk.refused})
            if refused:
                raise BuildError("refused to fetch: " + ", ".join(refused))
            pages = chunks.print_pages(laid_out)
            pages_count = laid_out[-1].first_page + laid_out[-1].page_count - 1
    link_targets = chunks.merged_link_targets(laid_out)
    release_memory()  # what the layout needed, before the PDF is held whole
    if "pdf" in formats:
        with gc_paused():
            with stage("pdf"):  # the chunks merged: one PDF, as one layout would have written
                fonts, identifier = project.styles / "fonts", pdf.pdf_identifier(book.config)
                subset = cache.subset_font if cache is not None else None
                document = pdfmerge.merge(laid_out, fonts, identifier, subset)
            with stage("pdfua"):  # PDF/UA-1: the structure tree completed
                pdfua.complete(document, link_targets)
                outputs[out_dir / PDF_NAME] = pdfmerge.pdf_bytes(document)
            del document  # the whole PDF as objects: most of this stage's memory
    del laid_out
    release_memory()
    # The EPUB and the web edition need only the page numbers: they are made in their own
    # processes ("epub" and "web" below are the time left to wait for them), after the PDF
    # so that the memory of the three is not needed at once. The site is made in a hidden
    # folder of out_dir, put in place last.
    epub_job = epub_edition if "epub" in formats else _nothing
    site_job = web.stage_site if "web" in formats else _nothing
    downloads = {
        label: name for label, name in web.DOWNLOADS.items() if name in _names(formats)
    }
    staged_site = None
    try:
        with signals_held():  # made and named at once: an interruption cannot leave it
            out_dir.mkdir(parents=True, exist_ok=True)
            staged_site = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".{web.SITE_DIR}."))
        with (
            in_background("epub", epub_job, book, pages, assets, project) as epub_result,
            in_background(
                "web", site_job, book, pages, project, staged_site, downloads
            ) as site_result,
        ):
            if "epub" in formats:
                with stage("epub"):
                    outputs[out_dir / EPUB_NAME] = epub_result()
            if "web" in formats:
                with stage("web"):
                    site_result()
        with stage("write"):
            written = tuple(outputs)
            if "web" in formats:  # the site offers copies of the other editions
                web.write_files(
                    staged_site, {path.name: data for path, data in outputs.items()}
                )
            write_atomically(outputs)
            if "web" in formats:
                web.replace_folder(staged_site, out_dir / web.SITE_DIR)
                written += (out_dir / web.SITE_DIR,)
            if cache is not None:
                cache.prune()  # keep what this book is made of, no more
    finally:
        if staged_site is not None:
            shutil.rmtree(staged_site, ignore_errors=True)
    log.info("%d pages", pages_count)
    return BuildResult(written, pages_count, tuple(problems.warnings))


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


def _names(formats: tuple[str, ...]) -> set[str]:
    """The file names of the editions in `formats` that are single files."""
    return {name for fmt, name in (("pdf", PDF_NAME), ("epub", EPUB_NAME)) if fmt in formats}


def _nothing(*args) -> None:
    """The background job when an edition is not asked for."""
