"""One sanitiser for everything an author writes that becomes HTML.

Chapters, footnotes, titles, glossary definitions: the reader parses each into
markdown-it tokens, and `sanitise_tokens` walks every one of them before anything is
rendered. The same allow-list judges

* every attribute of every token, whatever made it: block attributes `{#id lang=ar}`,
  inline attributes `[text]{lang=en}`, and the attributes Markdown itself gives links,
  images, lists and table cells (so a plugin added later is covered without a change
  here). Attributes a plugin set aside as unsafe (`meta["insecure_attrs"]`) are judged
  too: refused with a located error, or kept if the list allows them, never dropped;
* every tag of raw HTML, which is parsed and written out again as well-formed XHTML
  (`<br>` becomes `<br/>`, `&` becomes `&amp;`). Raw tags must be closed where they are
  opened (a paragraph, or for block tags the part), not across Markdown's own markup.

It also enforces a nesting limit (WeasyPrint and lxml recurse; markdown-it silently
drops what lies beyond its own limit of 20) and the id rule: an id the author gives
must not be one the builder makes (see `RESERVED_ID`).

Plain-text fields (book.yaml, glossary terms and expansions) are not HTML: they are
escaped by the templates; `check_plain_text` refuses tags and control characters in them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from markdown_it.token import Token

from ..errors import Problems, shorten

# Tags an author may write as raw HTML: inline phrasing and simple blocks, nothing active.
PHRASING_TAGS = frozenset(
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
        "em",
        "i",
        "ins",
        "kbd",
        "mark",
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
    ]
)
BLOCK_TAGS = frozenset(["blockquote", "div", "figcaption", "figure", "p"])
ALLOWED_TAGS = PHRASING_TAGS | BLOCK_TAGS
FORBIDDEN_TAGS = frozenset(
    [
        "script",
        "iframe",
        "object",
        "embed",
        "style",
        "form",
        "input",
        "button",
        "link",
        "meta",
        "base",
        "frame",
        "frameset",
        "applet",
        "audio",
        "video",
        "source",
        "track",
        "canvas",
        "svg",
        "math",
        "template",
        "noscript",
        "textarea",
        "select",
        "option",
        "portal",
    ]
)
VOID_TAGS = frozenset(["br", "wbr"])

# Deeper than this, nesting is a mistake: lists in lists in quotes sixteen deep, or
# spans in spans. markdown-it stops parsing (and drops the text) at 20 levels, and the
# layout recurses once per level.
MAX_DEPTH = 16

# Ids the builder makes: the sections of the book (titlepage, contents, glossary-title,
# bibliography, the web edition's main and search, …), the parts (preface, front2, ch3
# and ch3-part, ch3-2, ch3-b7, app1), and the anchors of terms, index marks, notes,
# glossary entries, figures, tables and print pages. An
# author's id may not look like one of them (tests/test_sanitise.py renders a book with
# every construct and checks that every id the builder made matches this).
RESERVED_ID = re.compile(
    r"^(?:"
    r"(?:cover|titlepage|imprint|contents|landmarks|page-list|glossary|index|preface"
    r"|bibliography|footnotes|main|search|site-search|oic)(?:-.*)?"
    r"|(?:ch|front|app)\d+(?:-.*)?"
    r"|(?:t|ix|fn|fnref|g|fig|tab|table|figure|page|pg|note|bib|ref)-.*"
    r")$",
    re.IGNORECASE,
)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
MAX_ID = 64
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,4}$")
_ALIGNMENT = re.compile(r"^text-align:(?:left|right|center)$")
_DATETIME = re.compile(r"^[0-9T:+.Z -]{1,40}$")
MAX_ATTRIBUTE = 300
MAX_URL = 2048  # the longest address browsers and servers commonly accept

# Characters that XML 1.0 cannot carry at all (C0 controls but tab and newline,
# U+FFFE/U+FFFF), and C1 controls, which are never typed on purpose.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_TAG_LIKE = re.compile(r"</?[A-Za-z][^<>]*>|<!--")


@dataclass
class Site:
    """Where problems go: a file, the line being walked, and the problem list."""

    path: Path
    problems: Problems
    line: int = 1
    too_deep: bool = False  # nesting limit passed: reported once, and no "never closed"

    def error(self, code: str, message: str, line: int | None = None) -> None:
        if code == "H007" and self.too_deep:
            return
        self.problems.error(code, self.path, line or self.line, message)

    def nested_too_deep(self, what: str) -> None:
        if not self.too_deep:
            self.error("M007", f"{what} nested more than {MAX_DEPTH} levels deep")
        self.too_deep = True


# --- attributes ---------------------------------------------------------------------


def _check_id(tag: str, value: str, site: Site) -> bool:
    if len(value) > MAX_ID or not _ID.match(value):
        site.error(
            "I003",
            f"id '{shorten(value, 40)}' must be ASCII letters, digits, '-' or '_', "
            f"start with a letter, and be at most {MAX_ID} characters",
        )
        return False
    if RESERVED_ID.match(value):
        site.error("I003", f"id '{value}' is reserved for the builder; choose another")
        return False
    return True


def _value_rule(pattern: re.Pattern[str], what: str) -> Callable[[str, str, str, Site], bool]:
    def check(tag: str, name: str, value: str, site: Site) -> bool:
        if pattern.match(value):
            return True
        site.error("H006", f"{name}='{shorten(value, 40)}' is not {what}")
        return False

    return check


def _tags_rule(tags: frozenset[str]) -> Callable[[str, str, str, Site], bool]:
    def check(tag: str, name: str, value: str, site: Site) -> bool:
        if tag in tags:
            return True
        site.error("H004", f"HTML attribute '{name}' is not allowed on <{tag}>")
        return False

    return check


def _any_text(tag: str, name: str, value: str, site: Site) -> bool:
    return True


def _alignment(tag: str, name: str, value: str, site: Site) -> bool:
    # Only the column alignment Markdown tables write; an author's style would reach the
    # layout (fonts of the machine, hidden text).
    if _ALIGNMENT.match(value.replace(" ", "")):
        return True
    site.error("H004", f"HTML attribute '{name}' is not allowed")
    return False


def _link(tag: str, name: str, value: str, site: Site) -> bool:
    if not _tags_rule(frozenset(["a", "img"]))(tag, name, value, site):
        return False
    scheme = re.sub(r"[\x00-\x20]", "", value).split(":", 1)[0].lower()
    if ":" in value and scheme in ("javascript", "vbscript"):
        site.error("H005", "javascript: URLs are not allowed")
        return False
    return True  # where it points is checked by lint.check_target


ATTRIBUTE_RULES: dict[str, Callable[[str, str, str, Site], bool]] = {
    "id": lambda tag, name, value, site: _check_id(tag, value, site),
    "lang": _value_rule(_LANGUAGE, "a language tag such as 'en' or 'ar'"),
    "xml:lang": _value_rule(_LANGUAGE, "a language tag such as 'en' or 'ar'"),
    "dir": _value_rule(re.compile(r"^(?:ltr|rtl|auto)$"), "ltr, rtl or auto"),
    "title": _any_text,
    "alt": _tags_rule(frozenset(["img"])),
    "href": _link,
    "src": _link,
    "datetime": _tags_rule(frozenset(["time"])),
    "start": _value_rule(re.compile(r"^\d{1,9}$"), "a number"),
    "style": _alignment,
}


def check_attribute(tag: str, name: str, value: object, site: Site) -> bool:
    """Whether an attribute may appear in the book; records why not (H003–H006, I003)."""
    name = name.lower()
    if name.startswith("on"):
        site.error("H003", f"event attribute '{shorten(name, 40)}' is not allowed")
        return False
    rule = ATTRIBUTE_RULES.get(name)
    if rule is None:
        site.error("H004", f"HTML attribute '{shorten(name, 40)}' is not allowed")
        return False
    text = "" if value is None else str(value)
    limit = MAX_URL if name in ("href", "src") else MAX_ATTRIBUTE
    if len(text) > limit:
        site.error("H006", f"{name} is longer than {limit} characters")
        return False
    if CONTROL.search(text):
        site.error("H006", f"{name} holds a control character")
        return False
    return rule(tag, name, text, site)


def _check_token_attributes(token: Token, site: Site, ids: list[tuple[str, int]]) -> None:
    """Judge a token's attributes, and those a plugin set aside, with the one list."""
    if not token.attrs and not (token.meta and "insecure_attrs" in token.meta):
        return  # most tokens: nothing to judge
    tag = token.tag or token.type
    refused = []
    for name, value in list(token.attrs.items()):
        if not check_attribute(tag, name, value, site):
            del token.attrs[name]
            refused.append(name)
        elif name == "id":
            ids.append((str(value), site.line))
    set_aside = (token.meta or {}).pop("insecure_attrs", None) or {}
    for name, value in set_aside.items():
        if check_attribute(tag, name, value, site):
            token.attrs[name] = value
            if name == "id":
                ids.append((str(value), site.line))
        else:
            refused.append(name)
    if refused:  # reported here; later rules must not report them as missing
        token.meta = {**(token.meta or {}), "refused_attrs": refused}


