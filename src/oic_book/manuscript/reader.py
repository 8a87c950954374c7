"""Reading the manuscript: book.yaml, Markdown parts and the glossary → `model.Book`.

Markdown is parsed once with markdown-it-py (CommonMark) plus the footnote, MyST role and
block-attribute plugins. Two roles extend CommonMark:

* {term}`ИЫҰ` or {term}`shown text <Term>` — a use of a glossary term;
* {index}`Мысыр` or {index}`Мысырмен <Мысыр>` — an entry of the index of names.

Source lines are kept on everything the author can get wrong.
"""

from __future__ import annotations

import hashlib
import html
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from ..errors import BookError, Problems
from ..kazakh import collation, hyphenation, typography
from ..model import (
    Book,
    Footnote,
    GlossaryEntry,
    Heading,
    IndexEntry,
    IndexMark,
    Occurrence,
    Part,
    TermUse,
)
from ..processes import child_setup, signals_held
from ..project import MANUSCRIPT, read_file
from . import lint
from .config import BookConfig, load_config
from .images import ImageFile
from .sanitise import CONTROL, check_plain_text, check_well_formed, sanitise_tokens
from .sources import LocatedDict, LocatedList, read_text, read_yaml

ROLES = ("term", "index")
_ROLE_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.MULTILINE)

# Kazakh Cyrillic → ASCII for ids (close to the 2021 Latin alphabet, ASCII only).
# fmt: off
_TRANSLIT = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "gh", "д": "d", "е": "e",
    "ё": "yo", "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ng", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
    "ю": "yu", "я": "ya",
}
# fmt: on


def slugify(text: str) -> str:
    """An ASCII id from Kazakh text: stable, readable, and valid in XML and URLs."""
    out = []
    for ch in text.lower():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append("-")
    slug = re.sub(r"-+", "-", "".join(out)).strip("-")
    return slug or "x"


# Arabic script (Arabic, Supplement, Extended-A, Presentation Forms A and B): a run of it,
# spaces and joiners inside included, is marked lang="ar" dir="rtl" wherever it is typed.
ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_ARABIC_RUN = re.compile(rf"[{ARABIC}]+(?:[\s\u00a0\u200c\u200d]+[{ARABIC}]+)*")
RTL_LANGUAGES = frozenset(["ar", "fa", "he", "ps", "ug", "ur", "yi"])
# A BCP 47 tag as authors write them: en, ar, ru, kk-Latn, en-GB.
_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$")


# Closing quotes that end a bare URL belong to the sentence, not to the address:
# «https://oic-oci.org» (linkify-it takes » as part of the URL).
_URL_CLOSING = "»”’“«"


def _quotes_out_of_bare_urls(state) -> None:
    for block in state.tokens:
        children = block.children or []
        for index in range(len(children) - 2, 0, -1):
            opening, text = children[index - 1], children[index]
            if opening.type != "link_open" or opening.markup != "linkify":
                continue
            trimmed = text.content.rstrip(_URL_CLOSING)
            if trimmed == text.content or not trimmed:
                continue
            tail = Token("text", "", 0)
            tail.content = text.content[len(trimmed) :]
            text.content = trimmed
            mail = (opening.attrGet("href") or "").startswith("mailto:")
            opening.attrSet(
                "href", state.md.normalizeLink(("mailto:" if mail else "") + trimmed)
            )
            children.insert(index + 2, tail)


def make_parser() -> MarkdownIt:
    """The one Markdown parser of the project."""
    md = (
        MarkdownIt("commonmark", {"xhtmlOut": True, "linkify": True})
        .enable(["table", "linkify"])
        .use(footnote_plugin)
        .use(myst_role_plugin)
        .use(attrs_block_plugin)
        # `[text]{lang=en}`: a span in another language (attributes on spans only).
        .use(attrs_plugin, after=(), spans=True, allowed=("lang",))
    )
    # Bare URLs become links, but only real ones (https://…, mail addresses): "README.md"
    # or "т.б." are not web sites.
    md.linkify.set({"fuzzy_link": False})
    md.core.ruler.after("linkify", "closing_quotes", _quotes_out_of_bare_urls)
    # markdown-it leaves a link to javascript: or file: as plain text, silently; parsed
    # as links, `lint.check_target` reports them at their line, and the build stops.
    md.validateLink = lambda url: True
    return md


def split_role(content: str) -> tuple[str, str]:
    """`shown <target>` → (shown, target); a bare `text` is both."""
    match = _ROLE_TARGET.match(content)
    if match and match["text"]:
        return match["text"], match["target"].strip()
    return content, content.strip()


def _number_lines(inline: Token) -> None:
    """Give each child of an inline token the source line it starts on."""
    line = inline.map[0] + 1 if inline.map else 1
    for child in inline.children or ():
        child.meta = {**(child.meta or {}), "line": line}
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        line += child.content.count("\n") if child.type == "text" else 0


def _typeset(inline: Token) -> None:
    """Apply the Kazakh typographic conventions to the text of one paragraph."""
    kinds = ("text", "myst_role", "softbreak", "hardbreak")
    children = [
        c for c in inline.children or () if c.type in kinds and not (c.meta or {}).get("url")
    ]
    if not children:
        return
    pieces = []
    for child in children:
        if child.type == "myst_role":
            pieces.append(split_role(child.content)[0])
        elif child.type == "text":
            pieces.append(child.content)
        else:  # a line break: the rules must see it as white space ("Мойынты⏎- Шу")
            pieces.append("\n")
    for child, new in zip(children, typography.typeset(pieces), strict=True):
        if child.type == "myst_role":
            child.meta = {**child.meta, "shown": new, "target": split_role(child.content)[1]}
        elif child.type == "text":
            child.content = new


