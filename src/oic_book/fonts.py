"""The shipped fonts (styles/fonts/, SIL OFL 1.1): which files, and what they cover."""

from __future__ import annotations

import functools
from pathlib import Path

FONT_FILES = (
    "NotoSerif-Regular.ttf",
    "NotoSerif-Bold.ttf",
    "NotoSerif-Italic.ttf",
    "NotoSerif-BoldItalic.ttf",
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
)


@functools.lru_cache(maxsize=4)
def coverage(fonts_dir: Path) -> frozenset[int]:
    """Code points that every shipped font has a glyph for."""
    from fontTools.ttLib import TTFont

    covered: frozenset[int] | None = None
    for name in FONT_FILES:
        cmap = TTFont(fonts_dir / name, lazy=True).getBestCmap()
        covered = frozenset(cmap) if covered is None else covered & frozenset(cmap)
    return covered or frozenset()
