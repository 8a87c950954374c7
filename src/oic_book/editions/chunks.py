"""The print edition laid out in chunks, on both cores, then merged into one PDF.

A chunk is a run of the book that starts on a right-hand page with fresh state: the front
matter (title page, imprint, contents), a few parts (preface, chapters), the glossary, or
the index. Its page breaks depend only on its own HTML, not on where it starts
(`weasyprint_fixes.chunking`): a chunk is paginated from page 1 and told its real first
page number once the chunks before it have been paginated, before its page numbers are
drawn. So the parts are laid out at once, two at a time, and their PDFs merged
(`pdfmerge`). The result is the single-pass layout page for page
(`tests/test_chunks.py`).

What depends on page numbers waits for them: the contents and the glossary list the pages
of the chunks after them, and the index merges its page ranges. They are rendered with the
numbers as text (`render.Renderer.print_page`), where the whole book computes them with
`target-counter()`. The contents come before the parts, so the number of pages they take
is learnt first: from the layout cache, or by laying them out once with stand-in numbers
(the page breaks of the contents do not depend on the digits; if they ever did, the
layout is made again with the real ones until nothing moves).

Each chunk's layout is kept in the layout cache (`layout_cache`) under a key made of
everything it is made from, so a build lays out again only the chunks whose HTML, or
first page, changed: a chapter that grows by a page into its blank verso moves nothing
after it.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import math
import re
from dataclasses import dataclass, field

from .. import render
from ..model import Book, Part
from ..render import PageMarker, PageStart, PrintPages

log = logging.getLogger("oic_book")

#: About this many pages in a chunk of parts (half to twice as many), for books large
#: enough to fill many chunks: small enough that two chunks in memory stay well under the
#: memory target and a one-word change lays out little again, large enough that
#: WeasyPrint's cost per document (style sheets, fonts, PDF writing) is paid rarely.
CHUNK_PAGES = 32
#: Characters of the parts' HTML (`Part.body_html`) per printed page, to size chunks
#: before layout (A5, this book's type: 16,213 characters make 11 pages).
CHARS_PER_PAGE = 1400
#: A small book is split into at least this many chunks (one part each, if it has fewer).
MIN_CHUNKS = 8


@dataclass(frozen=True)
class FontUse:
    """A font as one chunk's PDF embeds it: enough to merge the subsets of every chunk."""

    name: str  # BaseFont without "/", e.g. "FGLODY+OIC-Serif", the same in every chunk
    source_sha256: str  # of the whole font file the subset was cut from
    widths: dict[int, int]  # glyph id → width (1/1000 em), as the PDF's /W
    to_unicode: dict[int, str]  # glyph id → text, as its /ToUnicode


@dataclass(frozen=True)
class LaidOutChunk:
    """One chunk after layout: its PDF and what the rest of the build needs from it."""

    name: str
    first_page: int
    page_count: int
    pdf: bytes
    anchors: dict[str, int]  # id → printed page number (the first page it is on)
    starts: tuple[PageStart, ...]  # where each page with text begins, for the EPUB
    fonts: tuple[FontUse, ...]
    link_targets: dict[str, str]  # id → what a link to it says it goes to (pdfua)
    refused: tuple[str, ...] = ()  # URLs the layout asked for and was refused


@dataclass(frozen=True)
class Chunk:
    """One chunk of the print edition, before layout."""

    name: str  # "front", "parts ch1–ch4", "glossary", "index"
    kind: str  # "front", "parts", "glossary" or "index"
    parts: tuple[Part, ...] = ()
    rendered: str | None = None  # the HTML of parts, which needs no page number

    def html(self, book: Book, pages: PrintPages | None) -> str:
        """The chunk's print HTML; the front matter, glossary and index need `pages`."""
        if self.rendered is not None:
            return self.rendered
        if self.kind == "index":
            return render.render_print_index(book, pages.page_of)
        sections = {"front": ("front",), "glossary": ("glossary",)}.get(self.kind, ())
        return render.render_print_html(book, pages, sections, self.parts)


