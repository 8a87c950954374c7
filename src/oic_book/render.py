"""One Jinja2 template set → the print HTML, the EPUB's XHTML and the web edition's pages.

Per-output differences live in the templates (the `output` flag and `macros.html`) and in
the CSS layers; this module only supplies the context: labels, link targets and, once
the print edition has been laid out, its page numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from dataclasses import dataclass, field
from typing import Literal

import jinja2
from markupsafe import Markup

from . import fonts
from .kazakh import locale
from .manuscript.reader import breakable_url, escape_text, shown_address
from .model import Book, Heading, IndexEntry, Occurrence, Part

Output = Literal["print", "epub", "web"]

_PLACEHOLDER = re.compile(
    # The word before a note call comes with it: the call must never begin a line.
    r'(?P<word>(?:<span class="nohyph">[^<>]*</span>)?[^\s<>]*)'
    r'<oic-note label="(?P<label>[^"]*)"></oic-note>'
    r'|<oic-term key="(?P<key>[^"]*)" id="(?P<tid>[^"]*)"(?P<first> first="1")?>(?P<ttext>.*?)</oic-term>'
    r'|<oic-index id="(?P<iid>[^"]*)">(?P<itext>.*?)</oic-index>'
    r'|<oic-number kind="(?P<nkind>[a-z]+)" ref="(?P<nref>[^"]*)"></oic-number>'
    r'|<oic-url href="(?P<url>[^"]*)"></oic-url>'
    r'|src="oic-image:(?P<image>[^"]*)"'
    r'|href="#(?P<href>[^"]*)"',
    re.DOTALL,
)


@dataclass(frozen=True)
class PageRef:
    """A page of the print edition that an index entry or glossary use points to."""

    label: str  # "12" or "12–14"
    anchor: str  # the first occurrence on that page


@dataclass(frozen=True)
class PageMarker:
    """Where a printed page begins, for the EPUB's page-list."""

    label: str
    href: str


@dataclass(frozen=True)
class PageStart:
    """Where a printed page begins: a block (by id) and the words the page starts with."""

    number: int
    doc: str  # EPUB document holding the block
    block_id: str
    words: str  # the page's first words, white space collapsed


@dataclass(frozen=True)
class PrintPages:
    """What the print layout tells the other outputs: the page of every anchor."""

    page_of: dict[str, int] = field(default_factory=dict)
    markers: tuple[PageMarker, ...] = ()
    starts: tuple[PageStart, ...] = ()  # every printed page that carries text


@dataclass(frozen=True)
class Document:
    """One XHTML document of the EPUB."""

    name: str  # file name inside the EPUB, e.g. "ch1.xhtml"
    title: str
    xhtml: str
    properties: tuple[str, ...] = ()


_URL_IN_TEXT = re.compile(r"https?://[^\s<>«»]*[^\s<>«».,;:)]")


def linkify_text(text: str) -> str:
    """Escaped text whose http(s) addresses are links that break at <wbr/> points."""
    out, last = [], 0
    for match in _URL_IN_TEXT.finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        href = html.escape(match[0])
        out.append(f'<a class="url" href="{href}">{breakable_url(match[0])}</a>')
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


