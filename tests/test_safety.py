"""Safe builds: only the project's own files are read, never the network; outputs are
written atomically, so a failed build leaves `dist/` as it was."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import failing_workers
import pytest
from badcases import BASE, ROOT, run_cli, subprocess_env
from pypdf import PdfReader

from oic_book import build as build_module
from oic_book.build import build, write_atomically
from oic_book.editions.pdf import RefusedURL, make_url_fetcher
from oic_book.errors import BookError, BuildError
from oic_book.manuscript.check import check_project
from oic_book.project import Project

OLD_PDF = b"%PDF-1.7 the previous build\n"
OLD_EPUB = b"PK the previous build\n"


def mini_project(destination: Path) -> Path:
    """The tiny valid manuscript of tests/bad/_base with the real styles."""
    shutil.copytree(BASE / "manuscript", destination / "manuscript")
    shutil.copytree(ROOT / "styles", destination / "styles")
    return destination


OLD_PAGE = b"<!DOCTYPE html><title>old site</title>"


def previous_dist(project: Path) -> Path:
    dist = project / "dist"
    dist.mkdir()
    (dist / "oic-book.pdf").write_bytes(OLD_PDF)
    (dist / "oic-book.epub").write_bytes(OLD_EPUB)
    (dist / "site").mkdir()
    (dist / "site" / "index.html").write_bytes(OLD_PAGE)
    return dist


def assert_untouched(dist: Path) -> None:
    assert (dist / "oic-book.pdf").read_bytes() == OLD_PDF
    assert (dist / "oic-book.epub").read_bytes() == OLD_EPUB
    assert [p.name for p in (dist / "site").iterdir()] == ["index.html"]
    assert (dist / "site" / "index.html").read_bytes() == OLD_PAGE
    # No temporary file or folder (a half-made site) is left.
    assert sorted(p.name for p in dist.iterdir()) == ["oic-book.epub", "oic-book.pdf", "site"]


# (a) the URL fetcher -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        "data:image/png;base64,iVBORw0KGgo=",
        (ROOT / "styles" / ".." / "README.md").as_uri(),
    ],
)
def test_fetcher_refuses_everything_outside_the_project(url):
    fetcher = make_url_fetcher(Project.at(ROOT))
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_refuses_a_symlink_out_of_the_project(tmp_path):
    project = mini_project(tmp_path / "project")
    (project / "styles" / "passwd.css").symlink_to("/etc/passwd")
    fetcher = make_url_fetcher(Project.at(project))
    with pytest.raises(RefusedURL):
        fetcher.fetch((project / "styles" / "passwd.css").as_uri())


def test_fetcher_reads_a_file_under_styles():
    fetcher = make_url_fetcher(Project.at(ROOT))
    font = ROOT / "styles" / "fonts" / "NotoSans-Regular.ttf"
    response = fetcher.fetch(font.as_uri())
    body = response.read() if hasattr(response, "read") else response.body
    assert body == font.read_bytes()
    assert fetcher.refused == []


# (b) the check refuses such references before anything is rendered ----------------------


@pytest.mark.parametrize(
    ("snippet", "line"),
    [
        (
            "Сурет: ![x](http://example.com/x.png)",
            (
                "manuscript/chapters/01.md:7: error: image points to a network URL: "
                "http://example.com/x.png [L001]"
            ),
        ),
        (
            "![x](file:///etc/passwd)",
            (
                "manuscript/chapters/01.md:7: error: image points outside the manuscript: "
                "file:///etc/passwd [L004]"
            ),
        ),
        (
            "![x](/etc/passwd)",
            (
                "manuscript/chapters/01.md:7: error: image points outside the manuscript: "
                "/etc/passwd [L004]"
            ),
        ),
        (
            "![x](//example.com/x.png)",
            (
                "manuscript/chapters/01.md:7: error: image points to a network URL: "
                "//example.com/x.png [L001]"
            ),
        ),
    ],
)
def test_check_rejects_outside_references_before_rendering(
    snippet, line, tmp_path, monkeypatch
):
    project = mini_project(tmp_path / "project")
    chapter = project / "manuscript" / "chapters" / "01.md"
    text = chapter.read_text(encoding="utf-8").replace("[^a]: ", f"{snippet}\n\n[^a]: ")
    chapter.write_text(text, encoding="utf-8")
    _, problems = check_project(project)
    assert [p.format() for p in problems.sorted()] == [line]

    def no_rendering(*args, **kwargs):
        raise AssertionError("rendering started")

    monkeypatch.setattr("oic_book.render.render_print_html", no_rendering)
    dist = previous_dist(project)
    with pytest.raises(BookError):
        build(project, dist)
    assert_untouched(dist)


# (c) a stylesheet that reaches outside is a located error; the build never starts ---------


@pytest.mark.parametrize(
    ("sheet", "prepend", "append", "message"),
    [
        (
            "print.css",
            "@import url(http://example.com/x.css);\n",
            "",
            (
                "styles/print.css:1: error: stylesheet refers outside the project: "
                "http://example.com/x.css [L001]"
            ),
        ),
        (
            "print.css",
            "",
            "body { background: url(file:///etc/passwd); }\n",
            (
                "styles/print.css:{end}: error: stylesheet refers outside the project: "
                "file:///etc/passwd [L001]"
            ),
        ),
        (
            "epub.css",
            "",
            "body { background: url(http://example.com/x.png); }\n",
            (
                "styles/epub.css:{end}: error: stylesheet refers outside the project: "
                "http://example.com/x.png [L001]"
            ),
        ),
        (
            "base.css",
            "",
            "body { background: url(../../secret.png); }\n",
            "styles/base.css:{end}: error: '../../secret.png' leads outside styles/ [E003]",
        ),
    ],
)
def test_stylesheet_reaching_outside_is_a_located_error(
    sheet, prepend, append, message, tmp_path
):
    project = mini_project(tmp_path / "project")
    css = project / "styles" / sheet
    text = prepend + css.read_text(encoding="utf-8") + append
    css.write_text(text, encoding="utf-8")
    _, problems = check_project(project)
    expected = message.replace("{end}", str(text.count("\n")))
    assert [p.format() for p in problems.sorted()] == [expected]
    dist = previous_dist(project)
    with pytest.raises(BookError):
        build(project, dist)
    assert_untouched(dist)


def test_epub_packager_refuses_urls_outside_the_package():
    """The packager's own net, behind `check`: a URL that is not a packaged file."""
    css = b"a { background: url(http://example.com/x.png) } b { background: url(../x.png) }"
    assets = [build_module.epub.Asset("styles/epub.css", "text/css", css)]
    assert build_module.refused_epub_urls(assets) == ["../x.png", "http://example.com/x.png"]


