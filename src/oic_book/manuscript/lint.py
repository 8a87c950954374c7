"""Rules that a manuscript's text must follow, each with a stable code.

The reader calls the token rules while it walks the Markdown (it has the tokens and
their lines); `check` calls the text rules on what the reader collected. The codes are
listed in the README; tests pin the exact messages.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import Problems
from ..project import MANUSCRIPT, OutsideProject, contain
from . import images
from .images import ImageFile

NETWORK_SCHEMES = ("http", "https", "ftp", "ftps", "mailto", "data", "javascript", "file")

ABBREVIATION = re.compile(r"(?<![\w])[А-ЯЁӘҒҚҢӨҰҮҺІ]{2,}(?![а-яёәғқңөұүһі\w])")
# `[text](scheme:…)` left as plain text: markdown-it refuses javascript:, vbscript:, file:
# and most data: URLs and keeps the source as it was; check it as the link it was meant to be.


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
    if not target.strip():
        problems.error("L001", path, line, f"{kind} has no address")
        return None
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
        # A link to a file would be a broken link in the EPUB and a file: link in the PDF.
        problems.error(
            "L001",
            path,
            line,
            f"link to a file: {cut(target)}; link to a place in the book with #id, or to "
            "an http(s) address",
        )
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