@dataclass
class _PartState:
    """What rendering one part collects: its headings, notes, terms and index marks."""

    slug: str
    path: Path
    problems: Problems
    glossary: dict[str, GlossaryEntry]
    named_terms: frozenset[str]
    note_numbers: dict[str, int] = field(default_factory=dict)
    headings: list[Heading] = field(default_factory=list)
    terms: list[TermUse] = field(default_factory=list)
    index_marks: list[IndexMark] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)  # internal #id links
    glossary_keys: dict[str, str] = field(default_factory=dict)  # in the glossary only
    note_lines: dict[str, int] = field(default_factory=dict)
    section_count: int = 0
    block_count: int = 0
    figures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    images: list[ImageFile] = field(default_factory=list)


def escape_text(text: str, mark_arabic: bool = True) -> str:
    """Escape text for HTML: runs of Arabic script marked as Arabic and right-to-left,
    abbreviations and compounds kept out of hyphenation."""
    if not mark_arabic or not _ARABIC_RUN.search(text):
        return _escape_kazakh(text)
    out, position = [], 0
    for match in _ARABIC_RUN.finditer(text):
        out.append(_escape_kazakh(text[position : match.start()]))
        out.append(
            f"{language_attributes_open('ar')}{html.escape(match[0], quote=False)}</span>"
        )
        position = match.end()
    out.append(_escape_kazakh(text[position:]))
    return "".join(out)


def language_attributes(lang: str) -> str:
    """` lang="…" xml:lang="…"` and, for a right-to-left language, ` dir="rtl"`."""
    direction = ' dir="rtl"' if lang.split("-")[0].lower() in RTL_LANGUAGES else ""
    value = html.escape(lang)
    return f' lang="{value}" xml:lang="{value}"{direction}'


def language_attributes_open(lang: str) -> str:
    return f"<span{language_attributes(lang)}>"


def is_kazakh(lang: str) -> bool:
    return lang.split("-")[0].lower() == "kk"


def split_arabic(text: str) -> tuple[str, str]:
    """(text with its Arabic runs blanked out, the Arabic runs): the Kazakh checks see the
    first, the glyph check sees both."""
    runs = _ARABIC_RUN.findall(text)
    if not runs:
        return text, ""
    return _ARABIC_RUN.sub(lambda m: " " * len(m[0]), text), " ".join(runs)


# Where a printed URL may break: after "//" and ":", before a single "/" and before
# . , - _ ? # % ~, before and after = and & (the Chicago Manual of Style's rule), so
# that a break never looks like part of the address.
_URL_BREAK = re.compile(r"(?<=//)|(?<=:)(?!//)|(?<!/)(?=/(?!/))|(?=[.,\-_?#%~=&])|(?<=[=&])")


def breakable_url(url: str) -> str:
    """A URL as escaped HTML text with <wbr/> break opportunities (never hyphens)."""
    pieces = [piece for piece in _URL_BREAK.split(url) if piece]
    return "<wbr/>".join(html.escape(piece, quote=False) for piece in pieces)


def shown_address(href: str) -> str:
    """The address a reader of paper sees: mailto: dropped."""
    return href[len("mailto:") :] if href.lower().startswith("mailto:") else href


def _escape_kazakh(text: str) -> str:
    """Escape text for HTML, keeping abbreviations and compounds out of hyphenation.

    pyphen lowercases words, so its patterns cannot tell ЮНЕСКО from a common word; the
    span tells WeasyPrint not to hyphenate it (print.css: `.nohyph`).
    """
    out, position = [], 0
    for start, end in hyphenation.unhyphenatable_spans(text):
        word = text[start:end]
        if end - start < 4 or word.isdigit():  # nothing pyphen would break anyway
            continue
        out.append(html.escape(text[position:start], quote=False))
        out.append(f'<span class="nohyph">{html.escape(word, quote=False)}</span>')
        position = end
    out.append(html.escape(text[position:], quote=False))
    return "".join(out)