@dataclass
class Sanitised:
    """What the walk found that the reader needs: author ids with their lines."""

    ids: list[tuple[str, int]] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)  # raw <a href="#id">


# --- raw HTML -------------------------------------------------------------------------


@dataclass
class _Open:
    """An element open on a stack: a raw tag (with its line) or Markdown's own."""

    tag: str
    line: int
    raw: bool


class _RawHTML(HTMLParser):
    """Parses one piece of raw HTML and writes it out again as XHTML, judging each tag."""

    def __init__(self, site: Site, stack: list[_Open], inline: bool, found: Sanitised) -> None:
        super().__init__(convert_charrefs=True)
        self.site, self.stack, self.inline, self.found = site, stack, inline, found
        self.out: list[str] = []
        self.skipping = 0  # inside a forbidden element: its content is not written

    def handle_starttag(self, tag, attrs, closed=False):
        site = self.site
        if tag in FORBIDDEN_TAGS:
            site.error("H001", f"<{tag}> is not allowed in the manuscript")
            if not closed and tag not in VOID_TAGS:
                self.skipping += 1
            return
        if tag == "img":
            # An image is a file the builder checks and packages: the Markdown form only.
            site.error("H002", '<img> is not supported; write ![alt text](path "Caption")')
            return
        if tag not in ALLOWED_TAGS:
            site.error("H002", f"HTML tag <{shorten(tag, 30)}> is not in the allowed list")
            return
        if self.inline and tag in BLOCK_TAGS:
            site.error("H007", f"<{tag}> is a block; it cannot be inside a paragraph")
            return
        kept = []
        seen = set()
        for name, value in attrs:
            if name in seen:
                site.error("H006", f"attribute '{shorten(name, 30)}' is given twice")
                continue
            seen.add(name)
            if check_attribute(tag, name, value, site):
                kept.append((name, value or ""))
                if name == "id":
                    self.found.ids.append((value or "", site.line))
                elif name == "href" and (value or "").startswith("#"):
                    self.found.links.append((unquote(value[1:]), site.line))
        if tag == "a":
            from .lint import check_target

            for name, value in kept:
                if name in ("href", "src") and value:
                    check_target(value, name == "src", site.path, site.line, site.problems, "x")
        if self.skipping:
            return
        written = "".join(f' {name}="{html.escape(value)}"' for name, value in kept)
        if tag in VOID_TAGS:
            self.out.append(f"<{tag}{written}/>")
            return
        self.out.append(f"<{tag}{written}>")
        if closed:
            self.out.append(f"</{tag}>")
            return
        self.stack.append(_Open(tag, site.line, True))
        if len(self.stack) > MAX_DEPTH:
            site.nested_too_deep("HTML")
            raise _TooDeep

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        if tag in FORBIDDEN_TAGS:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag not in ALLOWED_TAGS or (self.inline and tag in BLOCK_TAGS):
            return  # reported at its start tag
        if tag in VOID_TAGS:
            if tag == "br" and not self.skipping:  # `</br>` is read as `<br>`
                self.out.append("<br/>")
            return
        if self.stack and self.stack[-1].raw and self.stack[-1].tag == tag:
            self.stack.pop()
            if not self.skipping:
                self.out.append(f"</{tag}>")
            return
        if any(o.raw and o.tag == tag for o in self.stack):
            inner = self.stack[-1]
            self.site.error(
                "H007",
                f"</{tag}> closes across <{inner.tag}> (line {inner.line}); "
                "close the inner one first",
            )
        else:
            self.site.error("H007", f"</{tag}> closes nothing that is open")

    def handle_data(self, data):
        if match := CONTROL.search(data):  # from an entity: &#1;
            self.site.error("E005", f"control character U+{ord(match[0]):04X} in HTML")
            data = CONTROL.sub("", data)
        if not self.skipping:
            self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data):
        pass  # a comment is meant to be invisible: it is left out of the book

    def handle_decl(self, decl):
        self.site.error("H002", f"<!{shorten(decl, 30)}> is not allowed in the manuscript")

    def handle_pi(self, data):
        self.site.error("H002", f"<?{shorten(data, 30)}> is not allowed in the manuscript")

    def unknown_decl(self, data):
        self.site.error("H002", f"<![{shorten(data, 30)}]> is not allowed in the manuscript")


