"""Rules that a manuscript's text must follow, each with a stable code.

The reader calls the token rules while it walks the Markdown (it has the tokens and
their lines); `check` calls the text rules on what the reader collected. The codes are
listed in the README; tests pin the exact messages.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import Problems
from ..project import MANUSCRIPT, OutsideProject, contain

# Tags an author may write as raw HTML: inline phrasing and simple blocks, nothing active.
ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "br",
        "cite",
        "code",
        "del",
        "dfn",
        "div",
        "em",
        "figcaption",
        "figure",
        "i",
        "img",
        "ins",
        "kbd",
        "mark",
        "p",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "wbr",
        "blockquote",
    ]
)
FORBIDDEN_TAGS = frozenset(
    ["script", "iframe", "object", "embed", "style", "form", "input", "button", "link", "meta"]
)
ALLOWED_ATTRIBUTES = frozenset(
    ["alt", "class", "datetime", "dir", "href", "id", "lang", "src", "title", "xml:lang"]
)
NETWORK_SCHEMES = ("http", "https", "ftp", "ftps", "mailto", "data", "javascript", "file")

ABBREVIATION = re.compile(r"(?<![\w])[А-ЯЁӘҒҚҢӨҰҮҺІ]{2,}(?![а-яёәғқңөұүһі\w])")
_STRAIGHT_QUOTE = re.compile(r'"')
_HYPHEN_DASH = re.compile(r"(?<=\S) -{1,2} (?=\S)")
_YEAR_SPACE = re.compile(r"\d+ (?=жж?\.)")
# `[text](scheme:…)` left as plain text: markdown-it refuses javascript:, vbscript:, file:
# and most data: URLs and keeps the source as it was; check it as the link it was meant to be.


class _TagScanner(HTMLParser):
    """Collects (tag, attributes) of start tags in a piece of raw HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def check_raw_html(html: str, path: Path, line: int, problems: Problems) -> None:
    """Raw HTML may use only a safe allowlist of tags and attributes."""
    scanner = _TagScanner()
    scanner.feed(html)
    scanner.close()
    for tag, attrs in scanner.tags:
        if tag in FORBIDDEN_TAGS:
            problems.error("H001", path, line, f"<{tag}> is not allowed in the manuscript")
            continue
        if tag not in ALLOWED_TAGS:
            problems.error("H002", path, line, f"HTML tag <{tag}> is not in the allowed list")
        for name, value in attrs:
            if name.startswith("on"):
                problems.error("H003", path, line, f"event attribute '{name}' is not allowed")
            elif name not in ALLOWED_ATTRIBUTES:
                problems.error("H004", path, line, f"HTML attribute '{name}' is not allowed")
            if value and value.strip().lower().startswith("javascript:"):
                problems.error("H005", path, line, "javascript: URLs are not allowed")
            elif name in ("href", "src") and value:
                check_target(value, name == "src", path, line, problems, alt="x")
        if tag == "img" and not dict(attrs).get("alt"):
            problems.error("L003", path, line, "image has no alt text")


def check_target(
    target: str, is_image: bool, path: Path, line: int, problems: Problems, alt: str
) -> Path | None:
    """A link or image must stay inside the project; an image must exist and have alt text.

    Returns the resolved file of a local image.
    """
    kind = "image" if is_image else "link"
    scheme = urlsplit(target).scheme.lower()
    if target.startswith("//") or scheme in NETWORK_SCHEMES or (scheme and len(scheme) > 1):
        if scheme == "javascript":
            problems.error("H005", path, line, "javascript: URLs are not allowed")
        elif scheme == "file":
            problems.error(
                "L004", path, line, f"{kind} points outside the manuscript: {target}"
            )
        else:
            problems.error("L001", path, line, f"{kind} points to a network URL: {target}")
        return None
    if target.startswith("#"):
        return None  # checked against every id once all parts are read
    try:
        file = contain(path.parent / target.split("#")[0], problems.root, (MANUSCRIPT,))
    except OutsideProject as exc:
        if "outside" in exc.reason:
            message = f"{kind} points outside the manuscript: {target}"
        else:
            message = f"{kind} path '{target}' {exc.reason}"
        problems.error("L004", path, line, message)
        return None
    if is_image:
        if not file.is_file():
            problems.error("L002", path, line, f"image file not found: {target}")
            return None
        if not alt.strip():
            problems.error("L003", path, line, "image has no alt text")
        return file
    return None


def check_typography(text: str, path: Path, line: int, problems: Problems) -> None:
    """Warnings for what the Kazakh conventions write otherwise (see FACTS.md)."""
    if _STRAIGHT_QUOTE.search(text):
        problems.warning("T001", path, line, 'straight quote "; use « » (inner “ ”)')
    if _HYPHEN_DASH.search(text):
        problems.warning("T002", path, line, "hyphen used as a dash; use ' – ' (en dash)")
    for match in _YEAR_SPACE.finditer(text):
        problems.warning(
            "T003", path, line, f"plain space in '{match[0]}ж.'; use a no-break space"
        )


def abbreviations(text: str) -> list[str]:
    """Abbreviation-like tokens: two or more capital Cyrillic letters."""
    return ABBREVIATION.findall(text)
