"""The pipeline, stage by stage: read → check → render → lay out → write.

    manuscript ──► reader ──► model.Book ──► render ──► pdf  ──► dist/oic-book.pdf
                                                  └──► epub ──► dist/oic-book.epub

Outputs are written to temporary files in the output folder and renamed into place only
when both are complete, so a failed or interrupted build leaves the previous ones as
they were, and two builds at once never leave a half-written file.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import check, cover, epub, pagemap, pdf, render
from .errors import BookError, BuildError, Problem

log = logging.getLogger("oic_book")

PDF_NAME = "oic-book.pdf"
EPUB_NAME = "oic-book.epub"


@dataclass(frozen=True)
class BuildResult:
    """What a build made, for the caller's summary."""

    pdf: Path
    epub: Path
    pages: int
    warnings: tuple[Problem, ...]


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
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(name, 0o644)
            temporaries[path] = Path(name)
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)


def build(project: Path, out_dir: Path, strict: bool = False) -> BuildResult:
    """Build the PDF and the EPUB of the project's manuscript into `out_dir`."""
    project = project.resolve()
    styles = project / "styles"
    with stage("check"):
        book, problems = check.check_project(project)
        failing = problems.errors + (problems.warnings if strict else [])
        if failing or book is None:
            raise BookError(problems.sorted())
    with stage("render"):
        html = render.render_print_html(book)
        fetcher = pdf.make_url_fetcher([project / "manuscript", styles])
    with stage("layout"):
        document = pdf.layout(html, book.config, styles, fetcher)
        if fetcher.refused:
            raise BuildError("refused to fetch: " + ", ".join(sorted(set(fetcher.refused))))
    with stage("pages"):
        pages = pagemap.print_pages(document, book)
    with stage("pdf"):
        pdf_data = pdf.pdf_bytes(document, book.config)
    with stage("epub"):
        documents = render.render_epub_documents(book, pages)
        assets = epub.collect_assets(styles, cover.cover_png(book.config, styles / "fonts"))
        epub_data = epub.epub_bytes(
            book, documents, assets, book.config.build_timestamp(), pagemap.page_source(book)
        )
    with stage("write"):
        pdf_path, epub_path = out_dir / PDF_NAME, out_dir / EPUB_NAME
        write_atomically({pdf_path: pdf_data, epub_path: epub_data})
    log.info("%d pages", len(document.pages))
    return BuildResult(pdf_path, epub_path, len(document.pages), tuple(problems.warnings))