class _TooDeep(Exception):
    """Raised out of the HTML parser once the nesting limit is passed (reported)."""


_UNCLOSED_COMMENT = re.compile(r"<!--(?:(?!-->).)*\Z", re.DOTALL)


def _rewrite(content: str, site: Site, stack: list[_Open], inline: bool, found) -> str:
    if _UNCLOSED_COMMENT.search(content):
        # Markdown hides everything after it, to the end of the file: refused, not lost.
        site.error("H007", "an HTML comment <!-- is never closed with -->")
    parser = _RawHTML(site, stack, inline, found)
    try:
        parser.feed(content)
        parser.close()
    except _TooDeep:
        return ""
    return "".join(parser.out)


# --- the walk -------------------------------------------------------------------------


def sanitise_tokens(tokens: list[Token], path: Path, problems: Problems) -> Sanitised:
    """Judge and rewrite, in place, every token of one file (see the module's doc).

    Inline children must carry `meta["line"]` (the reader numbers them first).
    """
    site = Site(path, problems)
    found = Sanitised()
    block_stack: list[_Open] = []
    for token in tokens:
        site.line = token.map[0] + 1 if token.map else site.line
        if token.level >= MAX_DEPTH:
            site.nested_too_deep("lists or quotes")
        _check_token_attributes(token, site, found.ids)
        if token.nesting == 1:
            if block_stack and block_stack[-1].raw and block_stack[-1].tag in PHRASING_TAGS:
                opened = block_stack[-1]
                site.error(
                    "H007",
                    f"<{opened.tag}> (line {opened.line}) must be closed before this block",
                )
                block_stack.pop()
            block_stack.append(_Open(token.tag or token.type, site.line, False))
        elif token.nesting == -1:
            _close_markdown(block_stack, site)
        elif token.type == "html_block":
            token.content = _rewrite(token.content, site, block_stack, False, found)
        elif token.type == "inline" and token.children:
            _sanitise_inline(token.children, site, found)
    for opened in block_stack:
        if opened.raw:
            site.error("H007", f"<{opened.tag}> is never closed", opened.line)
    return found


