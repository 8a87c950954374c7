"""Shared fixtures: the real manuscript, and the every-element book, built once per session."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from oic_book.build import BuildResult, build
from oic_book.manuscript.reader import read_book
from oic_book.model import Book

ROOT = Path(__file__).resolve().parent.parent

# No time limit per example: a deadline is a timing assertion, and on a loaded machine
# (CI, two cores shared) it fails tests whose results are right. Speed is measured by
# `make bench`, not by the unit tests.
settings.register_profile("oic-book", deadline=None)
settings.load_profile("oic-book")
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass(frozen=True)
class Built:
    """The outputs of one build of the real manuscript, and the book they came from."""

    result: BuildResult
    book: Book
    out: Path


def pytest_addoption(parser):
    parser.addoption(
        "--save-golden", action="store_true", help="rewrite the golden files of test_render"
    )


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    result = build(ROOT, out, strict=True)
    return Built(result, read_book(ROOT / "manuscript" / "book.yaml"), out)


@pytest.fixture(scope="session")
def every_element(tmp_path_factory) -> Built:
    """The book with every element an author can write, built once: tests/authoring's
    manuscript with tests/fixtures/every-element laid over it (front matter, lists,
    quotes). The validators and the reading engine open it."""
    project = tmp_path_factory.mktemp("every-element")
    shutil.copytree(ROOT / "tests" / "authoring" / "manuscript", project / "manuscript")
    shutil.copytree(
        FIXTURES / "every-element" / "manuscript", project / "manuscript", dirs_exist_ok=True
    )
    shutil.copytree(ROOT / "styles", project / "styles")
    result = build(project, project / "dist", strict=True)
    return Built(result, read_book(project / "manuscript" / "book.yaml"), project / "dist")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (tests/browser.py)."""
    from browser import chromium

    with chromium() as instance:
        yield instance


def copy_project(destination: Path) -> Path:
    """A copy of the project's manuscript and styles, for tests that break them."""
    for name in ("manuscript", "styles"):
        shutil.copytree(ROOT / name, destination / name)
    return destination
