"""A reading engine for the tests: epub.js in headless Chromium opens the EPUB at a phone's
width and measures what a reader would see, document by document.

    python tests/reading.py dist/oic-book.epub [--width 390] [--font-size 150%]

prints the measurements (word gaps, clipped words, note-call targets) of every document.
The files are served to the browser from memory (Playwright routes, no server, no
network); epub.js and JSZip are vendored in tests/reader/vendor.
"""

from __future__ import annotations

import mimetypes
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

READER = Path(__file__).resolve().parent / "reader"
ORIGIN = "http://reader.test"  # never resolved: every request under it is routed
PHONE = {"width": 390, "height": 844}  # CSS px of a current phone held upright
GAP_LIMIT_EM = 1.0


@dataclass(frozen=True)
class Line:
    block: str  # element#id of the paragraph it is in
    align: str  # its computed text-align
    words: int
    widest: float  # the widest gap between two of its words, in em of the paragraph


@dataclass(frozen=True)
class NoteCall:
    id: str
    href: str
    width: float
    height: float
    target: int  # side of the largest square around its centre that hits the call


@dataclass
class Layout:
    """What one EPUB document looks like in the reading engine."""

    href: str
    column: dict
    lines: list[Line] = field(default_factory=list)
    clipped: list[dict] = field(default_factory=list)
    note_calls: list[NoteCall] = field(default_factory=list)
    fonts: list[str] = field(default_factory=list)


def wide_gap_share(layouts: list[Layout], limit: float = GAP_LIMIT_EM) -> tuple[int, int]:
    """(lines with a word gap wider than `limit` em, lines with two words or more)."""
    lines = [line for layout in layouts for line in layout.lines if line.words > 1]
    return sum(line.widest > limit for line in lines), len(lines)


class Reader:
    """One epub.js reader in a browser page, at one viewport size and text size."""

    def __init__(self, browser, epub: Path, viewport=PHONE, font_size: str = "100%"):
        with zipfile.ZipFile(epub) as archive:
            self.files = {name: archive.read(name) for name in archive.namelist()}
        self.context = browser.new_context(viewport=viewport, device_scale_factor=1)
        self.page = self.context.new_page()
        self.page.route(f"{ORIGIN}/**", self._serve)
        self.page.goto(f"{ORIGIN}/reader.html")
        self.hrefs: list[str] = self.page.evaluate(
            "([url, size]) => openBook(url, size)", [f"{ORIGIN}/book/", font_size]
        )

    def _serve(self, route) -> None:
        path = unquote(urlsplit(route.request.url).path)
        if path.startswith("/book/"):
            body = self.files.get(path.removeprefix("/book/"))
        else:
            file = READER / path.lstrip("/")
            body = file.read_bytes() if file.is_file() and READER in file.parents else None
        if body is None:
            route.fulfill(status=404, body=b"")
            return
        media = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if path.endswith(".xhtml"):
            media = "application/xhtml+xml"
        route.fulfill(status=200, body=body, content_type=media)

    def show(self, target: str) -> None:
        self.page.evaluate("(target) => show(target)", target)

    def measure(self, href: str) -> Layout:
        """Show the document `href` and measure it."""
        self.show(href)
        data = self.page.evaluate("() => oicMeasure(currentDocument())")
        return Layout(
            href=href,
            column=data["column"],
            lines=[Line(**line) for line in data["lines"]],
            clipped=data["clipped"],
            note_calls=[
                NoteCall(**{k: call[k] for k in NoteCall.__dataclass_fields__})
                for call in data["noteCalls"]
            ],
            fonts=sorted(set(data["fonts"])),
        )

    def platform_fonts(self) -> dict[tuple[str, bool], int]:
        """The fonts Chromium drew the shown document's text with: (family, embedded by
        the document) → glyph count, from the DevTools protocol, element by element."""
        cdp = self.context.new_cdp_session(self.page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        elements = []

        def walk(node, inside: bool) -> None:
            if node.get("nodeName") == "IFRAME" and "contentDocument" in node:
                walk(node["contentDocument"], True)
                return
            children = node.get("children", [])
            if (
                inside
                and node.get("nodeType") == 1
                and any(
                    c.get("nodeType") == 3 and c.get("nodeValue", "").strip() for c in children
                )
            ):
                elements.append(node["nodeId"])
            for child in children:
                walk(child, inside)

        walk(root, False)
        fonts: dict[tuple[str, bool], int] = {}
        for node_id in elements:
            for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})["fonts"]:
                key = (font["familyName"], font["isCustomFont"])
                fonts[key] = fonts.get(key, 0) + font["glyphCount"]
        cdp.detach()
        return fonts

    def follow_note_call(self, href: str, call_id: str) -> dict:
        """Show the page with the note call, tap it where it is drawn, and say where the
        reader went: whether the note it points to is on the page now shown."""
        self.show(f"{href}#{call_id}")
        box = self.page.evaluate(
            """(id) => { const call = currentDocument().getElementById(id);
                 const r = call.getBoundingClientRect();
                 return {x: iframeLeft() + r.left + r.width / 2, y: iframeTop() + r.top + r.height / 2,
                         relocations: window.relocations, target: call.getAttribute("href")}; }""",
            call_id,
        )
        self.page.mouse.click(box["x"], box["y"])
        self.page.wait_for_function("(n) => window.relocations > n", arg=box["relocations"])
        self.page.evaluate("() => settle()")
        return self.page.evaluate(
            """(target) => { const note = currentDocument().getElementById(target.slice(1));
                 const rects = Array.from(note.getClientRects()).map((r) => iframeLeft() + r.left);
                 return {target, lefts: rects,
                         visible: rects.some((x) => x >= 0 && x < window.innerWidth)}; }""",
            box["target"],
        )

    def measure_all(self) -> list[Layout]:
        return [self.measure(href) for href in self.hrefs]

    def close(self) -> None:
        self.context.close()