def _render_rules(md: MarkdownIt) -> None:
    """Rules that turn our extensions into the placeholder elements of `model`."""

    def text(self, tokens, idx, options, env):
        token = tokens[idx]
        meta = token.meta or {}
        if meta.get("url"):
            return breakable_url(token.content)
        return escape_text(token.content, mark_arabic=meta.get("lang", "kk")[:2] != "ar")

    def raw_html(self, tokens, idx, options, env):
        return tokens[idx].content  # already judged and rewritten by `sanitise`

    def link_open(self, tokens, idx, options, env):
        state: _PartState | None = env.get("part")
        token = tokens[idx]
        href = token.attrGet("href") or ""
        line = (token.meta or {}).get("line", 1)
        # No href at all: the sanitiser refused it (javascript:…) and said so.
        if state is not None and token.attrGet("href") is not None:
            lint.check_target(href, False, state.path, line, state.problems, "")
            if href.startswith("#"):
                # markdown-it percent-encodes the URL: `#бөлім` arrives as `#%D0%B1…`
                state.links.append((unquote(href[1:]), line))
        env["address"] = None
        if urlsplit(href).scheme.lower() in lint.LINK_SCHEMES:
            if token.markup in ("autolink", "linkify"):
                token.attrSet("class", "url")
            elif _link_text(tokens, idx).strip() != shown_address(href):
                # Print shows the address after the text, for a reader of paper.
                env["address"] = href
        return self.renderToken(tokens, idx, options, env)

    def link_close(self, tokens, idx, options, env):
        address = env.pop("address", None)
        if address is None:
            return "</a>"
        return f'</a><oic-url href="{html.escape(address)}"></oic-url>'

    def image(self, tokens, idx, options, env):
        state: _PartState | None = env.get("part")
        token = tokens[idx]
        alt = self.renderInlineAsText(token.children or [], options, env)
        src = token.attrGet("src") or ""
        title = token.attrGet("title")
        if state is not None:
            file = lint.check_target(
                src, True, state.path, token.meta["line"], state.problems, alt
            )
            if file is not None:
                state.images.append(file)
                src = f"oic-image:{file.name}"
        attributes = f'src="{html.escape(src)}" alt="{html.escape(alt)}"'
        if title and not token.meta.get("figure"):
            attributes += f' title="{html.escape(title)}"'
        return f"<img {attributes}/>"

    def paragraph_open(self, tokens, idx, options, env):
        token = tokens[idx]
        state: _PartState | None = env.get("part")
        if token.meta.get("figure") is None or state is None:
            return block_open(self, tokens, idx, options, env)
        anchor = f"{state.slug}-fig{len(state.figures) + 1}"
        state.figures.append(anchor)
        env["figure"] = anchor
        return f'<figure class="figure" id="{anchor}">'

    def paragraph_close(self, tokens, idx, options, env):
        anchor = env.pop("figure", None)
        if anchor is None or tokens[idx].meta.get("figure") is None:
            return self.renderToken(tokens, idx, options, env)
        image = tokens[idx].meta["figure"]
        caption = image.attrGet("title") or ""
        label = f'<oic-number kind="figure" ref="{anchor}"></oic-number>'
        if caption:
            text = escape_text(typography.typeset([caption])[0])
            label = f'<span class="caption-label">{label}.</span> {text}'
        else:
            label = f'<span class="caption-label">{label}</span>'
        return f"<figcaption>{label}</figcaption></figure>\n"

    def table_open(self, tokens, idx, options, env):
        state: _PartState | None = env.get("part")
        token = tokens[idx]
        if state is not None and token.meta.get("caption"):
            anchor = f"{state.slug}-tbl{len(state.tables) + 1}"
            state.tables.append(anchor)
            token.attrSet("id", anchor)
            env["table"] = anchor
        return block_open(self, tokens, idx, options, env)

    def caption_open(self, tokens, idx, options, env):
        anchor = env.pop("table", "")
        return (
            f'<caption><span class="caption-label"><oic-number kind="table" ref="{anchor}">'
            "</oic-number>.</span> "
        )

    def cell_open(self, tokens, idx, options, env):
        # Alignment as a class, not a style attribute: the stylesheets decide the look.
        token = tokens[idx]
        style = token.attrGet("style") or ""
        attributes = ""
        if token.type == "th_open":
            attributes += ' scope="col"'
        for align in ("left", "center", "right"):
            if f"text-align:{align}" in style:
                attributes += f' class="align-{align}"'
        return f"<{token.tag}{attributes}>"

    def span_open(self, tokens, idx, options, env):
        state: _PartState | None = env.get("part")
        token = tokens[idx]
        lang = token.attrGet("lang")
        # The sanitiser has judged every attribute (a bad lang is H006, reported there).
        refused = (token.meta or {}).get("refused_attrs", ())
        if state is not None and lang is None and "lang" not in refused:
            line = (token.meta or {}).get("line", 1)
            state.problems.error(
                "M006", state.path, line, "a [text]{…} span needs lang=…, e.g. {lang=en}"
            )
        # The other attributes the sanitiser allowed (id, title, dir) are kept, never lost.
        kept = "".join(
            f' {name}="{html.escape(str(value))}"'
            for name, value in token.attrs.items()
            if name not in ("lang", "xml:lang") and not (name == "dir" and lang)
        )
        if lang is None or not _LANGUAGE_TAG.match(lang):
            return f"<span{kept}>"
        attributes = language_attributes(lang)
        if token.attrGet("dir"):  # the author's direction wins over the language's
            attributes = re.sub(r' dir="[^"]*"', "", attributes)
            attributes += f' dir="{html.escape(str(token.attrGet("dir")))}"'
        return f"<span{attributes}{kept}>"

    def footnote_ref(self, tokens, idx, options, env):
        state: _PartState = env["part"]
        label = note_label(tokens[idx].meta, state.slug)
        if state.slug == GLOSSARY_SLUG:
            state.problems.error(
                "F006",
                state.path,
                tokens[idx].meta["line"],
                "a footnote cannot be in a glossary definition",
            )
            return ""
        if label in state.note_numbers:
            state.problems.error(
                "F004",
                state.path,
                tokens[idx].meta["line"],
                f"footnote [^{label}] is referenced more than once",
            )
        state.note_numbers.setdefault(label, len(state.note_numbers) + 1)
        state.note_lines.setdefault(label, tokens[idx].meta["line"])
        return f'<oic-note label="{html.escape(label)}"></oic-note>'

    def myst_role(self, tokens, idx, options, env):
        state: _PartState = env["part"]
        token = tokens[idx]
        name, line = token.meta["name"], token.meta["line"]
        shown = token.meta.get("shown") or split_role(token.content)[0]
        target = token.meta.get("target") or split_role(token.content)[1]
        text = escape_text(shown)
        if state.slug == GLOSSARY_SLUG:
            return _glossary_role(state, name, target, text, line)
        if name == "term":
            entry = state.glossary.get(target)
            if entry is None and target in state.named_terms:
                return text  # its glossary entry is malformed, and reported as such
            if entry is None:
                state.problems.error(
                    "G003", state.path, line, f"term '{target}' is not in the glossary"
                )
                return text
            anchor = f"t-{state.slug}-{len(state.terms) + 1}"
            first = all(use.key != entry.key for use in state.terms)
            state.terms.append(TermUse(entry.key, anchor, first, line))
            if entry.in_index:
                state.index_marks.append(IndexMark(index_headword(entry), anchor, line))
            first_attr = ' first="1"' if first else ""
            return f'<oic-term key="{entry.key}" id="{anchor}"{first_attr}>{text}</oic-term>'
        if name == "index":
            anchor = f"ix-{state.slug}-{len(state.index_marks) + 1}"
            state.index_marks.append(IndexMark(target, anchor, line))
            return f'<oic-index id="{anchor}">{text}</oic-index>'
        state.problems.error(
            "M002", state.path, line, f"unknown role {{{name}}} (known: {', '.join(ROLES)})"
        )
        return text

    def heading_open(self, tokens, idx, options, env):
        state: _PartState = env["part"]
        token = tokens[idx]
        level = int(token.tag[1])
        if not token.attrGet("id"):
            state.section_count += 1
            token.attrSet("id", f"{state.slug}-{state.section_count}")
        set_language(token, state)
        inline = tokens[idx + 1]
        # Rendering the title here would count its roles twice; outlines need text only.
        title = _plain(inline)
        state.headings.append(
            Heading(
                token.attrGet("id"),
                level,
                title,
                html.escape(title),
                inline.map[0] + 1 if inline.map else 1,
            )
        )
        return self.renderToken(tokens, idx, options, env)

    def block_open(self, tokens, idx, options, env):
        # Every block gets an id, so the EPUB can place the print edition's page breaks
        # in the same paragraph that the PDF breaks (see pagemap).
        state: _PartState | None = env.get("part")
        token = tokens[idx]
        if state is not None and not token.hidden and not token.attrGet("id"):
            state.block_count += 1
            token.attrSet("id", f"{state.slug}-b{state.block_count}")
        set_language(token, state)
        return self.renderToken(tokens, idx, options, env)

    def list_open(self, tokens, idx, options, env):
        set_language(tokens[idx], env.get("part"))
        return self.renderToken(tokens, idx, options, env)

    for name in ("list_item_open", "blockquote_open"):
        md.add_render_rule(name, block_open)
    for name in ("bullet_list_open", "ordered_list_open"):
        md.add_render_rule(name, list_open)
    md.add_render_rule("paragraph_open", paragraph_open)
    md.add_render_rule("paragraph_close", paragraph_close)
    md.add_render_rule("table_open", table_open)
    md.add_render_rule("caption_open", caption_open)
    md.add_render_rule("th_open", cell_open)
    md.add_render_rule("td_open", cell_open)
    md.add_render_rule("span_open", span_open)
    md.add_render_rule("link_close", link_close)
    md.add_render_rule("text", text)
    md.add_render_rule("html_inline", raw_html)
    md.add_render_rule("html_block", raw_html)
    md.add_render_rule("link_open", link_open)
    md.add_render_rule("image", image)
    md.add_render_rule("footnote_ref", footnote_ref)
    md.add_render_rule("myst_role", myst_role)
    md.add_render_rule("heading_open", heading_open)