@functools.cache
def make_environment() -> jinja2.Environment:
    """The single Jinja environment: package templates, autoescape on, strict names.

    One per process: it keeps the compiled templates, which cost more than rendering a
    short book (the live preview renders the web edition on every save)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oic_book", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    # A web address as text that breaks only at <wbr/> points (never with a hyphen).
    env.filters["url"] = lambda url: Markup(breakable_url(str(url)))
    # Plain text whose web addresses become links (the imprint's credits, from book.yaml).
    env.filters["linkify"] = lambda text: Markup(linkify_text(str(text)))
    env.filters["second_copy"] = second_copy
    # Plain text as the body sets it: a run of Arabic marked lang="ar" dir="rtl".
    env.filters["text"] = lambda text: Markup(escape_text(str(text)))
    return env


_ID_ATTRIBUTE = re.compile(r'\sid="[^"]*"')


def second_copy(html: str) -> Markup:
    """Markup shown a second time on the same page (the web edition's side notes): without
    its ids, which must stay unique, and with its links out of the keyboard's tab order."""
    return Markup(_ID_ATTRIBUTE.sub("", str(html)).replace("<a ", '<a tabindex="-1" '))


def document_names(book: Book) -> dict[str, str]:
    """Map every id that a link can target to the EPUB document that holds it."""
    names: dict[str, str] = {
        "titlepage": "titlepage.xhtml",
        "imprint": "imprint.xhtml",
        "contents": "nav.xhtml",
        "glossary": "glossary.xhtml",
        "index": "index.xhtml",
    }
    for part in book.parts:
        doc = f"{part.slug}.xhtml"
        names[part.slug] = doc
        names.update({h.id: doc for h in part.headings})
        names.update({n.id: doc for n in part.footnotes})
        names.update({n.ref_id: doc for n in part.footnotes})
        names.update({t.anchor: doc for t in part.terms})
        names.update({m.anchor: doc for m in part.index_marks})
    names.update({entry.key: "glossary.xhtml" for entry in book.glossary})
    return names


def merge_pages(occurrences: tuple[Occurrence, ...], page_of: dict[str, int]) -> list[PageRef]:
    """Index page references: one per page, consecutive pages merged into a range."""
    pages: dict[int, str] = {}
    for occurrence in occurrences:
        page = page_of.get(occurrence.anchor)
        if page is not None:
            pages.setdefault(page, occurrence.anchor)
    refs: list[PageRef] = []
    run: list[int] = []
    for page in sorted(pages):
        if run and page != run[-1] + 1:
            refs.append(_range_ref(run, pages))
            run = []
        run.append(page)
    if run:
        refs.append(_range_ref(run, pages))
    return refs


def _range_ref(run: list[int], pages: dict[int, str]) -> PageRef:
    label = str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}"
    return PageRef(label, pages[run[0]])


@dataclass(frozen=True)
class TocEntry:
    """A heading in the contents, with the headings under it."""

    heading: Heading
    children: tuple[TocEntry, ...]


def toc_entries(headings: tuple[Heading, ...], depth: int) -> tuple[TocEntry, ...]:
    """The headings of a part down to level `depth` (book.yaml `toc_depth`), nested.

    The contents, the EPUB nav and (through print CSS) the PDF outline all use this depth.
    """
    root: list = []
    stack: list[tuple[int, list]] = [(1, root)]
    for heading in headings:
        if heading.level > depth:
            continue
        while len(stack) > 1 and stack[-1][0] >= heading.level:
            stack.pop()
        children: list = []
        stack[-1][1].append((heading, children))
        stack.append((heading.level, children))

    def freeze(items) -> tuple[TocEntry, ...]:
        return tuple(TocEntry(heading, freeze(children)) for heading, children in items)

    return freeze(root)


def fonts_credit(book: Book) -> str:
    """The imprint's line naming the shipped fonts ('' for a project without styles)."""
    if not (book.config.styles_dir / fonts.FACES_STYLESHEET).is_file():
        return ""
    names = fonts.font_names(book.config.styles_dir.resolve())
    return locale.format("fonts_credit", fonts=locale.join_names(names))