def test_refused_stylesheet_in_cli_is_located_and_exit_1(tmp_path):
    project = mini_project(tmp_path / "project")
    css = project / "styles" / "print.css"
    css.write_text("@import url(http://example.com/x.css);\n" + css.read_text(encoding="utf-8"))
    dist = previous_dist(project)
    result = run_cli("build", "-C", str(project), "-o", str(dist))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        "styles/print.css:1: error: stylesheet refers outside the project: "
        "http://example.com/x.css [L001]"
    ) in result.stderr
    assert_untouched(dist)


# (d) atomic writes --------------------------------------------------------------------


def test_failure_after_the_pdf_leaves_dist_unchanged(tmp_path, monkeypatch):
    project = mini_project(tmp_path / "project")
    dist = previous_dist(project)
    made_pdf = []
    real_pdf_bytes = build_module.pdfmerge.pdf_bytes

    def pdf_bytes(*args, **kwargs):
        data = real_pdf_bytes(*args, **kwargs)
        made_pdf.append(len(data))
        return data

    monkeypatch.setattr(build_module.pdfmerge, "pdf_bytes", pdf_bytes)
    # The EPUB is made in a spawned process, which imports its main function afresh:
    # the failing one is in a module of the tests.
    monkeypatch.setattr(build_module, "epub_edition", failing_workers.epub_disk_full)
    with pytest.raises(OSError, match="disk full"):
        build(project, dist)
    assert made_pdf and made_pdf[0] > 1000
    assert_untouched(dist)


def test_write_atomically_failing_midway_changes_nothing(tmp_path, monkeypatch):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "oic-book.pdf").write_bytes(OLD_PDF)
    (dist / "oic-book.epub").write_bytes(OLD_EPUB)
    (dist / "site").mkdir()
    (dist / "site" / "index.html").write_bytes(OLD_PAGE)
    calls = []
    real_fsync = build_module.os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError("no space left on device")
        real_fsync(fd)

    monkeypatch.setattr(build_module.os, "fsync", fsync)
    with pytest.raises(BuildError, match="cannot write .*oic-book.epub: no space"):
        write_atomically({dist / "oic-book.pdf": b"new pdf", dist / "oic-book.epub": b"new"})
    assert_untouched(dist)


def test_interrupted_build_leaves_dist_unchanged(tmp_path, monkeypatch):
    project = mini_project(tmp_path / "project")
    dist = previous_dist(project)

    monkeypatch.setattr(build_module, "epub_edition", failing_workers.epub_interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(project, dist)
    assert_untouched(dist)


def test_two_builds_at_once_both_succeed(tmp_path):
    project = mini_project(tmp_path / "project")
    dist = previous_dist(project)
    command = [sys.executable, "-m", "oic_book", "build", "-q", "-C", str(project)]
    runs = [
        subprocess.Popen(
            command + ["-o", str(dist)], stderr=subprocess.PIPE, text=True, env=subprocess_env()
        )
        for _ in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert "Traceback" not in err
    # No temporary file or folder is left; the site is one build's, whole.
    assert sorted(p.name for p in dist.iterdir()) == ["oic-book.epub", "oic-book.pdf", "site"]
    assert (dist / "site" / "index.html").read_bytes() != OLD_PAGE
    assert (dist / "site" / "pagefind" / "pagefind.js").is_file()
    pdf = PdfReader(io.BytesIO((dist / "oic-book.pdf").read_bytes()))
    assert len(pdf.pages) > 1
    with zipfile.ZipFile(dist / "oic-book.epub") as epub:
        assert epub.testzip() is None
        assert epub.read("mimetype") == b"application/epub+zip"
