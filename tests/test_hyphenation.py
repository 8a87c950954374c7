"""Tests for Kazakh syllabification, line-break points and the generated pyphen dictionary."""

from __future__ import annotations

from itertools import accumulate, pairwise

import pyphen
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oic_book.kazakh.hyphenation import (
    CONSONANTS,
    DICTIONARY_PATH,
    SIGNS,
    VOWELS,
    U,
    generate_patterns,
    hyphenation_points,
    register_pyphen,
    syllabify,
    unhyphenatable_spans,
)

# Syllabification as the editorial rules give it (a break is "-"). Tricky cases:
# * Қа-зақс-тан, ми-нист-рі: of three consonants between vowels only the last moves on
#   (CVCC syllables are allowed), even though a morphological split would be зақ-стан.
# * И-е-ру-са-лим, ли-ард, ди-ни: adjacent vowels always split; и is a vowel.
# * та-уы, сау-да, Еу-ра-зи-я, а-уыл: у after a vowel is a consonant; су-ық, да-му-ы,
#   жу-у: у after a consonant (or after a vowel у) is a vowel; уа-қыт: initial у before a
#   vowel is a consonant.
# * паль-то, объ-ект, компь-ю-тер: ь/ъ stay with the consonant before them.
# * Страс-бург: a word-initial cluster has no vowel of its own, so it is not a syllable.
_TABLE = """
Ын-ты-мақ-тас-тық ын-ты-мақ-тас-ты-ғы мил-ли-ард-қа И-е-ру-са-лим мұ-сыл-ман
Қа-зақс-тан а-уыл та-уы сау-да Еу-ра-зи-я уа-қыт су-ық жа-уу жу-у паль-то объ-ект
компь-ю-тер Страс-бург Ук-ра-и-на Ис-лам қи-ын мем-ле-кет ұ-йы-мы ә-леу-мет-тік
Ә-зір-бай-жан бай-ла-ныс ха-лы-қа-ра-лық кон-фе-рен-ци-я-сы А-ра-би-я-сы Мә-ди-на
Мек-ке Түр-ки-я Е-ги-пет Пә-кіс-тан Ин-до-не-зи-я Ма-лай-зи-я И-ран Си-ри-я
Па-лес-ти-на бағ-дар-ла-ма э-ко-но-ми-ка-лық сам-мит хат-шы-сы құ-жат мақ-са-ты
бір-лес-ті-гі жар-ғы-сы мү-ше-ле-рі да-му-ы қа-уіп-сіз-дік өр-ке-ни-ет тә-уел-сіз-дік
Бі-рік-кен Ұлт-тар ді-ни ғы-лы-ми сырт-қы ми-нист-рі Жид-да Фран-ци-я Бель-ги-я
Таш-кент Ас-та-на Ал-ма-ты дін
"""
SYLLABLES = _TABLE.split()


def _points(syllables: list[str]) -> list[int]:
    return list(accumulate(len(s) for s in syllables))[:-1]


@pytest.mark.parametrize("expected", SYLLABLES)
def test_syllabify_table(expected: str) -> None:
    assert syllabify(expected.replace("-", "")) == expected.split("-")


@pytest.mark.parametrize("expected", SYLLABLES)
def test_hyphenation_points_table(expected: str) -> None:
    word = expected.replace("-", "")
    wanted = [p for p in _points(expected.split("-")) if 2 <= p <= len(word) - 2]
    assert hyphenation_points(word) == wanted


def test_table_is_large_enough() -> None:
    assert len(SYLLABLES) >= 40


@pytest.mark.parametrize("word", ["пальто", "объект", "компьютер", "Бельгия", "альбом"])
def test_never_before_signs(word: str) -> None:
    for point in hyphenation_points(word):
        assert word[point] not in SIGNS


@pytest.mark.parametrize(
    ("word", "points"),
    [("ауыл", []), ("әлем", []), ("Азия", []), ("оқуы", []), ("Иран", []), ("дамуы", [2])],
)
def test_two_letters_on_each_side(word: str, points: list[int]) -> None:
    assert hyphenation_points(word) == points


@pytest.mark.parametrize(
    "word",
    [
        "ЮНЕСКО",
        "ИЫҰ",
        "АҚШ",
        "ҚазМұнайГаз",
        "1995",
        "25-ке",
        "8-саммит",
        "АҚШ-тың",
        "әлеуметтік-экономикалық",
        "ИЫҰ\u2011ның",
        "G20-ның",
        "",
    ],
)
def test_no_points_in_abbreviations_digits_and_compounds(word: str) -> None:
    assert hyphenation_points(word) == []


