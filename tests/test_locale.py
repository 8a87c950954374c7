"""Tests for the Kazakh labels and date formatting."""

from __future__ import annotations

import datetime
import re

import pytest

from oic_book.kazakh import locale

_REQUIRED = """
contents preface glossary notes index chapter page pages page_list landmarks toc_landmark
bodymatter cover cover_alt title_page imprint backlink noteref footnotes_heading
glossary_see_pages expansion isbn udc bbk source_credit licence publisher year appendix
compiled_by annotation signed_for_press
accessibility_summary
"""
REQUIRED = _REQUIRED.split()

# Codes and proper names that are written in Latin letters in Kazakh text too.
# Names of fonts, licences and file formats.
LATIN_ALLOWED = {"ISBN", "Noto", "Serif", "Sans", "SIL", "OFL", "PDF", "EPUB", "JavaScript"}


def test_dates() -> None:
    assert locale.format_date(datetime.date(1969, 9, 25)) == "1969\u00a0ж. 25 қыркүйек"
    assert locale.format_date(datetime.date(2024, 1, 1)) == "2024\u00a0ж. 1 қаңтар"
    assert locale.format_date(datetime.date(2011, 12, 31)) == "2011\u00a0ж. 31 желтоқсан"


def test_months() -> None:
    names = [locale.month_name(m) for m in range(1, 13)]
    assert names == [
        "қаңтар",
        "ақпан",
        "наурыз",
        "сәуір",
        "мамыр",
        "маусым",
        "шілде",
        "тамыз",
        "қыркүйек",
        "қазан",
        "қараша",
        "желтоқсан",
    ]


def test_chapter_and_page_labels() -> None:
    assert locale.chapter_label(1) == "1-тарау"
    assert locale.page_label(296) == "296-бет"
    assert locale.format("noteref", n=3) == "3-ескертпе"
    assert locale.format("cover_alt", title="ИЫҰ") == "«ИЫҰ» кітабының мұқабасы"


@pytest.mark.parametrize("key", REQUIRED)
def test_required_keys(key: str) -> None:
    assert key in locale.labels()


@pytest.mark.parametrize("key", sorted(locale.labels()))
def test_label_is_kazakh(key: str) -> None:
    text = locale.labels()[key]
    assert text.strip()
    words = re.findall(r"[A-Za-z]+", re.sub(r"\{\w+\}", "", text))
    assert set(words) <= LATIN_ALLOWED


def test_labels_are_a_copy() -> None:
    locale.labels()["contents"] = "x"
    assert locale.labels()["contents"] == "Мазмұны"


def test_accessibility_summary_sentences() -> None:
    sentences = [s for s in locale.labels()["accessibility_summary"].split(".") if s.strip()]
    assert 2 <= len(sentences) <= 4
