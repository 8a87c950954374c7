"""Reproducible builds: the same sources give byte-identical PDF and EPUB, wherever and
whenever they are built; only SOURCE_DATE_EPOCH (or the book's date) sets the dates."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from badcases import BASE, ROOT, subprocess_env

from oic_book.build import build

# Runs the CLI with the clock moved ten years on, so a date taken from it would show.
SHIFTED_CLOCK = """
import sys, time
from oic_book.cli import main
_time, _time_ns = time.time, time.time_ns
time.time = lambda: _time() + 315_576_000
time.time_ns = lambda: _time_ns() + 315_576_000 * 10**9
sys.exit(main(sys.argv[1:]))
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_sources(source: Path, destination: Path) -> Path:
    for name in ("manuscript", "styles"):
        shutil.copytree(source / name, destination / name)
    return destination


def build_in_subprocess(project: Path, out: Path, **env: str) -> None:
    full_env = {k: v for k, v in subprocess_env().items() if k != "SOURCE_DATE_EPOCH"}
    full_env.update(env)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            SHIFTED_CLOCK,
            "build",
            "-q",
            "-C",
            str(project),
            "-o",
            str(out),
        ],
        check=False,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=project.parent,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_real_book_is_byte_identical_elsewhere_later_and_in_another_time_zone(
    built, tmp_path_factory
):
    """The session build of the repository against a copy built in another folder, in
    another time zone, with the clock ten years on."""
    elsewhere = copy_sources(ROOT, tmp_path_factory.mktemp("elsewhere") / "deeper" / "copy")
    out = tmp_path_factory.mktemp("second-dist")
    env = {"TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8"}
    if "SOURCE_DATE_EPOCH" in os.environ:
        env["SOURCE_DATE_EPOCH"] = os.environ["SOURCE_DATE_EPOCH"]
    build_in_subprocess(elsewhere, out, **env)
    assert sha256(out / "oic-book.pdf") == sha256(built.result.pdf)
    assert sha256(out / "oic-book.epub") == sha256(built.result.epub)
    # The web edition too, search index included: every file, same name, same bytes.
    assert _tree(out / "site") == _tree(built.result.site)


def _tree(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_outputs_do_not_name_the_build_folder(built):
    pages = sorted(built.result.site.rglob("*.html"))
    for path in (built.result.pdf, built.result.epub, *pages):
        data = path.read_bytes()
        for needle in (str(ROOT), str(built.out)):
            assert needle.encode() not in data, (path.name, needle)
    with zipfile.ZipFile(built.result.epub) as epub:
        for member in epub.infolist():
            assert member.date_time == (1980, 1, 1, 0, 0, 0) or member.date_time[0] > 1980
            text = epub.read(member)
            assert str(ROOT).encode() not in text


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    mini = tmp_path_factory.mktemp("mini")
    shutil.copytree(BASE / "manuscript", mini / "manuscript")
    shutil.copytree(ROOT / "styles", mini / "styles")
    return mini


def test_source_date_epoch_sets_the_dates_deterministically(mini, tmp_path, monkeypatch):
    """Same SOURCE_DATE_EPOCH, same bytes; another one, other bytes (and only the dates)."""
    digests = {}
    for label, epoch in (("a", "1700000000"), ("b", "1700000000"), ("c", "1800000000")):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        project = copy_sources(mini, tmp_path / f"project-{label}")
        result = build(project, tmp_path / f"dist-{label}")
        digests[label] = (sha256(result.pdf), sha256(result.epub))
        if label == "c":
            opf = _opf(result.epub)
            assert "2027-01-15T08:00:00Z" in opf  # 1800000000 as dcterms:modified
    assert digests["a"] == digests["b"]
    assert digests["a"][0] != digests["c"][0]
    assert digests["a"][1] != digests["c"][1]


def test_without_source_date_epoch_the_book_date_is_used(mini, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    result = build(copy_sources(mini, tmp_path / "project"), tmp_path / "dist")
    assert "2026-01-01T00:00:00Z" in _opf(result.epub)  # the date of _base/book.yaml


def _opf(epub: Path) -> str:
    with zipfile.ZipFile(epub) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".opf"))
        return archive.read(name).decode("utf-8")