GLOSSARY_SLUG = "glossary"


def _glossary_role(state: _PartState, name: str, target: str, text: str, line: int) -> str:
    """A role inside a glossary definition: {term} links to that entry; {index} has no
    page of its own to list, so it is refused rather than dropped."""
    if name == "term":
        key = state.glossary_keys.get(target)
        if key is None:
            if target not in state.named_terms:
                state.problems.error(
                    "G003", state.path, line, f"term '{target}' is not in the glossary"
                )
            return text
        return f'<a class="glossref" href="#{key}">{text}</a>'
    if name == "index":
        state.problems.error(
            "M002", state.path, line, "{index} cannot be used in a glossary definition"
        )
        return text
    state.problems.error(
        "M002", state.path, line, f"unknown role {{{name}}} (known: {', '.join(ROLES)})"
    )
    return text


def note_label(meta: dict, slug: str) -> str:
    """The label of a footnote: the author's `[^label]`, or for an inline `^[…]` note one
    made from its number in the file, with spaces so that no author label can equal it."""
    label = meta.get("label")
    return label if label is not None else f"{slug} inline {meta['id'] + 1}"


def set_language(token: Token, state: _PartState | None) -> None:
    """A block's `{lang=…}`: checked, written as lang and xml:lang, with dir for RTL."""
    lang = token.attrGet("lang")
    if lang is None:
        return
    if not _LANGUAGE_TAG.match(lang):
        if state is not None:
            line = token.map[0] + 1 if token.map else 1
            state.problems.error(
                "M006",
                state.path,
                line,
                f"'{lint.cut(lang, 40)}' is not a language tag (write e.g. lang=en, lang=ar)",
            )
        del token.attrs["lang"]
        return
    token.attrSet("xml:lang", lang)
    if lang.split("-")[0].lower() in RTL_LANGUAGES and token.attrGet("dir") is None:
        token.attrSet("dir", "rtl")


def _link_text(tokens: list[Token], idx: int) -> str:
    """The plain text of a link, from its opening token to its closing one."""
    out = []
    for token in tokens[idx + 1 :]:
        if token.type == "link_close":
            break
        if token.type in ("text", "code_inline"):
            out.append(token.content)
    return "".join(out)


def _mark_languages(tokens: list[Token]) -> None:
    """Give every inline child meta `lang` (the language its text is in, from the nearest
    `{lang=…}` of a block or span, else Kazakh) and `url` (it is the text of a bare URL)."""
    stack = ["kk"]
    for token in tokens:
        if token.nesting == 1:
            stack.append(token.attrGet("lang") or stack[-1])
        elif token.nesting == -1 and len(stack) > 1:
            stack.pop()
        elif token.type == "inline":
            inner = [stack[-1]]
            url = False
            for child in token.children or ():
                if child.nesting == 1:
                    inner.append(child.attrGet("lang") or inner[-1])
                    url = child.type == "link_open" and child.markup in ("autolink", "linkify")
                elif child.nesting == -1:
                    if len(inner) > 1:
                        inner.pop()
                    if child.type == "link_close":
                        url = False
                child.meta = {**(child.meta or {}), "lang": inner[-1], "url": url}


