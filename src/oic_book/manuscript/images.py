"""Images an author names, checked before anything is laid out.

An image is a file next to the chapter (the path is relative to the chapter file, as in
every Markdown preview). It is read once here: its format is taken from its bytes, not
its name; PNG and JPEG must decode within a pixel budget (a small file can claim
gigapixels: a decompression bomb), and SVG may carry no script, no entity, no reference
outside itself and no text (text would be drawn with a font of the reader's machine).
Whatever cannot be used is a located error of `check`, so a build that succeeds has every
image in both editions.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 24-megapixel photograph fits; 300 dpi on A4 is 8.7 MP
MAX_SIDE = 20_000
# Elements an SVG draws once every <use> is expanded: a chart has thousands; ten levels of
# ten <use> each (a "use bomb") would be ten thousand million, and hang the layout.
MAX_SVG_ELEMENTS = 200_000
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "SVG": "image/svg+xml"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "SVG": "svg"}

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# Elements that run code, embed other documents or draw text with the reader's fonts.
_SVG_REFUSED = {
    "script": "a script",
    "foreignObject": "a foreignObject",
    "iframe": "an iframe",
    "image": "an embedded image",
    "a": "a link",
    "animate": "an animation",
    "set": "an animation",
    "animateMotion": "an animation",
    "animateTransform": "an animation",
    "text": "text (convert it to paths: the reader's fonts would draw it)",
    "textPath": "text (convert it to paths: the reader's fonts would draw it)",
    "tspan": "text (convert it to paths: the reader's fonts would draw it)",
    "font": "a font",
    "font-face": "a font",
}
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import", re.IGNORECASE)


class ImageProblem(ValueError):
    """Why an image file cannot be used: (code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ImageFile:
    """An image that passed the checks: where it is and how the EPUB packages it."""

    path: Path
    name: str  # file name inside the EPUB's images/ folder (ASCII, content-addressed)
    media_type: str
    width: int | None  # pixels (None for SVG)
    height: int | None


def resolve(chapter: Path, target: str) -> Path:
    """The file an image target names, relative to the chapter's folder.

    The target is percent-decoded (`карта%201.png` and `<карта 1.png>` are one name) and
    compared in Unicode NFC, so a file saved in NFD (macOS) is found by its NFC name.
    """
    relative = unicodedata.normalize("NFC", unquote(target.split("#")[0].split("?")[0]))
    path = chapter.parent / relative
    if path.exists() or not path.parent.is_dir():
        return path
    wanted = unicodedata.normalize("NFC", path.name)
    for entry in sorted(path.parent.iterdir()):
        if unicodedata.normalize("NFC", entry.name) == wanted:
            return entry
    return path


def packaged_name(path: Path, data: bytes, kind: str) -> str:
    """An ASCII file name for the EPUB, the same wherever the project lives."""
    from .reader import slugify

    digest = hashlib.sha256(data).hexdigest()[:10]
    return (
        f"{slugify(unicodedata.normalize('NFC', path.stem))[:40]}-{digest}.{EXTENSIONS[kind]}"
    )


def inspect(path: Path, root: Path) -> ImageFile:
    """Check one image file of the project at `root` (read through the project's rule);
    raise `ImageProblem` saying why it cannot be used."""
    from ..project import MANUSCRIPT, FileTooLarge, read_file

    try:
        data = read_file(path, root, (MANUSCRIPT,), limit=MAX_BYTES)
    except FileTooLarge:
        size = path.stat().st_size
        raise ImageProblem(
            "L006", f"image is {size / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB"
        ) from None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "PNG"
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "JPEG"
    elif _looks_like_svg(data):
        kind = "SVG"
    else:
        raise ImageProblem("L005", "image format is not supported (use PNG, JPEG or SVG)")
    width = height = None
    if kind == "SVG":
        check_svg(data)
    else:
        width, height = _check_raster(data, kind)
    return ImageFile(path, packaged_name(path, data, kind), MEDIA_TYPES[kind], width, height)


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in head


def _check_raster(data: bytes, kind: str) -> tuple[int, int]:
    """Pixel dimensions within the budget, and the whole image decodes."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise ImageProblem(
                        "L006",
                        f"image is {width}×{height} pixels; the limit is "
                        f"{MAX_PIXELS // 1_000_000} megapixels and {MAX_SIDE} pixels a side",
                    )
                if image.format != kind:
                    raise ImageProblem("L005", f"image is not a valid {kind} file")
                image.load()  # a truncated or corrupt file fails here, not in the layout
    except ImageProblem:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageProblem("L006", f"image is too large to decode safely ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for damaged files
        reason = " ".join(str(exc).split())[:80]
        raise ImageProblem("L005", f"image cannot be decoded as {kind} ({reason})") from None
    return width, height


def check_svg(data: bytes) -> None:
    """An SVG must be self-contained and inert: no DOCTYPE or entities, no scripts, event
    handlers, external references, embedded documents or text."""
    from lxml import etree

    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise ImageProblem("L007", "SVG has a DOCTYPE or entities; remove them")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ImageProblem("L005", f"SVG is not well-formed XML ({exc})"[:120]) from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ImageProblem("L005", "image is not an SVG document (its root is not <svg>)")
    for element in root.iter():
        if not isinstance(element.tag, str):
            if isinstance(element, etree._ProcessingInstruction):
                raise ImageProblem("L007", "SVG has a processing instruction; remove it")
            continue
        local = etree.QName(element).localname
        if local in _SVG_REFUSED:
            raise ImageProblem("L007", f"SVG has {_SVG_REFUSED[local]}: <{local}>")
        for name, value in element.attrib.items():
            attr = etree.QName(name).localname
            if attr.lower().startswith("on"):
                raise ImageProblem("L007", f"SVG has an event handler: {attr}")
            if attr == "href" and not value.strip().startswith("#"):
                raise ImageProblem("L007", "SVG refers to something outside itself: href")
            if attr == "style" and _CSS_URL.search(value):
                raise ImageProblem("L007", "SVG style refers to something outside itself")
        if local == "style" and _CSS_URL.search("".join(element.itertext())):
            raise ImageProblem("L007", "SVG style refers to something outside itself")
    _check_expanded_size(root)


def _check_expanded_size(root) -> None:
    """Count what the SVG draws with every <use> expanded; refuse loops and bombs."""
    from lxml import etree

    ids = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    # Keyed by the element itself: lxml keeps one proxy per element while it is referenced
    # (an id() of a proxy may be reused once the proxy is gone).
    sizes: dict = {}
    visiting: set = set()

    def size(element) -> int:
        key = element
        if key in sizes:
            return sizes[key]
        if key in visiting:
            raise ImageProblem("L007", "SVG uses itself in a loop (<use>)")
        visiting.add(key)
        total = 1 + sum(size(child) for child in element if isinstance(child.tag, str))
        if etree.QName(element).localname == "use":
            href = element.get("href") or element.get(f"{{{XLINK_NS}}}href") or ""
            target = ids.get(href.strip()[1:])
            if target is not None:
                total += size(target)
        visiting.discard(key)
        if total > MAX_SVG_ELEMENTS:
            raise ImageProblem(
                "L006",
                f"SVG draws more than {MAX_SVG_ELEMENTS:,} elements once its <use> are "
                "expanded".replace(",", " "),
            )
        sizes[key] = total
        return total

    try:
        size(root)
    except RecursionError:
        raise ImageProblem("L007", "SVG nests <use> too deeply") from None