class Renderer:
    """Renders the book for one output with the shared templates."""

    def __init__(self, book: Book, output: Output, pages: PrintPages | None = None) -> None:
        self.book = book
        self.output = output
        self.pages = pages or PrintPages()
        self.env = make_environment()
        self.labels = locale.labels()
        self.doc_of = document_names(book)
        self.macros = self.env.get_template("macros.html").make_module({"labels": self.labels})
        self.notes = {n.label: n for part in book.parts for n in part.footnotes}
        self.part_of = {f"{part.slug}.xhtml": part for part in book.parts}
        self.numbers = book.numbers()
        timestamp = dt.datetime.fromtimestamp(book.config.build_timestamp(), dt.UTC)
        self.context = {
            "book": book,
            "output": output,
            "labels": self.labels,
            "macros": self.macros,
            "date_kk": locale.format_date(book.config.date),
            "fonts_credit": fonts_credit(book),
            "timestamp_iso": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "href": self.href,
            "expand": self.expand,
            "first_uses": self.first_uses,
            "page_of": self.page_of,
            "print_page": self.print_page,
            "index_refs": self.index_refs,
            "page_list": self.pages.markers,
            "ref_label": self.ref_label,
            "toc": lambda part: toc_entries(part.headings, book.config.toc_depth),
            "stylesheets": [],
        }

    def href(self, target: str) -> str:
        """A link to an id: in-document for print, document#id for the EPUB and the web."""
        if self.output == "print":
            return f"#{target}"
        doc = self.doc_of.get(target)
        if doc is None:
            return f"#{target}"
        name = web_name(doc) if self.output == "web" else doc
        return name if doc == f"{target}.xhtml" else f"{name}#{target}"

    def ref_label(self, anchor: str) -> str:
        """The text of a link to a place in the book: its printed page if known, else (the
        web edition before the PDF is laid out) the chapter that holds it."""
        page = self.page_of(anchor)
        if page:
            return page
        part = self.part_of.get(self.doc_of.get(anchor, ""))
        if part is None:
            return ""
        return self.labels[part.kind].format(n=part.number) if part.number else part.title

    def page_of(self, anchor: str) -> str:
        """The printed page of an anchor, as text ('' before the layout is known)."""
        page = self.pages.page_of.get(anchor)
        return "" if page is None else str(page)

    def print_page(self, anchor: str) -> Markup:
        """` data-page="N"` on a print link whose page is known, else nothing.

        print.css shows it where the whole book, laid out at once, would compute it with
        `target-counter()`: a book laid out in chunks knows its page numbers beforehand.
        """
        page = self.page_of(anchor) if self.output == "print" else ""
        return Markup(' data-page="{}"').format(page) if page else Markup("")

    def first_uses(self, key: str) -> list[Occurrence]:
        """The first use of a glossary term in each part: the pages its entry lists."""
        return [
            Occurrence(part.slug, use.anchor)
            for part in self.book.parts
            for use in part.terms
            if use.key == key and use.first_in_part
        ]

    def index_refs(self, entry: IndexEntry) -> list[PageRef]:
        """Page references of an index entry; one link per occurrence before layout (the
        web edition, which has no pages then, links to the first occurrence in each part,
        labelled with the part)."""
        if self.pages.page_of:
            return merge_pages(entry.occurrences, self.pages.page_of)
        if self.output == "web":
            first = {occ.part: occ.anchor for occ in reversed(entry.occurrences)}
            return [
                PageRef(self.ref_label(a), a)
                for a in dict.fromkeys(first[occ.part] for occ in entry.occurrences)
            ]
        return [PageRef("", occ.anchor) for occ in entry.occurrences]

    def expand(self, body_html: str) -> Markup:
        """Replace the model's placeholder elements with this output's markup."""

        def replace(match: re.Match[str]) -> str:
            if match["label"] is not None:
                note = self.notes[html.unescape(match["label"])]
                call = str(self.macros.noteref(note, self.output, self.expand))
                if not match["word"]:
                    return call
                return f'<span class="noteword">{match["word"]}{call}</span>'
            if match["key"] is not None:
                return str(
                    self.macros.term(
                        match["key"],
                        match["tid"],
                        bool(match["first"]),
                        Markup(match["ttext"]),
                        self.output,
                        self.href,
                    )
                )
            if match["iid"] is not None:
                return str(self.macros.index_mark(match["iid"], Markup(match["itext"])))
            if match["nkind"] is not None:
                number = self.numbers.get(match["nref"], 0)
                return html.escape(self.labels[match["nkind"]].format(n=number))
            if match["url"] is not None:
                address = shown_address(html.unescape(match["url"]))
                return str(
                    self.macros.link_address(Markup(breakable_url(address)), self.output)
                )
            if match["image"] is not None:
                if self.output == "print":
                    return match[0]  # the print fetcher reads oic-image: (editions/pdf.py)
                return f'src="images/{match["image"]}"'
            return f'href="{self.href(match["href"])}"'

        return Markup(_PLACEHOLDER.sub(replace, body_html))

    def render(self, template: str, **extra: object) -> str:
        """Render one template with the shared context."""
        return self.env.get_template(template).render({**self.context, **extra})


PRINT_SECTIONS = ("front", "glossary", "index")


