"""The shipped fonts (styles/fonts/, SIL OFL 1.1): which files, and what they cover."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from .project import STYLES, read_file

FONT_FILES = (
    "NotoSerif-Regular.ttf",
    "NotoSerif-Bold.ttf",
    "NotoSerif-Italic.ttf",
    "NotoSerif-BoldItalic.ttf",
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
)


def read_font(path: Path) -> bytes:
    """A shipped font's bytes, read through the project's rule (`project.contain`): a font
    file linked to one of the machine's fonts is refused."""
    return read_file(path, path.parent.parent.parent, (STYLES,))


@functools.lru_cache(maxsize=4)
def coverage(fonts_dir: Path) -> frozenset[int]:
    """Code points that every shipped font has a glyph for."""
    from fontTools.ttLib import TTFont

    covered: frozenset[int] | None = None
    for name in FONT_FILES:
        cmap = TTFont(io.BytesIO(read_font(fonts_dir / name)), lazy=True).getBestCmap()
        covered = frozenset(cmap) if covered is None else covered & frozenset(cmap)
    return covered or frozenset()