def plan(book: Book) -> list[Chunk]:
    """The chunks of the book, in page order.

    Parts go together in runs of about `CHUNK_PAGES` pages (fewer in a small book, so
    that both cores have work). Whether a run ends after a part depends mostly on that
    part alone, as in content-defined chunking: past half the target size, a part of size
    s ends its run with probability s / target, decided by a hash of its file's name; a
    run never grows past twice the target. So an edit, or a chapter added, moves few cuts
    but its own part's, and the other chunks keep their cache keys.
    """
    sizes = [max(1, len(part.body_html)) for part in book.parts]
    pages = max(1, sum(sizes) // CHARS_PER_PAGE)
    target = min(CHUNK_PAGES, max(1, pages // MIN_CHUNKS)) * CHARS_PER_PAGE
    # A power of two, so that a small edit does not change the size of every chunk.
    target = 2 ** round(math.log2(target))
    runs: list[tuple[Part, ...]] = []
    run: list[Part] = []
    reached = 0
    for part, size in zip(book.parts, sizes, strict=True):
        run.append(part)
        reached += size
        name = part.path.relative_to(book.config.manuscript_dir).as_posix().encode()
        draw = int.from_bytes(hashlib.sha256(name).digest()[:8], "big") / 2**64
        if (reached >= target // 2 and draw < size / target) or reached >= 2 * target:
            runs.append(tuple(run))
            run, reached = [], 0
    if run:
        runs.append(tuple(run))
    chunks = [Chunk("front", "front")]
    for run, html in zip(runs, render.render_print_runs(book, runs), strict=True):
        chunks.append(Chunk(f"parts {run[0].slug}–{run[-1].slug}", "parts", run, html))
    chunks.append(Chunk("glossary", "glossary"))
    if book.index:
        chunks.append(Chunk("index", "index"))
    return chunks


def next_right_page(after: int) -> int:
    """The first right-hand (odd) page after page `after`: where the next chunk starts."""
    return after + 1 if after % 2 == 0 else after + 2


@dataclass
class Pagination:
    """The page numbers of the chunks as they become known, in page order."""

    chunks: list[Chunk]
    counts: dict[str, int] = field(default_factory=dict)  # chunk name → pages

    def first_page(self, index: int) -> int | None:
        """The first page of chunk `index`, or None while a chunk before it is unpaginated."""
        page = 1
        for chunk in self.chunks[:index]:
            count = self.counts.get(chunk.name)
            if count is None:
                return None
            page = next_right_page(page + count - 1)
        return page


def stand_in_pages(book: Book, chunks: list[Chunk], digits: int) -> PrintPages:
    """Page numbers of `digits` digits for every anchor the contents point to: enough to
    lay the front matter out and count its pages before the real numbers are known."""
    number = int("9" * digits)
    anchors = ["glossary", "index"]
    for part in book.parts:
        anchors.append(part.slug)
        anchors += [heading.id for heading in part.headings]
    return PrintPages(page_of=dict.fromkeys(anchors, number))


def print_pages(laid_out: list[LaidOutChunk]) -> PrintPages:
    """What the EPUB and the index need from the print layout, from every chunk's part."""
    page_of: dict[str, int] = {}
    starts: list[PageStart] = []
    for chunk in sorted(laid_out, key=lambda c: c.first_page):
        for anchor, page in chunk.anchors.items():
            page_of.setdefault(anchor, page)
        starts += chunk.starts
    markers = tuple(
        PageMarker(str(start.number), f"{start.doc}#page-{start.number}") for start in starts
    )
    return PrintPages(page_of=page_of, markers=markers, starts=tuple(starts))


_HREF = re.compile(r'href="#([^"]+)"')


def link_targets(book: Book, chunks: list[Chunk]) -> frozenset[str]:
    """Every id that an internal link of the book may point to: those of the parts' links,
    and those the contents, glossary and index link to (whatever their page numbers)."""
    wanted = {"glossary", "index"}
    for chunk in chunks:
        if chunk.rendered is not None:
            wanted.update(_HREF.findall(chunk.rendered))
    for part in book.parts:
        wanted.add(part.slug)
        wanted.update(heading.id for heading in part.headings)
        wanted.update(use.anchor for use in part.terms)
    wanted.update(entry.key for entry in book.glossary)
    wanted.update(occurrence.anchor for entry in book.index for occurrence in entry.occurrences)
    return frozenset(wanted)


def merged_link_targets(laid_out: list[LaidOutChunk]) -> dict[str, str]:
    """What each link target says, from every chunk (the first chunk that has it wins)."""
    targets: dict[str, str] = {}
    for chunk in sorted(laid_out, key=lambda c: c.first_page):
        for anchor, text in chunk.link_targets.items():
            targets.setdefault(anchor, text)
    return targets


# --- laying the chunks out in worker processes ------------------------------------------
#
# The parent sends a worker its `ChunkSetup` once, then jobs `(name, html)`. The worker
# answers `("paginated", name, page_count)` and waits for the chunk's first page number
# (an int), then answers `("done", name, LaidOutChunk)`. None stops it.


def serve_layout(connection) -> None:
    """The main loop of a layout worker (see `workers`)."""
    from ..workers import tune_gc
    from . import pdf

    setup = connection.recv()
    if setup is None:
        return
    layouter = pdf.ChunkLayouter(setup)
    tune_gc()
    while (job := connection.recv()) is not None:
        name, html = job

        def ask_first_page(count: int, name: str = name) -> int:
            connection.send(("paginated", name, count))
            first = connection.recv()
            if first is None:
                raise SystemExit(0)
            return first

        result = layouter.lay_out(name, html, ask_first_page)
        connection.send(("done", name, result))
        del result
        gc.collect()


class LayoutError(RuntimeError):
    """The chunks could not be laid out consistently (a bug, not the manuscript's)."""


def lay_out_book(
    book: Book, plan: list[Chunk], workers, setup, cache=None, max_workers: int = 2
) -> list[LaidOutChunk]:
    """Every chunk of `plan` laid out (or found in `cache`), in page order.

    `workers` is a `workers.Workers` whose processes run `serve_layout`; those already
    started are used first, and up to `max_workers` in all.
    """
    front_count = None
    for _ in range(3):
        try:
            return _lay_out(book, plan, workers, setup, cache, max_workers, front_count)
        except _FrontMoved as moved:
            # Never seen: the page numbers' digits changed how the contents break.
            log.info("the front matter takes %d pages, not %d: again", moved.count, moved.was)
            front_count = moved.count
        except _StaleCache as stale:
            # The fingerprint missed something a layout depends on: lay out everything.
            log.warning("layout cache: %s; laying out without it", stale)
            cache = None
        workers.kill_all()
    raise LayoutError("the front matter's length does not settle")


class _FrontMoved(Exception):
    def __init__(self, count: int, was: int) -> None:
        super().__init__(count, was)
        self.count, self.was = count, was


class _StaleCache(Exception):
    pass


def _lay_out(book, plan, workers, setup, cache, max_workers, front_count):
    from ..workers import ready

    state = _Schedule(book, plan, cache, front_count)
    idle = list(workers.started)
    for worker in idle:
        worker.send(setup)
    busy: dict = {}  # worker → plan index of its job
    asking: dict = {}  # worker → plan index, waiting for that chunk's first page
    while True:
        state.resolve()
        if state.finished():
            break
        while state.queue and (idle or len(workers.started) < max_workers):
            if idle:
                worker = idle.pop(0)
            else:
                worker = workers.start()
                worker.send(setup)
            index, name, html = state.queue.pop(0)
            worker.send((name, html))
            busy[worker] = index
        for worker, index in list(asking.items()):
            first = state.first_page(index)
            if first is not None:
                worker.send(first)
                del asking[worker]
        if len(asking) == len(busy):
            raise LayoutError("every layout process waits for a page number: " + state.why())
        for worker in ready(list(busy)):
            message = worker.receive()
            kind, name = message[0], message[1]
            log.debug("%s: %s %s", worker.name, kind, name)
            if kind == "paginated":
                state.paginated(busy[worker], name, message[2])
                asking[worker] = busy[worker]
            elif kind == "done":
                state.done(name, message[2])
                del busy[worker]
                idle.append(worker)
    laid_out = sorted(name for name in state.dispatched if name != state.FRONT_DRY)
    log.info(
        "%d of %d chunks laid out (%s), the rest taken from the layout cache",
        len(laid_out),
        len(plan),
        ", ".join(laid_out),
    )
    return state.results()


class _Schedule:
    """Which chunk can be laid out, found in the cache, or numbered, and when.

    A chunk is laid out as soon as its HTML is known, unless the cache knows its page
    count: then it waits for its first page number, and is laid out only if the cache has
    no layout from that page. So a change that moves no page number lays out only the
    changed chunk, and one that does lays out the chunks after it as well.
    """

    FRONT_DRY = "front (page count)"

    def __init__(self, book: Book, plan: list[Chunk], cache, front_count: int | None) -> None:
        self.book = book
        self.plan = plan
        self.cache = cache
        self.pagination = Pagination(plan)
        self.queue: list[tuple[int, str, str]] = []
        self.html: dict[str, str] = {}  # the HTML of each chunk, once it can be rendered
        self.laid_out: dict[str, LaidOutChunk] = {}
        self.dispatched: set[str] = set()
        self.assumed: dict[str, int] = {}  # page counts taken from the cache
        # About as many digits as the book will have pages.
        digits = len(str(max(9, len(book.parts) * 4)))
        self.dry_html = plan[0].html(book, stand_in_pages(book, plan, digits))
        if front_count is None and cache is not None:
            front_count = cache.page_count(self.dry_html)
        self.front_count = front_count
        if front_count is not None:
            self.pagination.counts[plan[0].name] = front_count
        else:
            self.queue.append((0, self.FRONT_DRY, self.dry_html))
            self.dispatched.add(self.FRONT_DRY)
        for chunk in plan:
            if chunk.rendered is not None:
                self.html[chunk.name] = chunk.rendered

    def resolve(self) -> None:
        """Render what can be rendered; take from the cache, or queue, what can be."""
        self._render_late_chunks()
        progress = True
        while progress:  # a chunk found in the cache may give the next its first page
            progress = False
            for index, chunk in enumerate(self.plan):
                name = chunk.name
                if name in self.dispatched or name in self.laid_out or name not in self.html:
                    continue
                html = self.html[name]
                count = self.cache.page_count(html) if self.cache is not None else None
                if count is None:
                    self._dispatch(index, name, html)
                    continue
                self.assumed[name] = count
                if index == 0 and count != self.front_count:
                    raise _FrontMoved(count, self.front_count)
                self.pagination.counts[name] = count
                first = self.first_page(index)
                if first is None:
                    continue  # the cache knows its length; its place is not known yet
                found = self.cache.laid_out(html, first)
                if found is None or found.page_count != count:
                    self._dispatch(index, name, html)
                else:
                    self.laid_out[name] = found
                    progress = True
            self._render_late_chunks()

    def _dispatch(self, index: int, name: str, html: str) -> None:
        self.queue.append((index, name, html))
        self.dispatched.add(name)

    def _render_late_chunks(self) -> None:
        """The glossary and the index list pages of the parts; the contents list those and
        where the glossary and the index start."""
        if not all(c.name in self.laid_out for c in self.plan if c.kind == "parts"):
            return
        back = [c for c in self.plan if c.kind in ("glossary", "index")]
        if any(c.name not in self.html for c in back):
            pages = print_pages(list(self.laid_out.values()))
            for chunk in back:
                self.html.setdefault(chunk.name, chunk.html(self.book, pages))
        front = self.plan[0]
        firsts = {c.kind: self.first_page(self.plan.index(c)) for c in back}
        if front.name not in self.html and None not in firsts.values():
            pages = print_pages(list(self.laid_out.values()))
            pages.page_of.update(firsts)
            self.html[front.name] = front.html(self.book, pages)

    def first_page(self, index: int) -> int | None:
        if index == 0:
            return 1
        return self.pagination.first_page(index)

    def paginated(self, index: int, name: str, count: int) -> None:
        if name == self.FRONT_DRY:
            self.front_count = count
            self.pagination.counts[self.plan[0].name] = count
            if self.cache is not None:
                self.cache.store_page_count(self.dry_html, count)
            return
        if name in self.assumed and self.assumed[name] != count:
            raise _StaleCache(f"{name} has {count} pages, the cache said {self.assumed[name]}")
        if index == 0:
            if count != self.front_count:
                raise _FrontMoved(count, self.front_count)
        else:
            self.pagination.counts[name] = count

    def done(self, name: str, result: LaidOutChunk) -> None:
        if name == self.FRONT_DRY:
            return
        if self.cache is not None and not result.refused:
            self.cache.store_laid_out(self.html[name], result)
        self.laid_out[name] = result

    def finished(self) -> bool:
        return len(self.laid_out) == len(self.plan)

    def results(self) -> list[LaidOutChunk]:
        return [self.laid_out[chunk.name] for chunk in self.plan]

    def why(self) -> str:
        missing = [c.name for c in self.plan if c.name not in self.pagination.counts]
        return "not paginated: " + ", ".join(missing)