def render_print_html(
    book: Book,
    pages: PrintPages | None = None,
    sections: tuple[str, ...] = PRINT_SECTIONS,
    parts: tuple[Part, ...] | None = None,
) -> str:
    """The print edition as one HTML document, all but the index.

    A chunk of it (editions/chunks.py) has only some of `PRINT_SECTIONS` and `parts`,
    and, once the book's page numbers are known, `pages`.
    """
    parts = book.parts if parts is None else parts
    return Renderer(book, "print", pages).render("book.html", sections=sections, parts=parts)


def render_print_runs(book: Book, runs: list[tuple[Part, ...]]) -> list[str]:
    """The print HTML of each run of parts (a chunk of the layout each, editions/chunks),
    rendered with one renderer: making one compiles the templates."""
    renderer = Renderer(book, "print")
    return [renderer.render("book.html", sections=(), parts=run) for run in runs]


def render_print_index(book: Book, page_of: dict[str, int]) -> str:
    """The print edition's index, with the page numbers of the laid-out book."""
    return Renderer(book, "print", PrintPages(page_of=page_of)).render("print_index.html")


EPUB_STYLESHEETS = ["styles/base.css", "styles/epub.css"]
WEB_STYLESHEETS = ["styles/base.css", "styles/web.css"]

# The web edition's pages are named after the EPUB's documents, except these: the title
# page and the contents make its home page, and the index must not be taken for it.
_WEB_NAMES = {
    "titlepage.xhtml": "index.html",
    "nav.xhtml": "index.html",
    "index.xhtml": "index-of-names.html",
}


def web_name(doc: str) -> str:
    """The web page that holds what the EPUB document `doc` holds."""
    return _WEB_NAMES.get(doc) or doc.removesuffix(".xhtml") + ".html"


def render_epub_documents(book: Book, pages: PrintPages | None = None) -> list[Document]:
    """Every XHTML document of the EPUB, in reading order (the nav included)."""
    renderer = Renderer(book, "epub", pages)
    labels = renderer.labels

    def document(name, title, section, body_type, properties=(), head_title=None, **extra):
        xhtml = renderer.render(
            "document.html",
            section_template=f"sections/{section}.html",
            doc_title=head_title or title,
            body_type=body_type,
            stylesheets=EPUB_STYLESHEETS,
            **extra,
        )
        return Document(name, title, xhtml, properties)

    docs = [
        document("cover.xhtml", labels["cover"], "cover", "cover"),
        document(
            "titlepage.xhtml",
            labels["title_page"],
            "titlepage",
            "frontmatter",
            head_title=book.config.title,
        ),
        document("imprint.xhtml", labels["imprint"], "imprint", "frontmatter"),
        document("nav.xhtml", labels["contents"], "contents", "frontmatter", ("nav",)),
    ]
    for part in book.parts:
        title = part.title
        if part.number:
            title = f"{labels[part.kind].format(n=part.number)}. {part.title}"
        body_type = {"chapter": "bodymatter", "front": "frontmatter"}.get(
            part.kind, "backmatter"
        )
        docs.append(document(f"{part.slug}.xhtml", title, "part", body_type, part=part))
    if book.glossary:
        docs.append(document("glossary.xhtml", labels["glossary"], "glossary", "backmatter"))
    if book.index:
        docs.append(document("index.xhtml", labels["index"], "index", "backmatter"))
    return docs


