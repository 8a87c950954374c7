"""The cover image, drawn from the book's metadata with the shipped fonts.

Pillow draws it rather than a browser, so it costs milliseconds and the PNG is the same
bytes on every machine (Pillow writes no time stamp into PNG files).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .. import fonts
from ..fonts import read_font
from ..manuscript.config import BookConfig

SIZE = (1600, 2560)  # 1:1.6, the shape most e-reader shops ask for
BACKGROUND = (11, 77, 59)  # deep green
ACCENT = (212, 175, 55)  # gold
TEXT = (250, 248, 240)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Greedy word wrap to `width` pixels."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _centred(draw, lines, font, top: int, spacing: float, fill) -> int:
    """Draw lines centred horizontally from `top`; return the y below the last."""
    y = top
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text(((SIZE[0] - width) / 2, y), line, font=font, fill=fill)
        y += int(font.size * spacing)
    return y


def _font(styles_dir: Path, family: str, weight: str, size: int, style: str = "normal"):
    """A face of a shipped family (styles/base.css), read through the project's rule."""
    return ImageFont.truetype(
        io.BytesIO(read_font(fonts.face(styles_dir, family, weight, style))), size
    )


def cover_png(config: BookConfig, styles_dir: Path) -> bytes:
    """The cover as PNG bytes."""
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    margin = 110
    draw.rectangle(
        (margin, margin, SIZE[0] - margin, SIZE[1] - margin), outline=ACCENT, width=6
    )
    draw.rectangle(
        (margin + 24, margin + 24, SIZE[0] - margin - 24, SIZE[1] - margin - 24),
        outline=ACCENT,
        width=2,
    )
    # An eight-pointed star of two squares: a motif of Islamic ornament, drawn, not borrowed.
    cx, cy, r = SIZE[0] // 2, 560, 170
    draw.regular_polygon((cx, cy, r), 4, rotation=0, outline=ACCENT, width=8)
    draw.regular_polygon((cx, cy, r), 4, rotation=45, outline=ACCENT, width=8)
    draw.ellipse((cx - 60, cy - 60, cx + 60, cy + 60), outline=ACCENT, width=6)

    title_font = _font(styles_dir, "Noto Sans", "bold", 128)
    subtitle_font = _font(styles_dir, "Noto Serif", "normal", 64, "italic")
    small_font = _font(styles_dir, "Noto Serif", "normal", 54)
    width = SIZE[0] - 2 * margin - 160
    y = _centred(draw, _wrap(draw, config.title, title_font, width), title_font, 900, 1.2, TEXT)
    draw.line((cx - 200, y + 50, cx + 200, y + 50), fill=ACCENT, width=5)
    if config.subtitle:
        _centred(
            draw,
            _wrap(draw, config.subtitle, subtitle_font, width),
            subtitle_font,
            y + 130,
            1.35,
            TEXT,
        )
    bottom = f"{config.place} · {config.date.year}" if config.place else str(config.date.year)
    _centred(draw, [bottom], small_font, SIZE[1] - margin - 200, 1.2, ACCENT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
