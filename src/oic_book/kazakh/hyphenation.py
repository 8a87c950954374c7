"""Kazakh syllabification and hyphenation (тасымал).

The rules are the ones in the editorial notes and are written out here rather than copied
from an existing pattern set:

* vowels are а ә е ё и о ө ұ ү ы і э ю я, and у when it is read as a vowel;
* у is a consonant after one of those vowels (та-уы, сау-да, Еу-ра-зи-я) and at the start
  of a word before one (уа-қыт); everywhere else it is a vowel (Ие-ру-са-лим, су-ық, жу-у);
* ь and ъ stay with the consonant before them: no syllable starts with a sign, and a
  cluster that ends in a sign keeps it (паль-то, объ-ект, компь-ю-тер);
* of the consonants between two vowels only the last starts the next syllable
  (мил-ли-ард-қа, Ын-ты-мақ-тас-тық); two adjacent vowels belong to different syllables
  (ли-ард); a word-initial cluster stays with the first syllable (Страс-бург).

For line breaking (:func:`hyphenation_points`) at least two letters must stay on each side,
and abbreviations, words with digits and hyphenated compounds are never broken.

The same rules generate a Liang pattern dictionary (:func:`generate_patterns`) that pyphen,
and through it WeasyPrint's ``hyphens: auto``, uses for ``lang="kk"``.
"""

from __future__ import annotations

import argparse
import re
import sys
from itertools import pairwise, product
from pathlib import Path

__all__ = [
    "DICTIONARY_PATH",
    "generate_patterns",
    "hyphenation_points",
    "register_pyphen",
    "syllabify",
    "unhyphenatable_spans",
]

#: Vowel letters that are always vowels (у is decided by context).
VOWELS = "аәеёиоөұүыіэюя"
#: Letters that are always consonants (у is decided by context).
CONSONANTS = "бвгғджзйкқлмнңпрстфхһцчшщ"
#: Hard and soft signs: never start a syllable.
SIGNS = "ъь"
U = "у"
LETTERS = frozenset(VOWELS + CONSONANTS + SIGNS + U)

#: Letters that on their own make a word-initial run with no vowel (у never does: at the
#: start of a word it is a consonant only before a vowel, and after a consonant it is one).
_RUN_LETTERS = CONSONANTS + SIGNS

#: Minimum letters on each side of a line break.
MIN_LEFT = 2
MIN_RIGHT = 2

DICTIONARY_PATH = Path(__file__).parent / "data" / "hyph_kk_KZ.dic"
_PYPHEN_NAMES = ("kk", "kk_KZ", "kk-KZ")

_V, _C, _S = "V", "C", "S"


def _categories(word: str) -> list[str | None]:
    """Classify each character of a lowercase word as vowel, consonant, sign or other."""
    cats: list[str | None] = []
    for i, ch in enumerate(word):
        if ch in VOWELS:
            cats.append(_V)
        elif ch in CONSONANTS:
            cats.append(_C)
        elif ch in SIGNS:
            cats.append(_S)
        elif ch == U:
            # Only a plain vowel letter before it makes у a consonant; "у" after "у" stays a
            # vowel (жу-у), which keeps the rule local and therefore expressible as patterns.
            after_vowel = i > 0 and word[i - 1] in VOWELS
            initial_glide = i == 0 and len(word) > 1 and word[1] in VOWELS
            cats.append(_C if after_vowel or initial_glide else _V)
        else:
            cats.append(None)
    return cats


def _boundaries(run: str) -> list[int]:
    """Return the syllable boundaries inside a run of lowercase Kazakh letters."""
    cats = _categories(run)
    points = []
    seen_vowel = False
    for i in range(1, len(run)):
        seen_vowel = seen_vowel or cats[i - 1] == _V
        here, before = cats[i], cats[i - 1]
        after = cats[i + 1] if i + 1 < len(run) else None
        if here == _V and before == _V:
            points.append(i)
        elif seen_vowel and here == _C and after == _V:
            # The last consonant of a cluster opens the next syllable.
            points.append(i)
        elif seen_vowel and here == _V and before == _S:
            # A cluster ending in a sign keeps the sign: объ-ект.
            points.append(i)
    return points