def render_web_pages(
    book: Book,
    pages: PrintPages | None = None,
    downloads: dict[str, str] | None = None,
    memo: dict | None = None,
) -> list[Document]:
    """Every page of the web edition: the reading order first (each with previous/next
    links), then the pages outside it (the print pages, search).

    `downloads` maps a label's key ("download_pdf") to the file the site offers. `memo`,
    kept by the live preview between two saves, holds each page as last rendered, keyed
    by what it is rendered from (`_web_page_key`): only the pages that changed are
    rendered again (a 1,000-page book has 300 pages; a save changes one or a few).
    """
    renderer = Renderer(book, "web", pages)
    downloads = downloads or {}
    fresh: dict = {}
    labels = renderer.labels
    reading: list[tuple[str, str, list[str], dict[str, object]]] = [
        ("index.html", book.config.title, ["titlepage", "contents"], {}),
        ("imprint.html", labels["imprint"], ["imprint"], {}),
    ]
    for part in book.parts:
        title = part.title
        if part.number:
            title = f"{labels[part.kind].format(n=part.number)}. {part.title}"
        reading.append((f"{part.slug}.html", title, ["part"], {"part": part}))
    if book.glossary:
        reading.append(("glossary.html", labels["glossary"], ["glossary"], {}))
    if book.index:
        reading.append((web_name("index.xhtml"), labels["index"], ["index"], {}))
    extra = [("search.html", labels["search"], ["search"], {})]
    if renderer.pages.markers:
        extra.insert(0, ("pages.html", labels["page_list"], ["pagelist"], {}))
    docs = []
    shared = _web_shared_key(book, renderer, downloads) if memo is not None else None
    for number, (name, title, sections, context) in enumerate(reading + extra):
        in_order = number < len(reading)
        previous = reading[number - 1] if in_order and number > 0 else None
        following = reading[number + 1] if number + 1 < len(reading) else None
        key = None
        if memo is not None:
            neighbours = (previous and previous[:2], in_order and following and following[:2])
            key = (
                shared,
                name,
                title,
                neighbours,
                _web_page_key(book, renderer, context, sections),
            )
            if key in memo:
                fresh[key] = memo[key]
                docs.append(memo[key])
                continue
        html = renderer.render(
            "web.html",
            doc_title=title if name == "index.html" else f"{title} · {book.config.title}",
            page_name=name,
            page_title=title,
            sections=[f"sections/{section}.html" for section in sections],
            previous=previous and {"href": previous[0], "title": previous[1]},
            next=following and in_order and {"href": following[0], "title": following[1]},
            downloads=downloads,
            web_pages=[
                {"label": m.label, "href": _web_href(m.href)} for m in renderer.pages.markers
            ],
            stylesheets=WEB_STYLESHEETS,
            **context,
        )
        docs.append(Document(name, title, html))
        if key is not None:
            fresh[key] = docs[-1]
    if memo is not None:
        memo.clear()  # only this version of each page
        memo.update(fresh)
    return docs


def _web_shared_key(book: Book, renderer: Renderer, downloads: dict[str, str]) -> tuple:
    """What every web page shows of the book: its header, footer and navigation."""
    pages = renderer.pages
    return (
        repr(book.config),  # every field of book.yaml (it holds a dict: not hashable)
        bool(book.glossary),
        bool(book.index),
        (tuple(pages.page_of.items()), pages.markers, pages.starts),
        tuple(downloads.items()),
    )


def _web_page_key(book: Book, renderer: Renderer, context: dict, sections: list[str]) -> tuple:
    """What a web page's own sections are rendered from (see `render_web_pages`).

    Parts count by identity: the preview's reader keeps the same (frozen) object for an
    unchanged file, and hashing the content of 300 parts on every save would cost more
    than it saves. The memo's entries keep the parts they were made from (`_Held`), so an
    id cannot be taken by a new object while its entry lives.
    """
    parts = book.parts
    key: list = []
    for section in sections:
        if section == "part":
            part = context["part"]
            # Its links to other parts depend on where their targets are.
            targets = tuple(renderer.doc_of.get(target) for target, _ in part.links)
            key.append((_Held(part), targets))
        elif section == "contents":
            key.append(
                tuple(
                    (
                        p.slug,
                        p.number,
                        p.title,
                        tuple(h.title for h in p.headings if h.level == 2),
                    )
                    for p in parts
                )
            )
        elif section == "glossary":  # the entries, and the first use of each in each part
            uses = tuple(
                (p.slug, tuple(u.anchor for u in p.terms if u.first_in_part)) for p in parts
            )
            key.append((tuple(map(repr, book.glossary)), uses))
        elif section == "index":  # made from the parts' marks
            key.append(
                tuple(
                    (
                        p.slug,
                        p.number,
                        p.title,
                        tuple((m.headword, m.anchor) for m in p.index_marks),
                    )
                    for p in parts
                )
            )
    return tuple(key)


class _Held:
    """A key that compares an object by identity, and holds it (see `_web_page_key`)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Held) and other.value is self.value


def _web_href(epub_href: str) -> str:
    doc, _, fragment = epub_href.partition("#")
    return f"{web_name(doc)}#{fragment}" if fragment else web_name(doc)