def report(layouts: list[Layout], label: str) -> str:
    wide, total = wide_gap_share(layouts)
    widest = max((line.widest for layout in layouts for line in layout.lines), default=0)
    calls = [call for layout in layouts for call in layout.note_calls]
    clipped = [clip for layout in layouts for clip in layout.clipped]
    rows = [
        f"{label}: {wide}/{total} lines with a word gap over {GAP_LIMIT_EM} em "
        f"({100 * wide / max(total, 1):.1f} %), widest {widest:.2f} em; "
        f"{len(clipped)} clipped; note calls {len(calls)}, "
        + (
            f"box {min(c.width for c in calls):.0f}–{max(c.width for c in calls):.0f}"
            f" × {min(c.height for c in calls):.0f}–{max(c.height for c in calls):.0f} px, "
            f"hit square {min(c.target for c in calls)}–{max(c.target for c in calls)} px"
            if calls
            else "none"
        )
    ]
    for layout in layouts:
        doc_wide, doc_total = wide_gap_share([layout])
        rows.append(
            f"  {layout.href:24} {doc_wide:4}/{doc_total:<4} column {layout.column['width']:.0f}"
            f" px; clipped: {[c['what'][:30] for c in layout.clipped]}"
        )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    import argparse

    from browser import chromium

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("epub", type=Path)
    parser.add_argument("--width", type=int, default=PHONE["width"])
    parser.add_argument("--height", type=int, default=PHONE["height"])
    parser.add_argument("--font-size", action="append", default=[])
    args = parser.parse_args(argv)
    with chromium() as browser:
        for size in args.font_size or ["100%", "150%"]:
            reader = Reader(
                browser, args.epub, {"width": args.width, "height": args.height}, size
            )
            print(report(reader.measure_all(), f"{args.width} px, text {size}"))
            reader.close()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main(sys.argv[1:]))
