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
from . import images
from .images import ImageFile

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
        if tag == "img":
            # An image is a file the builder checks and packages: the Markdown form only.
            problems.error(
                "H002", path, line, '<img> is not supported; write ![alt text](path "Caption")'
            )
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


LINK_SCHEMES = ("http", "https", "mailto")


def check_target(
    target: str, is_image: bool, path: Path, line: int, problems: Problems, alt: str
) -> ImageFile | None:
    """A link goes to an id, a file-free web or mail address (http, https, mailto: never
    fetched); an image is a usable file inside the manuscript, with alt text.

    Returns the checked image file.
    """
    kind = "image" if is_image else "link"
    scheme = urlsplit(target).scheme.lower()
    if not is_image and scheme in LINK_SCHEMES:
        return None
    if scheme == "data" and is_image:
        problems.error(
            "L005", path, line, "data: URLs are not supported; save the image as a file"
        )
        return None
    if target.startswith("//") or scheme in NETWORK_SCHEMES or (scheme and len(scheme) > 1):
        if scheme == "javascript":
            problems.error("H005", path, line, "javascript: URLs are not allowed")
        elif scheme == "file":
            problems.error(
                "L004", path, line, f"{kind} points outside the manuscript: {cut(target)}"
            )
        elif is_image:
            problems.error("L001", path, line, f"image points to a network URL: {cut(target)}")
        else:
            problems.error(
                "L001",
                path,
                line,
                f"link scheme '{scheme or '//'}:' is not allowed (http, https or mailto): "
                f"{cut(target)}",
            )
        return None
    if target.startswith("#"):
        return None  # checked against every id once all parts are read
    named = images.resolve(path, target) if is_image else path.parent / target.split("#")[0]
    try:
        file = contain(named, problems.root, (MANUSCRIPT,))
    except OutsideProject as exc:
        if "outside" in exc.reason:
            message = f"{kind} points outside the manuscript: {cut(target)}"
        else:
            message = f"{kind} path '{cut(target)}' {exc.reason}"
        problems.error("L004", path, line, message)
        return None
    if not is_image:
        return None
    if not file.is_file():
        problems.error("L002", path, line, f"image file not found: {cut(target)}")
        return None
    if not alt.strip():
        problems.error("L003", path, line, "image has no alt text")
    try:
        return images.inspect(file, problems.root)
    except images.ImageProblem as problem:
        problems.error(problem.code, path, line, f"{problem.message}: {cut(target)}")
    except OSError as exc:
        problems.error(
            "E001", path, line, f"image cannot be read ({exc.strerror}): {cut(target)}"
        )
    return None


def cut(value: str, limit: int = 80) -> str:
    """A value shown in a message, cut with an ellipsis so that lines stay short."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def abbreviations(text: str) -> list[str]:
    """Abbreviation-like tokens: two or more capital Cyrillic letters."""
    return ABBREVIATION.findall(text)