def _letter_runs(word: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of maximal runs of Kazakh letters in ``word``."""
    lower = word.lower()
    runs = []
    start = None
    for i, ch in enumerate(lower + " "):
        if ch in LETTERS and start is None:
            start = i
        elif ch not in LETTERS and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _syllable_points(word: str) -> list[int]:
    """Return syllable boundaries of ``word`` as offsets, over all of its letter runs."""
    lower = word.lower()
    points = []
    for start, end in _letter_runs(word):
        points.extend(start + p for p in _boundaries(lower[start:end]))
    return points


def syllabify(word: str) -> list[str]:
    """Split ``word`` into Kazakh syllables, preserving case.

    Characters outside the Kazakh alphabet (hyphens, digits, Latin letters, punctuation)
    are never split off on their own: they stay attached to the syllable they touch, so
    ``"".join(syllabify(w)) == w`` always holds.
    """
    points = [0, *_syllable_points(word), len(word)]
    return [word[a:b] for a, b in pairwise(points) if b > a]


def _is_abbreviation(word: str) -> bool:
    """Tell whether ``word`` looks like an abbreviation (two or more capital letters)."""
    return sum(1 for ch in word if ch.isupper()) >= 2


def hyphenation_points(word: str) -> list[int]:
    """Return the offsets at which ``word`` may be broken across lines.

    These are syllable boundaries leaving at least two letters on each side. Abbreviations
    (two or more capitals), words containing digits, hyphenated compounds (which break only
    at their hyphen) and words with characters outside the Kazakh alphabet get none.
    """
    lower = word.lower()
    if not word or any(ch not in LETTERS for ch in lower) or _is_abbreviation(word):
        return []
    return [p for p in _boundaries(lower) if MIN_LEFT <= p <= len(word) - MIN_RIGHT]


# A word as a reader sees it: letters and digits, possibly joined by hyphens.
_WORD = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)*")


def unhyphenatable_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of words in ``text`` that automatic hyphenation must skip.

    These are abbreviations, words with digits and hyphenated compounds. pyphen lowercases
    words before matching, so its patterns cannot tell ЮНЕСКО from a common word: the print
    builder wraps these spans in an element with ``hyphens: manual``.
    """
    spans = []
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isalpha() and (word.islower() or word[1:].islower()):
            continue  # an ordinary word (most of them): hyphenate as usual
        if _is_abbreviation(word) or any(ch.isdigit() or not ch.isalnum() for ch in word):
            spans.append(match.span())
    return spans


def _pattern_set() -> dict[str, str]:
    """Build the Liang patterns as {letters: pattern with its values}."""
    values: dict[str, list[int]] = {}

    def add(pattern: str) -> None:
        # Patterns over the same letters are merged by taking the larger value at each
        # position, which is what a Liang matcher does when both would match.
        letters = "".join(ch for ch in pattern if not ch.isdigit())
        merged = values.setdefault(letters, [0] * (len(letters) + 1))
        position = 0
        for ch in pattern:
            if ch.isdigit():
                merged[position] = max(merged[position], int(ch))
            else:
                position += 1

    # Odd values allow a break, even values forbid it; the larger value wins. Level 1
    # encodes the syllable rules, level 2 the exceptions that need more context.
    for v1, v2 in product(VOWELS, VOWELS):
        add(f"{v1}1{v2}")  # vowel | vowel: ли-ард
    for c, v in product(CONSONANTS, VOWELS + U):
        add(f"1{c}{v}")  # | consonant vowel: у after a consonant is always a vowel
    for v1, v2 in product(VOWELS, VOWELS + U):
        add(f"{v1}1{U}{v2}")  # у after a vowel is a consonant opening a syllable: а-уыл
    for v in VOWELS + U:
        add(f"{U}1{v}")  # vowel у | vowel: су-ық, жу-у
        for s in SIGNS:
            add(f"{s}1{v}")  # sign | vowel: объ-ект
    for v1 in VOWELS:
        for v2 in VOWELS + U:
            add(f"{v1}{U}2{v2}")  # ...but consonant у (after a vowel) stays with its vowel
    for v in VOWELS:
        add(f".{U}2{v}")  # word-initial у before a vowel is a consonant: уа-қыт
    for s in SIGNS:
        add(f"2{s}")  # never break before ь/ъ
    # A syllable needs a vowel: forbid breaks after a word-initial run of consonants.
    # Runs of up to three letters are covered (Kazakh words start with at most one
    # consonant; loans with at most three: стр-, спр-, скр-).
    for c1 in _RUN_LETTERS:
        add(f".{c1}2")
        for c2 in _RUN_LETTERS:
            add(f".{c1}{c2}2")
            for s in SIGNS:
                add(f".{c1}{c2}{s}2")
    return {
        letters: "".join(
            f"{v or ''}{ch}" for v, ch in zip(vals, letters + " ", strict=True)
        ).rstrip()
        for letters, vals in values.items()
    }


def generate_patterns() -> str:
    """Return the hunspell-hyphen (Liang) dictionary text for Kazakh, deterministically.

    The first line names the encoding, then come the minimum fragment lengths and the
    patterns, lowercase and sorted by their letters.
    """
    patterns = _pattern_set()
    lines = ["UTF-8", f"LEFTHYPHENMIN {MIN_LEFT}", f"RIGHTHYPHENMIN {MIN_RIGHT}"]
    lines.extend(patterns[key] for key in sorted(patterns))
    return "\n".join(lines) + "\n"


def register_pyphen() -> None:
    """Make pyphen (and so WeasyPrint's ``hyphens: auto``) use the Kazakh dictionary.

    Registers ``kk``, ``kk_KZ`` and ``kk-KZ``. pyphen looks languages up through
    ``LANGUAGES_LOWERCASE``, which maps a lowercased, underscore-separated name to the key
    of ``LANGUAGES``, so both tables are updated. Calling it again changes nothing.
    """
    import pyphen

    for name in _PYPHEN_NAMES:
        pyphen.LANGUAGES[name] = DICTIONARY_PATH
        pyphen.LANGUAGES_LOWERCASE[name.lower()] = name


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--write`` regenerates the committed dictionary, else print it."""
    parser = argparse.ArgumentParser(prog="python -m oic_book.kazakh.hyphenation")
    parser.add_argument("--write", action="store_true", help=f"write {DICTIONARY_PATH.name}")
    args = parser.parse_args(argv)
    text = generate_patterns()
    if args.write:
        DICTIONARY_PATH.parent.mkdir(parents=True, exist_ok=True)
        DICTIONARY_PATH.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
