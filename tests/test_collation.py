"""Tests for Kazakh alphabetical order."""

from __future__ import annotations

import pytest

from oic_book.kazakh.collation import KAZAKH_ALPHABET, sort_key, sorted_kk


def test_alphabet() -> None:
    assert len(KAZAKH_ALPHABET) == 42
    assert len(set(KAZAKH_ALPHABET)) == 42
    assert sorted_kk(reversed(KAZAKH_ALPHABET)) == list(KAZAKH_ALPHABET)
    lower = [letter.lower() for letter in KAZAKH_ALPHABET]
    assert sorted_kk(reversed(lower)) == lower


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("А", "Ә"),
        ("Ә", "Б"),
        ("Г", "Ғ"),
        ("Ғ", "Д"),
        ("К", "Қ"),
        ("Қ", "Л"),
        ("Н", "Ң"),
        ("Ң", "О"),
        ("О", "Ө"),
        ("Ө", "П"),
        ("У", "Ұ"),
        ("Ұ", "Ү"),
        ("Ү", "Ф"),
        ("Х", "Һ"),
        ("Һ", "Ц"),
        ("Ы", "І"),
        ("І", "Ь"),
        ("Е", "Ё"),
        ("Ё", "Ж"),
        ("ақ", "әке"),
        ("әлем", "бала"),
        ("қала", "лауазым"),
        ("үкімет", "фирма"),
        ("ынтымақ", "іс"),
        ("іс", "Эмират"),
        ("Ұлттар", "Үндістан"),
        ("Үндістан", "Франция"),
    ],
)
def test_letters_code_point_order_gets_wrong(before: str, after: str) -> None:
    assert sort_key(before) < sort_key(after)


def test_case_insensitive_first() -> None:
    # Code-point order would put every capital before every lowercase letter.
    assert sorted_kk(["қала", "Әлем", "Қазақстан", "алма"]) == [
        "алма",
        "Әлем",
        "Қазақстан",
        "қала",
    ]


def test_case_breaks_ties_lowercase_first() -> None:
    assert sorted_kk(["Ислам", "ислам"]) == ["ислам", "Ислам"]
    assert sort_key("Ислам") != sort_key("ислам")


def test_phrases_ignore_spaces_and_punctuation() -> None:
    words = ["Ислам даму банкі", "Исламабад", "Ислам ынтымақтастығы ұйымы", "«Ислам»"]
    assert sorted_kk(words) == [
        "«Ислам»",
        "Исламабад",
        "Ислам даму банкі",
        "Ислам ынтымақтастығы ұйымы",
    ]


def test_numbers_before_letters_and_by_value() -> None:
    assert sorted_kk(["саммит", "11-саммит", "8-саммит", "Абу-Даби"]) == [
        "8-саммит",
        "11-саммит",
        "Абу-Даби",
        "саммит",
    ]


def test_latin_after_cyrillic() -> None:
    assert sorted_kk(["OIC", "Ясир", "ИЫҰ", "Ümmet"]) == ["ИЫҰ", "Ясир", "OIC", "Ümmet"]


def test_key_function() -> None:
    entries = [{"term": "Үмбет"}, {"term": "Ұйым"}, {"term": "Уәде"}]
    assert [e["term"] for e in sorted_kk(entries, key=lambda e: e["term"])] == [
        "Уәде",
        "Ұйым",
        "Үмбет",
    ]