def _mark_figures_and_captions(tokens: list[Token]) -> list[Token]:
    """An image alone in a paragraph is a figure; a paragraph `: Caption` right after a
    table is its caption (moved into the table as a <caption>)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "paragraph_open" and i + 2 < len(tokens):
            inline = tokens[i + 1]
            children = [
                c
                for c in inline.children or ()
                if not (c.type == "text" and not c.content.strip())
                and c.type not in ("softbreak",)
            ]
            if len(children) == 1 and children[0].type == "image":
                inline.children = children
                token.meta = {**(token.meta or {}), "figure": children[0]}
                tokens[i + 2].meta = {**(tokens[i + 2].meta or {}), "figure": children[0]}
                children[0].meta = {**(children[0].meta or {}), "figure": True}
        if token.type == "table_close" and _caption_typed_as_a_row(out):
            out.append(token)
            i += 1
            continue
        if token.type == "table_close" and i + 3 < len(tokens):
            opening, inline, closing = tokens[i + 1 : i + 4]
            first = (inline.children or [None])[0]
            if (
                opening.type == "paragraph_open"
                and inline.type == "inline"
                and re.match(r":[ \t]", inline.content)
                and first is not None
                and first.type == "text"
            ):
                first.content = first.content[1:].lstrip()
                table_start = max(j for j, t in enumerate(out) if t.type == "table_open")
                out[table_start].meta = {**(out[table_start].meta or {}), "caption": True}
                opening.type, opening.tag = "caption_open", "caption"
                closing.type, closing.tag = "caption_close", "caption"
                out[table_start + 1 : table_start + 1] = [opening, inline, closing]
                out.append(token)
                i += 4
                continue
        out.append(token)
        i += 1
    return out


def _caption_typed_as_a_row(out: list[Token]) -> bool:
    """`: Caption` on the line right after a table (no blank line) is read by GFM as a
    last row with one cell; make it the table's caption, as with the blank line."""
    start = max((j for j, t in enumerate(out) if t.type == "tr_open"), default=None)
    if start is None:
        return False
    cells = [t for t in out[start:] if t.type == "inline"]
    if (
        not cells
        or not re.match(r":[ \t]", cells[0].content)
        or any(c.content.strip() for c in cells[1:])
    ):
        return False
    first = (cells[0].children or [None])[0]
    if first is None or first.type != "text":
        return False
    first.content = first.content[1:].lstrip()
    del out[start:]
    if out[-1].type == "tbody_open":
        out.pop()  # the caption was the only row of the body
    else:
        closing = Token("tbody_close", "tbody", -1)
        out.append(closing)
    table_start = max(j for j, t in enumerate(out) if t.type == "table_open")
    out[table_start].meta = {**(out[table_start].meta or {}), "caption": True}
    caption = [
        Token("caption_open", "caption", 1),
        cells[0],
        Token("caption_close", "caption", -1),
    ]
    out[table_start + 1 : table_start + 1] = caption
    return True


def _plain(inline: Token) -> str:
    """The plain text of an inline token, for outlines and running heads."""
    out = []
    for child in inline.children or ():
        if child.type == "text" or child.type == "code_inline":
            out.append(child.content)
        elif child.type == "myst_role":
            out.append(child.meta.get("shown") or split_role(child.content)[0])
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out).strip()


# `![alt](images/карта 1.png)`: CommonMark takes a path with a space for text, so the
# image would silently be printed as its source.
_LITERAL_IMAGE = re.compile(r"!\[[^\]\n]*\]\(([^()<>\n]*\s[^()<>\n]*)\)")


def _check_literal_images(inline: Token, path: Path, problems: Problems) -> None:
    """An image that Markdown left as text because its path has a space is an error."""
    for child in inline.children or ():
        if child.type == "text":
            for match in _LITERAL_IMAGE.finditer(child.content):
                problems.error(
                    "L002",
                    path,
                    child.meta["line"],
                    "image path with a space is read as text: write "
                    f"![…](<{lint.cut(match[1].strip(), 60)}>) or use %20",
                )


_RAW_CODE_TAG = re.compile(r"<(/?)(?:code|kbd|samp)\b[^>]*>", re.IGNORECASE)


def _collect_texts(
    inline: Token, texts: list[tuple[int, str]], other_texts: list[tuple[int, str]]
) -> None:
    """Sort the text of a paragraph by what checks it: Kazakh text gets every check,
    other languages, Arabic runs and code only the glyph check; URLs none."""
    code = 0  # inside raw <code>, <kbd>, <samp>: code, not Kazakh text
    for child in inline.children or ():
        line = child.meta["line"]
        if child.type == "html_inline":
            tag = _RAW_CODE_TAG.match(child.content)
            if tag:
                code = max(0, code + (-1 if tag[1] else 1))
            continue
        if child.type == "code_inline" or (code and child.type == "text"):
            other_texts.append((line, child.content))
        elif child.type in ("text", "myst_role") and not child.meta.get("url"):
            if is_kazakh(child.meta.get("lang", "kk")):
                kazakh, arabic = split_arabic(child.content)
                texts.append((line, kazakh))
                if arabic:
                    other_texts.append((line, arabic))
            else:
                other_texts.append((line, child.content))


def _check_outline(tokens: list[Token], title: int, path: Path, problems: Problems) -> None:
    """Headings go down one level at a time (## then ###), and a part has a body."""
    level = 1
    for token in tokens[title + 3 :]:
        if token.type != "heading_open":
            continue
        new = int(token.tag[1])
        if new > level + 1:
            problems.error(
                "M004",
                path,
                token.map[0] + 1 if token.map else 1,
                f"heading level jumps from {'#' * level} to {'#' * new}; "
                f"use {'#' * (level + 1)} here",
            )
        level = new
    body = [
        t
        for t in tokens[title + 3 :]
        if t.level == 0 and t.nesting >= 0 and not t.type.startswith("footnote")
    ]
    if not body:
        line = tokens[title].map[0] + 1 if tokens[title].map else 1
        problems.error("M005", path, line, "the part has a title but no text")


