r"""Render-time Kazakh typography, so that authors can type plain text.

:func:`typeset` takes the text pieces of one paragraph (the Markdown parser splits a
paragraph around emphasis, links, roles and note references) and applies the house
conventions across the whole paragraph while keeping every character in its piece:

* straight double quotes become « » outside and “ ” inside, decided by context;
* a spaced hyphen or double hyphen used as a dash becomes a no-break space, an en dash and a
  space ("Мойынты – Шу"); an en or em dash after a plain space gets a no-break space;
* a no-break space goes between a number and "ж."/"жж." (and a century and "ғ."), inside
  grouped numbers ("1 500 000"), between a number and its unit, after "№", and between
  initials and a surname ("Н. Ә. Назарбаев"); "25 %" loses its space;
* the hyphen joining a suffix to an abbreviation or a number (ИЫҰ-ның, 25-ке) becomes a
  non-breaking hyphen, so that "ИЫҰ-" never ends a line.

What is already right is left alone, and a missing space after a full stop ("болмауда.Ислам")
is deliberately not repaired: that is the editor's call. ``typeset`` is idempotent.
Soft line breaks should reach it as "\n" inside or between pieces, so that a quote or dash
at the start of a source line sees the space before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["EN_DASH", "NBSP", "NB_HYPHEN", "typeset"]

NBSP = "\u00a0"
NB_HYPHEN = "\u2011"
EN_DASH = "\u2013"
EM_DASH = "\u2014"

_UPPER = "А-ЯЁӘҒҚҢӨҰҮҺІA-Z"
_LOWER = "а-яёәғқңөұүһіa-z"
_SPACE = " \t\n"  # spaces an author types; NBSP is already a decision
_LETTER = r"[^\W\d_]"

# Units and counted words that must not be separated from the number before them. Short
# symbols must end there ("5 м", not "5 мектеп"); words may carry suffixes ("5 мыңнан").
_SYMBOL_UNITS = ("млн", "млрд", "трлн", "км", "м", "см", "мм", "кг", "г", "т", "га", "л")
_WORD_UNITS = (
    "мың",
    "миллион",
    "миллиард",
    "триллион",
    "теңге",
    "доллар",
    "АҚШ доллар",
    "евро",
    "рубль",
    "сом",
    "пайыз",
    "тонна",
    "шақырым",
    "гектар",
    "шаршы",
    "жыл",
)

_DASH_HYPHEN = re.compile(rf"(?<=\S)[{_SPACE}{NBSP}]--?(?=[{_SPACE}{NBSP}])")
_DASH_SPACE = re.compile(rf"(?<=\S)[{_SPACE}]+(?=[{EN_DASH}{EM_DASH}])")
_PERCENT = re.compile(rf"(?<=\d)[ {NBSP}]+(?=%)")
_GROUPED_NUMBER = re.compile(rf"(?<![\d,.])\d{{1,3}}(?:[ {NBSP}]\d{{3}})+(?!\d)")
# Roman centuries are often typed with the look-alike Cyrillic Х and І ("ХХІ ғ.").
_YEAR = re.compile(rf"(?<![^\W_])(\d+|[IVXLCDMХІ]+)[{_SPACE}](?=(?:жж?|ғғ?)\.)")
_UNIT = re.compile(
    rf"(?<=\d)[{_SPACE}](?=(?:{'|'.join(_SYMBOL_UNITS)})(?!{_LETTER})"
    rf"|(?:{'|'.join(_WORD_UNITS)}))"
)
_NUMERO = re.compile(rf"(?<=[№§])[{_SPACE}](?=\d)")
# The gap after an initial: up to three initials, then a capitalised surname.
_INITIAL_GAP = re.compile(
    rf"(?<![^\W_][{_UPPER}]\.)(?<=[{_UPPER}]\.)[ {NBSP}]?"
    rf"(?=(?:[{_UPPER}]\.[ {NBSP}]?){{0,2}}[{_UPPER}][{_LOWER}])"
)
_SUFFIX_HYPHEN = re.compile(rf"([^\W_]+)-(?={_LETTER})")

_Replacer = Callable[[re.Match[str]], str]

_QUOTE_OPENERS = frozenset("([{«“„‘/-" + EN_DASH + EM_DASH)


class _Paragraph:
    """The text of a paragraph, with the index of the segment each character belongs to."""

    def __init__(self, segments: list[str]) -> None:
        self.original = segments
        self.count = len(segments)
        self.text = "".join(segments)
        self._owners: list[int] | None = None  # made on the first change: most text has none

    @property
    def owners(self) -> list[int]:
        if self._owners is None:
            self._owners = [
                index for index, segment in enumerate(self.original) for _ in segment
            ]
        return self._owners

    @owners.setter
    def owners(self, value: list[int]) -> None:
        self._owners = value

    def sub(self, pattern: re.Pattern[str], replace: str | _Replacer) -> None:
        """Replace every match of ``pattern``, keeping track of segment ownership.

        Replacement characters inherit the owners of the matched characters position by
        position (a longer replacement continues with the last owner); an insertion belongs
        to the character before it, so text inserted at a piece boundary ends the earlier
        piece.
        """
        matches = [
            (match, replace if isinstance(replace, str) else replace(match))
            for match in pattern.finditer(self.text)
        ]
        if all(new == match.group(0) for match, new in matches):
            return  # the common case: nothing changes, and the owners need no copy
        pieces: list[str] = []
        owners: list[int] = []
        last = 0
        for match, new in matches:
            start, end = match.span()
            pieces.append(self.text[last:start])
            owners.extend(self.owners[last:start])
            if end > start:
                last_owned = end - start - 1
                owners.extend(self.owners[start + min(k, last_owned)] for k in range(len(new)))
            else:
                owner = self.owners[start - 1] if start else self.owners[start]
                owners.extend([owner] * len(new))
            pieces.append(new)
            last = end
        pieces.append(self.text[last:])
        owners.extend(self.owners[last:])
        self.text = "".join(pieces)
        self.owners = owners

    def quotes(self) -> None:
        """Turn straight double quotes into « » and, when nested, “ ”."""
        if '"' not in self.text:
            return  # only straight quotes change; the nesting of others matters only then
        chars = list(self.text)
        depth = 0
        for i, ch in enumerate(chars):
            if ch in "«“„":
                depth += 1
            elif ch in "»”":
                depth = max(depth - 1, 0)
            elif ch == '"':
                before = chars[i - 1] if i else " "
                after = chars[i + 1] if i + 1 < len(chars) else " "
                # After punctuation and before a word it opens, so that 'деді:"Алаш"'
                # still works when the line break before the quote did not reach us.
                glued = not before.isalnum() and before not in "»”" and after.isalnum()
                opening = before.isspace() or before in _QUOTE_OPENERS or glued
                if opening and after.isspace() and depth:
                    # A quote standing alone between spaces closes whatever is open.
                    opening = False
                if opening:
                    chars[i] = "«" if depth == 0 else "“"
                    depth += 1
                else:
                    chars[i] = "»" if depth <= 1 else "”"
                    depth = max(depth - 1, 0)
        self.text = "".join(chars)

    def segments(self) -> list[str]:
        """Split the text back into as many segments as were given."""
        if self._owners is None and self.text == "".join(self.original):
            return list(self.original)
        out: list[list[str]] = [[] for _ in range(self.count)]
        for ch, owner in zip(self.text, self.owners, strict=True):
            out[owner].append(ch)
        return ["".join(chars) for chars in out]


def _group_number(match: re.Match[str]) -> str:
    """Glue the digit groups of a number with no-break spaces."""
    return re.sub(r"[ \u00a0]", NBSP, match.group(0))


def _suffix_hyphen(match: re.Match[str]) -> str:
    """Make the hyphen non-breaking when the word before it is a number or abbreviation."""
    word = match.group(1)
    capitals = sum(ch.isupper() for ch in word)
    abbreviation = capitals >= 2 and not any(ch.islower() for ch in word)
    if word[-1].isdigit() or abbreviation:
        return word + NB_HYPHEN
    return match.group(0)


def typeset(segments: list[str]) -> list[str]:
    """Apply Kazakh typographic conventions to the text pieces of one paragraph.

    Returns as many pieces as given, each transformed; quote nesting and every other
    context is read across piece boundaries. See the module docstring for the rules.
    """
    paragraph = _Paragraph(segments)
    paragraph.sub(_DASH_HYPHEN, NBSP + EN_DASH)
    paragraph.sub(_DASH_SPACE, NBSP)
    paragraph.quotes()
    paragraph.sub(_PERCENT, "")
    paragraph.sub(_GROUPED_NUMBER, _group_number)
    paragraph.sub(_YEAR, lambda m: m.group(1) + NBSP)
    paragraph.sub(_UNIT, NBSP)
    paragraph.sub(_NUMERO, NBSP)
    paragraph.sub(_INITIAL_GAP, NBSP)
    paragraph.sub(_SUFFIX_HYPHEN, _suffix_hyphen)
    return paragraph.segments()