# The layout's time grows with the cube of a word's length (no place to break it: 1,000
# characters take 2 s, 3,000 take 34 s, 20,000 hours). No word of a book is this long;
# addresses are (https://…, broken at their slashes), and code is set as it is.
MAX_WORD = 200
# A "word" runs from one breakable space to the next: a no-break space (U+00A0, U+202F,
# U+2007, U+2060) joins words into one.
_LONG_WORD = re.compile(
    rf"[^ \t\n\u1680\u2000-\u2006\u2008-\u200b\u205f\u3000]{{{MAX_WORD + 1},}}"
)
_ADDRESS = re.compile(r"^(?:https?://|www\.|mailto:)", re.IGNORECASE)


def _check_words(children: list[Token], site: Site) -> None:
    """Prose whose words are all breakable (the text of one paragraph, title, note)."""
    text = "".join(
        c.content if c.type == "text" and not (c.meta or {}).get("url") else " "
        for c in children
    )
    for match in _LONG_WORD.finditer(text):
        if not _ADDRESS.match(match[0]):
            site.error(
                "M007",
                f"a word of {len(match[0])} characters with no breakable space "
                f"(the limit is {MAX_WORD}): {shorten(match[0], 30)}",
            )
            return


def _sanitise_inline(children: list[Token], site: Site, found: Sanitised) -> None:
    _check_words(children, site)
    stack: list[_Open] = []
    for child in children:
        site.line = (child.meta or {}).get("line", site.line)
        _check_token_attributes(child, site, found.ids)
        if child.nesting == 1:
            stack.append(_Open(child.tag or child.type, site.line, False))
        elif child.nesting == -1:
            _close_markdown(stack, site)
        elif child.type == "html_inline":
            child.content = _rewrite(child.content, site, stack, True, found)
        if len(stack) >= MAX_DEPTH:
            site.nested_too_deep("inline markup")
    for opened in stack:
        if opened.raw:
            site.error("H007", f"<{opened.tag}> is never closed in its paragraph", opened.line)


def _close_markdown(stack: list[_Open], site: Site) -> None:
    """Markdown closes its element: any raw tag still open inside it is unclosed."""
    while stack and stack[-1].raw:
        opened = stack.pop()
        site.error("H007", f"<{opened.tag}> is never closed inside its block", opened.line)
    if stack:
        stack.pop()


def check_well_formed(fragment: str, path: Path, line: int, problems: Problems) -> bool:
    """The last guard: what the reader made of a file is well-formed XHTML (the EPUB is
    XML; a mistake that slipped past the rules above is reported here, at the file,
    instead of breaking the build)."""
    try:
        ElementTree.fromstring(f"<root>{fragment}</root>")
    except ElementTree.ParseError as exc:
        problems.error(
            "H007", path, line, f"the text cannot be written as XHTML ({shorten(str(exc), 80)})"
        )
        return False
    return True


# --- plain text ----------------------------------------------------------------------


def check_plain_text(value: str, name: str, path: Path, line: int, problems: Problems) -> bool:
    """A plain-text field (book.yaml, glossary term): no HTML, no control characters."""
    ok = True
    if match := _TAG_LIKE.search(value):
        problems.error(
            "H002",
            path,
            line,
            f"'{name}' is plain text: HTML such as {shorten(match[0], 30)} is not allowed",
        )
        ok = False
    if match := CONTROL.search(value):
        problems.error(
            "E005", path, line, f"'{name}' holds the control character U+{ord(match[0]):04X}"
        )
        ok = False
    return ok
