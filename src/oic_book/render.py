"""One Jinja2 template set → the print HTML and the EPUB's XHTML documents.

Per-output differences live in the templates (the `output` flag and `macros.html`) and in
the CSS layers; this module only supplies the context: labels, link targets and, once
the print edition has been laid out, its page numbers.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from typing import Literal

import jinja2
from markupsafe import Markup

from . import fonts
from .kazakh import locale
from .manuscript.reader import breakable_url, shown_address
from .model import Book, Heading, IndexEntry, Occurrence, Part

Output = Literal["print", "epub"]

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


def make_environment() -> jinja2.Environment:
    """The single Jinja environment: package templates, autoescape on, strict names."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oic_book", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    # A web address as text that breaks only at <wbr/> points (never with a hyphen).
    env.filters["url"] = lambda url: Markup(breakable_url(str(url)))
    return env


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
        self.numbers = book.numbers()
        timestamp = dt.datetime.fromtimestamp(book.config.build_timestamp(), dt.UTC)
        self.context = {
            "book": book,
            "output": output,
            "labels": self.labels,
            "macros": self.macros,
            "placeholder": f"[{self.labels['placeholder']}]",
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
            "toc": lambda part: toc_entries(part.headings, book.config.toc_depth),
            "stylesheets": [],
        }

    def href(self, target: str) -> str:
        """A link to an id: in-document for print, document#id for the EPUB."""
        if self.output == "print":
            return f"#{target}"
        doc = self.doc_of.get(target)
        if doc is None:
            return f"#{target}"
        return doc if doc == f"{target}.xhtml" else f"{doc}#{target}"

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
        """Page references of an index entry; one link per occurrence before layout."""
        if self.pages.page_of:
            return merge_pages(entry.occurrences, self.pages.page_of)
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
            title = f"{labels['chapter'].format(n=part.number)}. {part.title}"
        body_type = "bodymatter" if part.kind == "chapter" else "frontmatter"
        docs.append(document(f"{part.slug}.xhtml", title, "part", body_type, part=part))
    if book.glossary:
        docs.append(document("glossary.xhtml", labels["glossary"], "glossary", "backmatter"))
    if book.index:
        docs.append(document("index.xhtml", labels["index"], "index", "backmatter"))
    return docs