def test_unhyphenatable_spans() -> None:
    text = "ЮНЕСКО мен ИЫҰ\u2011ның 1995-жылғы әлеуметтік-экономикалық Ислам ұйымы G20"
    spans = [text[a:b] for a, b in unhyphenatable_spans(text)]
    assert spans == ["ЮНЕСКО", "ИЫҰ\u2011ның", "1995-жылғы", "әлеуметтік-экономикалық", "G20"]


def test_syllabify_keeps_everything_and_case() -> None:
    for word in ["ИЫҰ-ның", "Абу-Даби", "ЫНТЫМАҚТАСТЫҚ", "1995-жылы", "Ислам."]:
        assert "".join(syllabify(word)) == word
    assert syllabify("ЫНТЫМАҚТАСТЫҚ") == ["ЫН", "ТЫ", "МАҚ", "ТАС", "ТЫҚ"]


def test_committed_dictionary_is_generated() -> None:
    assert DICTIONARY_PATH.read_text(encoding="utf-8") == generate_patterns()


def test_dictionary_header_and_order() -> None:
    lines = generate_patterns().splitlines()
    assert lines[:3] == ["UTF-8", "LEFTHYPHENMIN 2", "RIGHTHYPHENMIN 2"]
    patterns = lines[3:]
    keys = ["".join(ch for ch in p if not ch.isdigit()) for p in patterns]
    assert keys == sorted(set(keys))
    assert all(p == p.lower() for p in patterns)


def test_register_pyphen_is_idempotent() -> None:
    register_pyphen()
    register_pyphen()
    for lang in ["kk", "kk_KZ", "kk-KZ", "kk-kz"]:
        assert pyphen.LANGUAGES[pyphen.language_fallback(lang)] == DICTIONARY_PATH
    assert pyphen.Pyphen(lang="kk").inserted("ынтымақтастық") == "ын-ты-мақ-тас-тық"


_DICT = pyphen.Pyphen(filename=DICTIONARY_PATH, left=2, right=2, cache=False)
_RAW = pyphen.Pyphen(filename=DICTIONARY_PATH, left=1, right=1, cache=False)
_ALPHABET = VOWELS + CONSONANTS + SIGNS + U
_RUN = CONSONANTS + SIGNS


def _initial_run(word: str) -> int:
    return len(word) - len(word.lower().lstrip(_RUN))


words = st.text(alphabet=_ALPHABET, min_size=1, max_size=16)


@settings(max_examples=1000)
@given(words, st.booleans())
def test_pyphen_matches_rules(word: str, capitalise: bool) -> None:
    # Finite patterns cannot see how long a vowel-less word start is; the dictionary
    # covers runs of up to three consonants, more than any Kazakh or loan word has.
    assume(_initial_run(word) <= 3)
    if capitalise:
        word = word.capitalize()
    assert _DICT.positions(word) == hyphenation_points(word)
    assert _RAW.positions(word) == [p for p in _points(syllabify(word)) if p < len(word)]


@pytest.mark.parametrize("expected", SYLLABLES)
def test_pyphen_matches_table(expected: str) -> None:
    word = expected.replace("-", "")
    assert _DICT.positions(word) == hyphenation_points(word)


def _line_texts(box: object) -> list[str]:
    if type(box).__name__ == "LineBox":
        return ["".join(t.text for t in box.descendants() if hasattr(t, "text"))]
    return [line for child in getattr(box, "children", []) for line in _line_texts(child)]


def test_weasyprint_hyphenates_kazakh() -> None:
    weasyprint = pytest.importorskip("weasyprint")
    register_pyphen()
    text = (
        "Ислам ынтымақтастығы ұйымы халықаралық ынтымақтастықты нығайтуға бағытталған "
        "мемлекетаралық ұйым болып табылады."
    )
    html = (
        '<p lang="kk" style="hyphens:auto;width:3cm;text-align:justify;font-size:10pt">'
        f"{text}</p>"
    )
    page = weasyprint.HTML(string=html).render().pages[0]
    lines = _line_texts(page._page_box)
    broken = [line for line in lines if line.endswith("\u2010")]
    assert broken, lines
    words = text.replace(".", "").split()
    for line, following in pairwise(lines):
        if line.endswith("\u2010"):
            head = line[:-1].split()[-1]
            word = head + following.split()[0].rstrip(".")
            assert word in words
            assert len(head) in hyphenation_points(word)
