"""Kazakh alphabetical order for the glossary and the index.

Code-point order puts Ә Ғ Қ Ң Ө Ұ Ү Һ І after Я; :func:`sort_key` orders by the Kazakh
alphabet instead. The first level compares letters case-insensitively and ignores spaces
and punctuation (so "Ислам даму банкі" sorts as one run of letters), numbers come before
letters and compare by value ("8-саммит" before "11-саммит"), and Latin letters follow the
Cyrillic ones. Ties are broken by case (lowercase first), then by the text itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

__all__ = ["KAZAKH_ALPHABET", "sort_key", "sorted_kk"]

KAZAKH_ALPHABET = tuple("АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ")

T = TypeVar("T")

_RANK = {letter.lower(): rank for rank, letter in enumerate(KAZAKH_ALPHABET)}
# Other letters rank after the whole Kazakh alphabet: Cyrillic first, then Latin, then the
# rest, each group in code-point order of its base letter.
_CYRILLIC, _LATIN, _OTHER = 1, 2, 3
_NUMBER, _LETTER = 0, 1

Token = tuple[int, int, int]


def _letter_token(ch: str) -> Token:
    """Rank one lowercase letter; only non-Kazakh letters lose their diacritics."""
    if ch in _RANK:
        return (_LETTER, 0, _RANK[ch])
    base = unicodedata.normalize("NFD", ch)[0]
    name = unicodedata.name(base, "")
    group = _CYRILLIC if name.startswith("CYRILLIC") else _LATIN if "LATIN" in name else _OTHER
    return (_LETTER, group, ord(base))


def _primary(text: str) -> tuple[Token, ...]:
    """Letters and numbers of ``text``, case-folded, as comparable tokens."""
    tokens: list[Token] = []
    digits = ""
    for ch in text.lower() + " ":
        if ch.isdecimal():
            digits += ch
            continue
        if digits:
            tokens.append((_NUMBER, 0, int(digits)))
            digits = ""
        if ch.isalpha():
            tokens.append(_letter_token(ch))
    return tuple(tokens)


def sort_key(text: str) -> tuple[tuple[Token, ...], tuple[bool, ...], str]:
    """Return a key that sorts ``text`` in Kazakh alphabetical order."""
    case = tuple(ch.isupper() for ch in text if ch.isalpha())
    return (_primary(text), case, text)


def sorted_kk(items: Iterable[T], key: Callable[[T], str] | None = None) -> list[T]:
    """Sort ``items`` in Kazakh order, by ``key(item)`` or by the items themselves."""
    if key is None:
        return sorted(items, key=lambda item: sort_key(str(item)))
    return sorted(items, key=lambda item: sort_key(key(item)))