def index_headword(entry: GlossaryEntry) -> str:
    """How a glossary term is listed in the index of names."""
    return f"{entry.expansion} ({entry.term})" if entry.expansion else entry.term


def read_part(
    md: MarkdownIt,
    path: Path,
    kind: str,
    number: int | None,
    slug: str,
    glossary: dict[str, GlossaryEntry],
    problems: Problems,
    named_terms: frozenset[str] = frozenset(),
) -> Part | None:
    """Read one Markdown file into a `Part`, recording its problems."""
    text = read_text(path, problems)
    if text is None:
        return None
    env: dict[str, Any] = {}
    tokens = _mark_figures_and_captions(md.parse(text, env))
    _mark_languages(tokens)
    texts: list[tuple[int, str]] = []  # Kazakh, as typed, for the checks of `check`
    other_texts: list[tuple[int, str]] = []  # other languages and code: glyphs only
    for token in tokens:
        if token.type == "inline":
            _number_lines(token)
            _collect_texts(token, texts, other_texts)
            _check_literal_images(token, path, problems)
            _typeset(token)
        elif token.type in ("fence", "code_block") and token.map:
            first = token.map[0] + (2 if token.type == "fence" else 1)
            other_texts.extend(
                (first + n, line) for n, line in enumerate(token.content.splitlines())
            )
    found = sanitise_tokens(tokens, path, problems)
    refused_notes = _refuse_notes_in_headings(tokens, path, problems, slug)

    titles = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h1"]
    if not titles:
        problems.error("M001", path, 1, "a part must start with a '# Title' heading")
        return None
    for extra in titles[1:]:
        problems.error(
            "M003", path, tokens[extra].map[0] + 1, "only one '# Title' heading per file"
        )
    first = titles[0]
    title_inline = tokens[first + 1]
    if tokens[first].attrGet("id"):
        problems.error(
            "I003",
            path,
            tokens[first].map[0] + 1,
            "a '# Title' cannot take an id: the builder names it (link to the chapter "
            f"with #{slug})",
        )
    tokens[first].attrSet("id", slug)
    _check_outline(tokens, first, path, problems)

    state = _PartState(slug, path, problems, glossary, named_terms)
    state.links.extend(found.links)
    env["part"] = state
    renderer = md.renderer
    options = md.options
    title_html = renderer.renderInline(title_inline.children, options, env)

    body: list[Token] = []
    notes: dict[int, list[Token]] = {}
    current_note: list[Token] | None = None
    note_labels: dict[int, str] = {}
    for i, token in enumerate(tokens):
        if first <= i <= first + 2:
            continue
        if token.type == "footnote_open":
            current_note = notes.setdefault(token.meta["id"], [])
            note_labels[token.meta["id"]] = note_label(token.meta, slug)
            continue
        if token.type == "footnote_close":
            current_note = None
            continue
        if token.type in ("footnote_block_open", "footnote_block_close", "footnote_anchor"):
            continue
        (current_note if current_note is not None else body).append(token)
    body_html = renderer.render(body, options, env)

    defined = {}
    for match in _FOOTNOTE_DEF.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        label = match[1]
        if label in defined:
            problems.error("F003", path, line, f"footnote [^{label}] is defined twice")
        defined.setdefault(label, line)
    footnotes = []
    for note_id, note_tokens in sorted(notes.items()):
        label = note_labels[note_id]
        paragraphs = tuple(
            renderer.renderInline(t.children, options, env)
            for t in note_tokens
            if t.type == "inline"
        )
        line = defined.get(label) or state.note_lines.get(label, 1)
        footnotes.append(Footnote(label, state.note_numbers.get(label, 0), paragraphs, line))
    for label, line in defined.items():
        if label not in state.note_numbers and label not in refused_notes:
            problems.error("F002", path, line, f"footnote [^{label}] is never referenced")
    for token in tokens:
        if token.type != "inline":
            continue
        for child in token.children or ():
            if child.type == "text":
                for match in re.finditer(r"\[\^([^\]\s]+)\]", child.content):
                    problems.error(
                        "F001",
                        path,
                        child.meta["line"],
                        f"footnote [^{match[1]}] has no definition",
                    )
    footnotes.sort(key=lambda n: n.number)
    if not problems.errors:  # the guard of last resort, on what passed every rule
        part_line = tokens[first].map[0] + 1
        for fragment in (title_html, body_html, *(p for n in footnotes for p in n.paragraphs)):
            if not check_well_formed(fragment, path, part_line, problems):
                break
    return Part(
        kind=kind,  # type: ignore[arg-type]
        number=number,
        slug=slug,
        title=_plain(title_inline),
        title_html=title_html,
        body_html=body_html,
        headings=tuple(state.headings),
        footnotes=tuple(footnotes),
        terms=tuple(state.terms),
        index_marks=tuple(state.index_marks),
        texts=tuple(texts),
        links=tuple(state.links),
        path=path,
        line=tokens[first].map[0] + 1,
        ids=tuple(found.ids),
        other_texts=tuple(other_texts),
        figures=tuple(state.figures),
        tables=tuple(state.tables),
        images=tuple(state.images),
    )


def _refuse_notes_in_headings(
    tokens: list[Token], path: Path, problems: Problems, slug: str
) -> set[str]:
    """A footnote in a heading would be lost from the running head, the contents and the
    outline, or set in all of them: refused, where it is. Returns the labels refused."""
    refused = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        kept = []
        for child in inline.children or ():
            if child.type == "footnote_ref":
                refused.add(note_label(child.meta, slug))
                problems.error(
                    "F006",
                    path,
                    child.meta.get("line", 1),
                    "a footnote cannot be in a heading; put its call in the text below",
                )
            else:
                kept.append(child)
        inline.children = kept
    return refused


