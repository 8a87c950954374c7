"""The shipped fonts (styles/fonts/, SIL OFL 1.1): which files, and what they cover.

The one list of fonts is the `@font-face` rules of `styles/base.css`: adding a font is
adding its file and its rule there, and nothing in Python names a font file. The
`font-family` declarations of the stylesheets are the stacks text can be set in; a
character is usable when every stack has a family that covers it, because any text an
author writes can end up in any of them (a heading, a note, a code span).
"""

from __future__ import annotations

import functools
import io
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import tinycss2

from .project import STYLES, read_file

FACES_STYLESHEET = "base.css"
STYLESHEETS = ("base.css", "print.css", "epub.css", "web.css")
MEDIA_TYPES = {
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


@dataclass(frozen=True)
class FontFace:
    """One `@font-face` rule: a family name, its file, weight and style."""

    family: str
    file: Path  # absolute, as the stylesheet names it (links not resolved: see read_font)
    weight: str  # "normal" or "bold" (or a number)
    style: str  # "normal" or "italic"

    @property
    def name(self) -> str:
        """The file's path inside styles/ (as the stylesheet names it)."""
        return f"fonts/{self.file.name}"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.file.suffix.lower(), "application/octet-stream")


def _declarations(rule) -> dict[str, list]:
    """The declarations of a rule (or a qualified rule's block), by lower-case name."""
    out: dict[str, list] = {}
    for item in tinycss2.parse_blocks_contents(rule.content or [], skip_whitespace=True):
        if item.type == "declaration":
            out[item.lower_name] = item.value
    return out


def _families(tokens) -> tuple[str, ...]:
    """The family names of a `font-family` value, in order."""
    names, words = [], []
    for token in [*tokens, None]:
        if token is None or (token.type == "literal" and token.value == ","):
            if words:
                names.append(" ".join(words))
            words = []
        elif token.type == "string" or token.type == "ident":
            words.append(token.value)
    return tuple(names)


def _ident(tokens, default: str) -> str:
    for token in tokens:
        if token.type in ("ident", "number"):
            return str(token.value).lower() if token.type == "ident" else str(token.int_value)
    return default


def read_font(path: Path) -> bytes:
    """A shipped font's bytes, read through the project's rule (`project.contain`): a font
    file linked to one of the machine's fonts is refused."""
    root = next((p.parent for p in path.parents if p.name == STYLES), path.parent)
    return read_file(path, root, (STYLES,))


@functools.lru_cache(maxsize=8)
def font_faces(styles_dir: Path) -> tuple[FontFace, ...]:
    """The shipped fonts, read from the `@font-face` rules of styles/base.css."""
    css = read_file(styles_dir / FACES_STYLESHEET, styles_dir.parent, (STYLES,)).decode("utf-8")
    faces = []
    for rule in tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True):
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face":
            continue
        values = _declarations(rule)
        family = _families(values.get("font-family", []))
        url = next((t.value for t in values.get("src", []) if t.type == "url"), None)
        if not family or url is None:
            continue
        faces.append(
            FontFace(
                family=family[0],
                file=Path(os.path.normpath(styles_dir / url)),
                weight=_ident(values.get("font-weight", []), "normal"),
                style=_ident(values.get("font-style", []), "normal"),
            )
        )
    return tuple(faces)


def _all_rules(rules):
    """Every qualified rule and at-rule, nested ones (`@page` margins, `@media`) too."""
    for rule in rules:
        if rule.type not in ("qualified-rule", "at-rule"):
            continue
        yield rule
        if rule.content:
            nested = tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True)
            yield from _all_rules(n for n in nested if n.type != "declaration")


@functools.lru_cache(maxsize=8)
def font_stacks(styles_dir: Path) -> tuple[tuple[str, ...], ...]:
    """Every `font-family` list of the stylesheets (outside `@font-face`), once each."""
    stacks: dict[tuple[str, ...], None] = {}
    for name in STYLESHEETS:
        path = styles_dir / name
        if not path.is_file():
            continue
        rules = tinycss2.parse_stylesheet(
            read_file(path, styles_dir.parent, (STYLES,)).decode("utf-8"),
            skip_whitespace=True,
            skip_comments=True,
        )
        for rule in _all_rules(rules):
            if rule.type == "at-rule" and rule.lower_at_keyword == "font-face":
                continue
            family = _declarations(rule).get("font-family")
            if family:
                stacks[_families(family)] = None
    return tuple(stacks)


@functools.lru_cache(maxsize=8)
def family_coverage(styles_dir: Path) -> dict[str, frozenset[int]]:
    """Code points each family has in every one of its faces (bold, italic, …)."""
    from fontTools.ttLib import TTFont

    covered: dict[str, frozenset[int]] = {}
    for face in font_faces(styles_dir):
        cmap = frozenset(TTFont(io.BytesIO(read_font(face.file)), lazy=True).getBestCmap())
        covered[face.family] = covered[face.family] & cmap if face.family in covered else cmap
    return covered


@functools.lru_cache(maxsize=8)
def coverage(styles_dir: Path) -> frozenset[int]:
    """Code points that every font stack of the stylesheets can draw with shipped fonts."""
    families = family_coverage(styles_dir)
    stacks = font_stacks(styles_dir) or (tuple(families),)
    covered: frozenset[int] | None = None
    for stack in stacks:
        drawn = frozenset().union(*(families.get(name, frozenset()) for name in stack))
        covered = drawn if covered is None else covered & drawn
    return covered or frozenset()


@functools.lru_cache(maxsize=8)
def font_names(styles_dir: Path) -> tuple[str, ...]:
    """The shipped fonts' own family names ("Noto Serif", …), for the imprint's credit."""
    from fontTools.ttLib import TTFont

    names: dict[str, None] = {}
    for face in font_faces(styles_dir):
        font = TTFont(io.BytesIO(read_font(face.file)), lazy=True)
        names[font["name"].getDebugName(1) or face.family] = None
    return tuple(names)


def script_of(char: str) -> str:
    """A readable script name for a character ("Arabic", "CJK", "Greek", "symbol")."""
    name = unicodedata.name(char, "")
    if not any(kind in name for kind in (" LETTER ", "IDEOGRAPH", " SYLLABLE ", " DIGIT ")):
        return "symbol"
    word = name.split(" ")[0]
    return word if len(word) <= 3 else word.title()


def face(styles_dir: Path, family: str, weight: str = "normal", style: str = "normal") -> Path:
    """The file of one face of a shipped family (for drawing the cover)."""
    for candidate in font_faces(styles_dir):
        if (candidate.family, candidate.weight, candidate.style) == (family, weight, style):
            return candidate.file
    raise LookupError(f"styles/{FACES_STYLESHEET} has no @font-face {family} {weight} {style}")