MAX_TERM = 300  # a term or an expansion is a name, not a paragraph
GLOSSARY_KEYS = {"term", "definition", "expansion", "index"}


def read_glossary(
    md: MarkdownIt, path: Path, problems: Problems
) -> tuple[list[GlossaryEntry], frozenset[str] | None]:
    """Read glossary.yaml: a list of {term, definition, expansion?, index?} mappings.

    Returns the valid entries in Kazakh order, and every term the file names, even in an
    entry with errors (None if the file is not a list): a use of such a term is not
    reported again as undefined.
    """
    data = read_yaml(path, problems)
    if data is None:
        return [], None
    if not isinstance(data, LocatedList):
        problems.error("G005", path, getattr(data, "line", 1), "the glossary must be a list")
        return [], None
    named = frozenset(
        item["term"].strip()
        for item in data
        if isinstance(item, dict) and isinstance(item.get("term"), str)
    )
    entries: list[GlossaryEntry] = []
    valid: list[tuple[LocatedDict, str, str]] = []
    seen: dict[str, int] = {}
    keys: set[str] = set()
    for item, line in zip(data, data.item_lines, strict=True):
        if not isinstance(item, LocatedDict):
            problems.error("G005", path, line, "each glossary entry must be a mapping")
            continue
        ok = True
        for key in item:
            if key not in GLOSSARY_KEYS:
                problems.error(
                    "Y005",
                    path,
                    item.key_lines[key],
                    f"unknown glossary key '{key}' (known keys: "
                    f"{', '.join(sorted(GLOSSARY_KEYS))})",
                )
                ok = False
        for key in ("term", "definition"):
            if key not in item:
                problems.error("Y006", path, line, f"glossary entry is missing '{key}'")
                ok = False
            elif not isinstance(item[key], str) or not item[key].strip():
                problems.error("Y004", path, item.key_lines[key], f"'{key}' must be a string")
                ok = False
        if "expansion" in item and not isinstance(item["expansion"], str):
            problems.error(
                "Y004", path, item.key_lines["expansion"], "'expansion' must be a string"
            )
            ok = False
        if "index" in item and not isinstance(item["index"], bool):
            problems.error(
                "Y004", path, item.key_lines["index"], "'index' must be true or false"
            )
            ok = False
        if isinstance(item.get("definition"), str) and CONTROL.search(item["definition"]):
            problems.error(
                "E005", path, item.key_lines["definition"], "control character in 'definition'"
            )
            ok = False
        for name in ("term", "expansion"):
            if isinstance(item.get(name), str):
                line = item.key_lines[name]
                ok = check_plain_text(item[name], name, path, line, problems) and ok
                if len(item[name]) > MAX_TERM:
                    problems.error(
                        "Y004", path, line, f"'{name}' is longer than {MAX_TERM} characters"
                    )
                    ok = False
        if not ok:
            continue
        term = item["term"].strip()
        if term in seen:
            problems.error(
                "G002",
                path,
                item.key_lines["term"],
                f"glossary term '{term}' is defined twice (first at line {seen[term]})",
            )
            continue
        seen[term] = item.key_lines["term"]
        key = "g-" + slugify(term)
        while key in keys:  # two terms that transliterate alike
            key += "-2"
        keys.add(key)
        valid.append((item, term, key))
    # Definitions are rendered once every key is known: one may refer to a later term.
    state = _PartState(GLOSSARY_SLUG, path, problems, {}, named)
    state.glossary_keys = {term: key for _, term, key in valid}
    for item, term, key in valid:
        definition_html, links = _definition_html(md, item, state)
        entries.append(
            GlossaryEntry(
                term=term,
                key=key,
                expansion=typography.typeset([item.get("expansion", "").strip()])[0],
                definition_html=definition_html,
                in_index=item.get("index", False),
                path=path,
                line=item.key_lines["term"],
                links=links,
            )
        )
    return sorted(entries, key=lambda e: collation.sort_key(e.term)), named


def _definition_html(
    md: MarkdownIt, item: LocatedDict, state: _PartState
) -> tuple[str, tuple[tuple[str, int], ...]]:
    """A glossary definition as inline HTML, judged by the same rules as a chapter."""
    line = item.key_lines["definition"]
    # Only the inline token: an inline note `^[…]` would add a footnote block after it.
    tokens = [t for t in md.parseInline(item["definition"].strip(), {}) if t.type == "inline"]
    for token in tokens:
        token.map = [line - 1, line]  # so that problems are reported at the definition
        _number_lines(token)
        _typeset(token)
    errors_before = len(state.problems.errors)
    found = sanitise_tokens(tokens, state.path, state.problems)
    for token in tokens:
        for child in token.children or ():
            if child.type == "image":
                state.problems.error(
                    "L005", state.path, child.meta["line"], "an image cannot be in the glossary"
                )
        token.children = [c for c in token.children or () if c.type != "image"]
    state.links = list(found.links)  # and Markdown links, as it renders
    definition_html = md.renderer.render(tokens, md.options, {"part": state})
    if len(state.problems.errors) == errors_before:  # the guard of last resort
        check_well_formed(definition_html, state.path, line, state.problems)
    return definition_html, tuple(state.links)


def build_index(parts: tuple[Part, ...]) -> tuple[IndexEntry, ...]:
    """Gather index marks by headword, in Kazakh alphabetical order."""
    by_headword: dict[str, list[Occurrence]] = {}
    for part in parts:
        for mark in part.index_marks:
            by_headword.setdefault(mark.headword, []).append(Occurrence(part.slug, mark.anchor))
    return tuple(
        IndexEntry(headword, tuple(occurrences))
        for headword, occurrences in sorted(
            by_headword.items(), key=lambda item: collation.sort_key(item[0])
        )
    )


def read_book(book_yaml: Path) -> Book:
    """Read the whole manuscript; raise `BookError` with every problem if any is an error."""
    book_yaml = book_yaml.resolve()
    problems = Problems(book_yaml.parent.parent)
    config = load_config(book_yaml, problems)
    if config is None:
        raise BookError(problems.sorted())
    book, problems = read_book_from_config(config, problems)
    if problems.errors or book is None:
        raise BookError(problems.sorted())
    return book


@dataclass(frozen=True)
class Manuscript:
    """What reading found: the book as far as it could be read, and how far that was."""

    book: Book
    complete: bool  # every listed part was read
    glossary_terms: frozenset[str] | None  # every term the glossary names; None if unreadable


# A manuscript larger than this is read on both cores: forking costs ~30 ms, which only a
# long book repays (1000 pages: 1.3 s on one core; tests/bench/RESULTS.md).
PARALLEL_BYTES = 512 * 1024


@dataclass(frozen=True)
class _PartJob:
    """One Markdown file to read: where, and what it is in the book."""

    path: Path
    kind: str
    number: int | None
    slug: str


def _fingerprints(part: Part | None, root: Path) -> tuple[tuple[Path, bytes], ...]:
    """The images a part names, with their bytes' fingerprints (their names in the book
    are made from their content)."""
    images = part.images if part else ()
    return tuple((image.path, _digest(image.path, root)) for image in images)


def _same_files(fingerprints: tuple[tuple[Path, bytes], ...], root: Path) -> bool:
    return all(_digest(path, root) == digest for path, digest in fingerprints)


def _digest(path: Path, root: Path) -> bytes:
    """The fingerprint of a file's bytes, for the cache of `read_manuscript` (a part read
    depends on its place in the book, its bytes and the glossary file's bytes). Read
    through the project's rule, like every file of the manuscript."""
    try:
        data = read_file(path, root, (MANUSCRIPT,))
    except (OSError, ValueError):
        return b""  # read_part reports it
    return hashlib.blake2b(data, digest_size=16).digest()


# What every reader of a part needs; set before the readers are forked, so they inherit it.
_SHARED: dict[str, Any] = {}


def _read_part_job(job: _PartJob) -> tuple[Part | None, list]:
    md, glossary, named, root = _SHARED["context"]
    problems = Problems(root)
    part = read_part(md, job.path, job.kind, job.number, job.slug, glossary, problems, named)
    return part, problems.items


def read_manuscript(
    config: BookConfig, problems: Problems, cache: dict | None = None
) -> Manuscript:
    """Read the parts and the glossary, going on past errors (they are recorded), so that
    the checks of `check` can run on whatever could be read.

    `cache`, kept by a caller that reads the same manuscript again and again (`oic-book
    serve`), holds each part as read last time, keyed by everything reading it depends on:
    its place in the book, its file's bytes and the glossary. Only changed parts are read.
    """
    md = make_parser()
    _render_rules(md)
    glossary_list, named = read_glossary(md, config.glossary, problems)
    glossary = {entry.term: entry for entry in glossary_list}
    jobs = (
        [
            _PartJob(path, "front", None, "preface" if i == 0 else f"front{i + 1}")
            for i, path in enumerate(config.front)
        ]
        + [
            _PartJob(path, "chapter", number, f"ch{number}")
            for number, path in enumerate(config.chapters, start=1)
        ]
        + [
            _PartJob(path, "appendix", number, f"app{number}")
            for number, path in enumerate(config.appendices, start=1)
        ]
    )
    if config.bibliography:
        jobs.append(_PartJob(config.bibliography, "bibliography", None, "bibliography"))
    _SHARED["context"] = (md, glossary, named or frozenset(), problems.root)
    root = problems.root
    keys = []
    if cache is not None:
        glossary_key = _digest(config.glossary, root)
        keys = [(job, _digest(job.path, root), glossary_key) for job in jobs]
        # A part is read again if one of its images changed too.
        for key in [key for key, (_, images) in cache.items() if not _same_files(images, root)]:
            del cache[key]
    todo = jobs if cache is None else [job for job, key in zip(jobs, keys) if key not in cache]
    size = sum(job.path.stat().st_size for job in todo if job.path.is_file())
    if size > PARALLEL_BYTES and len(todo) > 1 and (os.cpu_count() or 1) > 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(2, mp_context=context, initializer=child_setup) as pool:
            with signals_held():  # workers are forked here; see processes.in_background
                mapped = pool.map(_read_part_job, todo, chunksize=max(1, len(todo) // 8))
            read = list(mapped)
    else:
        read = [_read_part_job(job) for job in todo]
    if cache is None:
        results = read
    else:
        fresh = {
            job: (result, _fingerprints(result[0], root)) for job, result in zip(todo, read)
        }
        entries = [fresh[job] if job in fresh else cache[key] for job, key in zip(jobs, keys)]
        results = [result for result, _ in entries]
        cache.clear()  # keep only this version of each part
        cache.update(zip(keys, entries, strict=True))
    by_kind: dict[str, list[Part]] = {"front": [], "chapter": [], "back": []}
    for job, (part, part_problems) in zip(jobs, results, strict=True):
        problems.items.extend(part_problems)
        if part:
            by_kind[job.kind if job.kind in by_kind else "back"].append(part)
    book = Book(
        config=config,
        front=tuple(by_kind["front"]),
        chapters=tuple(by_kind["chapter"]),
        glossary=tuple(glossary_list),
        index=build_index(tuple(by_kind["front"] + by_kind["chapter"] + by_kind["back"])),
        back=tuple(by_kind["back"]),
    )
    complete = len(book.parts) == len(config.parts)
    return Manuscript(book, complete, named)


def read_book_from_config(
    config: BookConfig, problems: Problems
) -> tuple[Book | None, Problems]:
    """Read parts and glossary for a loaded config; the book is None if there are errors."""
    book = read_manuscript(config, problems).book
    return (None if problems.errors else book), problems
