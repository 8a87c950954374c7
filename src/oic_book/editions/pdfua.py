"""PDF/UA-1 for the print edition: the structure tree WeasyPrint 70 writes, completed.

WeasyPrint 70 tags the PDF from its boxes. An independent validator (page-validation)
and the Matterhorn Protocol find these gaps, each closed here on the written file, so
that the fix works on any PDF of the book (one layout, or chunks merged later):

- link annotations whose structure parent is not a Link element (a span inside a link,
  a link's ::after), and Links nested in Links;
- Note elements without an /ID, and IDs that repeat (one HTML element cut across pages);
- running heads and page numbers drawn as tagged content that no structure element
  holds: they become pagination artifacts;
- internal links whose /Contents is the raw target id: they say where they go;
- the contents list tagged as an ordinary list: it becomes TOC/TOCI;
- footnotes read where the page's foot is, not where they are called: each Note goes
  right after its call;
- /Lang repeated where it says nothing new.

`make_accessible` is a pure function of the PDF bytes (and the link descriptions, plain
data from the HTML); pikepdf writes the result with a /ID derived from the content, so
the same input gives the same bytes. The tree is read once into plain Python (`Node`s):
every read of a PDF object through pikepdf costs a microsecond or two, and a book has
hundreds of structure elements a page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..kazakh import locale

CONTENTS_ID = "contents"  # the id of the contents <nav> (templates/sections/contents.html)
NOTE_CALL = "/OICNoteCall"  # on a note call's Lbl: its note's id (weasyprint_fixes.tags)
_SPACE = re.compile(r"\s+")
_DESCRIPTION_LENGTH = 120
# A marked-content sequence with an MCID, as pydyf (WeasyPrint) writes it.
_TAGGED_CONTENT = re.compile(rb"/([A-Za-z][\w.-]*)\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
_ARTIFACT = b"/Artifact <</Type /Pagination>> BDC"


def make_accessible(data: bytes, link_targets: Mapping[str, str] | None = None) -> bytes:
    """The PDF with its structure tree completed for PDF/UA-1 (see the module docstring).

    `link_targets` maps the id an internal link points to onto words that say what is
    there (`link_targets_of`); the page comes from the PDF.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        complete(pdf, link_targets)
        out = io.BytesIO()
        # The first half of the /ID (WeasyPrint's, from book.yaml) is kept; the second is
        # a hash of the content instead of qpdf's clock-based one.
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def complete(pdf: pikepdf.Pdf, link_targets: Mapping[str, str] | None = None) -> None:
    """`make_accessible` on an open PDF, in place (the book merged from chunks is one
    already: parsing it again would hold it twice in memory)."""
    if "/StructTreeRoot" not in pdf.Root:
        raise ValueError("the PDF has no structure tree")
    tree = StructTree(pdf)
    mark_unowned_content_as_artifacts(pdf, tree)
    tag_link_annotations(pdf, tree)
    describe_links(pdf, link_targets or {})
    tag_contents(tree)
    place_notes_after_their_calls(pdf, tree)
    drop_inherited_languages(pdf, tree)
    identify_elements(pdf, tree)


def link_targets_of(roots: Iterable, wanted: Collection[str] | None = None) -> dict[str, str]:
    """For every id an internal link of the HTML points to: the target's text, short.

    `roots` are the element trees the PDF was laid out from (ElementTree elements); a
    book laid out in chunks passes the ids that links anywhere in the book point to as
    `wanted` (they may be in another chunk than the link).
    """
    if wanted is None:
        wanted = {
            element.get("href")[1:]
            for root in roots
            for element in root.iter()
            if (element.get("href") or "").startswith("#")
        }
    targets: dict[str, str] = {}
    for root in roots:
        for element in root.iter():
            ident = element.get("id")
            if ident in wanted and ident not in targets:
                text = _SPACE.sub(" ", "".join(element.itertext())).strip()
                if len(text) > _DESCRIPTION_LENGTH:
                    text = text[: _DESCRIPTION_LENGTH - 1].rstrip() + "…"
                if text:  # an empty placeholder (the index's, before its layout) says nothing
                    targets[ident] = text
    return targets


# --- The structure tree ---------------------------------------------------------------


def _is_element(obj) -> bool:
    return isinstance(obj, Dictionary) and "/S" in obj


def _is_objr(item, annotation=None) -> bool:
    if not (isinstance(item, Dictionary) and item.get("/Type") == Name.OBJR):
        return False
    return annotation is None or item.Obj.objgen == annotation.objgen


def kids(element) -> list:
    """The /K of a structure element as a list (it may be absent, one object or an array)."""
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, Array) else [k]


def set_kids(element, items: list) -> None:
    element.K = Array(items)


@dataclass
class Node:
    """One structure element as read once: its tag, tree position and own attributes."""

    obj: Dictionary
    tag: str  # "/P", "/Link", …
    parent: int | None  # index in StructTree.nodes; None for the tree's top elements
    lang: str | None
    ident: str | None
    removed: bool = False  # spliced into its parent (a Link in a Link)


class StructTree:
    """The structure tree in reading order (`nodes`, read once), with its parent tree and
    the marked content its elements hold, page by page (`owned`)."""

    nodes: list[Node]
    index: dict[tuple[int, int], int]  # objgen → position in nodes
    owned: dict[tuple[int, int], set[int]]  # page objgen → MCIDs held by elements

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.root = pdf.Root.StructTreeRoot
        self.parent_tree = pikepdf.NumberTree(self.root.ParentTree)
        self.page_keys = {
            page.obj.objgen: int(page.obj.StructParents)
            for page in pdf.pages
            if "/StructParents" in page.obj
        }
        self.nodes, self.index, self.owned = [], {}, {}
        # A stack, not recursion: books are deep and long.
        stack = [(top, None) for top in reversed(kids(self.root)) if _is_element(top)]
        while stack:
            element, parent = stack.pop()
            lang, ident = element.get("/Lang"), element.get("/ID")
            self.index[element.objgen] = len(self.nodes)
            self.nodes.append(
                Node(
                    element,
                    str(element.S),
                    parent,
                    None if lang is None else str(lang),
                    None if ident is None else str(ident),
                )
            )
            here = len(self.nodes) - 1
            page = element.get("/Pg")
            inner = []
            for item in kids(element):
                if isinstance(item, int):
                    self.owned.setdefault(page.objgen, set()).add(item)
                elif _is_element(item):
                    inner.append((item, here))
                elif isinstance(item, Dictionary) and item.get("/Type") == Name.MCR:
                    where = item.get("/Pg", page)
                    self.owned.setdefault(where.objgen, set()).add(int(item.MCID))
            stack.extend(reversed(inner))

    def live(self):
        """(index, node) of every element still in the tree, in reading order."""
        return ((i, node) for i, node in enumerate(self.nodes) if not node.removed)

    def ancestors(self, index: int) -> list[int]:
        """Indices of a node's ancestors, innermost first."""
        out = []
        parent = self.nodes[index].parent
        while parent is not None:
            out.append(parent)
            parent = self.nodes[parent].parent
        return out

    def page_mcids(self, page) -> Array | None:
        """The parent tree's array for a page: structure element by MCID."""
        key = self.page_keys.get(page.objgen)
        return None if key is None else self.parent_tree.get(key)

    def set_owner(self, kid, page, new_parent) -> None:
        """Point the parent tree at `new_parent` for a kid that moved: an MCID (on
        `page`), a marked-content reference or an object reference; or set a child
        element's /P (and its node's parent)."""
        if _is_element(kid):
            kid.P = new_parent
            if kid.objgen in self.index and new_parent.objgen in self.index:
                self.nodes[self.index[kid.objgen]].parent = self.index[new_parent.objgen]
        elif isinstance(kid, int):
            mcids = self.page_mcids(page)
            if mcids is not None and kid < len(mcids):
                mcids[kid] = new_parent
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
            self.set_owner(int(kid.MCID), kid.get("/Pg", page), new_parent)
        elif _is_objr(kid):
            annotation = kid.Obj
            if "/StructParent" in annotation:
                self.parent_tree[int(annotation.StructParent)] = new_parent

    def adopt(self, new_parent, items: list, page) -> None:
        for item in items:
            self.set_owner(item, page, new_parent)


def new_element(pdf: pikepdf.Pdf, tag: str, parent, page, items: list) -> Dictionary:
    """A new structure element (indirect) holding `items`."""
    element = Dictionary(Type=Name.StructElem, S=Name("/" + tag), P=parent, K=Array(items))
    if page is not None:
        element.Pg = page
    return pdf.make_indirect(element)


# --- The fixes ------------------------------------------------------------------------


def mark_unowned_content_as_artifacts(pdf: pikepdf.Pdf, tree: StructTree) -> None:
    """Marked content that no structure element of the tree holds becomes an artifact.

    WeasyPrint 70 tags the page-margin boxes (running heads, page numbers) but leaves
    their structure elements out of the tree, because PDF 1.7 has no Artifact element.
    PDF/UA (Matterhorn 18-001) wants them marked /Artifact in the content stream.
    """
    for page in pdf.pages:
        mcids = tree.page_mcids(page.obj)
        if mcids is None:
            continue
        unowned = set(range(len(mcids))) - tree.owned.get(page.obj.objgen, set())
        if not unowned:
            continue
        _retag(pdf, page, unowned)
        for mcid in unowned:
            mcids[mcid] = None


def _retag(pdf: pikepdf.Pdf, page, mcids: set[int]) -> None:
    """Turn the marked-content sequences `mcids` of a page into pagination artifacts.

    WeasyPrint's content streams are rewritten with one regular expression (its BDC
    operators are written one way); any other stream goes through pikepdf's tokenizer.
    """
    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Stream):
        found = set()

        def artifact(match: re.Match[bytes]) -> bytes:
            mcid = int(match[2])
            if mcid not in mcids:
                return match[0]
            found.add(mcid)
            return _ARTIFACT

        data = _TAGGED_CONTENT.sub(artifact, contents.read_bytes())
        if found == mcids:
            contents.write(data)
            return
    instructions = pikepdf.parse_content_stream(page)
    for index, instruction in enumerate(instructions):
        if instruction.operator != pikepdf.Operator("BDC"):
            continue
        properties = instruction.operands[1]
        if isinstance(properties, Dictionary) and int(properties.get("/MCID", -1)) in mcids:
            instructions[index] = pikepdf.ContentStreamInstruction(
                [Name.Artifact, Dictionary(Type=Name.Pagination)], instruction.operator
            )
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))


def tag_link_annotations(pdf: pikepdf.Pdf, tree: StructTree) -> None:
    """Every link annotation is held by a Link element, and no Link is inside another.

    WeasyPrint 70 gives the annotation to whichever box carries it: a span inside a
    link, or a link's ::after (the contents' leader and page number), a Link in a Link.
    PDF/UA (page-validation PDFUA1-LINK-LINK-TAG-001) wants one Link holding them.
    """

    def outermost_link(index: int) -> int | None:
        links = [a for a in tree.ancestors(index) if tree.nodes[a].tag == "/Link"]
        return links[-1] if links else None

    # Links inside links, innermost first: the inner one's content joins its parent,
    # its object references the outermost Link.
    for index in reversed(range(len(tree.nodes))):
        node = tree.nodes[index]
        outer = outermost_link(index) if node.tag == "/Link" else None
        if outer is None:
            continue
        parent = tree.nodes[node.parent].obj
        items = kids(node.obj)
        content = [item for item in items if not _is_objr(item)]
        siblings = kids(parent)
        at = next(
            i
            for i, kid in enumerate(siblings)
            if isinstance(kid, Dictionary) and kid.objgen == node.obj.objgen
        )
        set_kids(parent, siblings[:at] + content + siblings[at + 1 :])
        tree.adopt(parent, content, node.obj.get("/Pg"))
        _add_objrs(tree.nodes[outer].obj, [i for i in items if _is_objr(i)], tree, None)
        node.removed = True
    # Annotations held by a span or another element: by the Link around it, or a new one.
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") != Name.Link or "/StructParent" not in annotation:
                continue
            owner = tree.parent_tree.get(int(annotation.StructParent))
            if owner is None or owner.S == Name.Link:
                continue
            objr = next(item for item in kids(owner) if _is_objr(item, annotation))
            index = tree.index.get(owner.objgen)
            outer = None if index is None else outermost_link(index)
            if outer is not None:
                set_kids(
                    owner, [item for item in kids(owner) if not _is_objr(item, annotation)]
                )
                _add_objrs(tree.nodes[outer].obj, [objr], tree, page.obj)
            elif owner.S == Name.Span:
                owner.S = Name.Link
                if index is not None:
                    tree.nodes[index].tag = "/Link"
            else:
                link = new_element(pdf, "Link", owner, page.obj, [objr])
                set_kids(owner, [link if _is_objr(i, annotation) else i for i in kids(owner)])
                tree.parent_tree[int(annotation.StructParent)] = link


def _add_objrs(link, objrs: list, tree: StructTree, page) -> None:
    """Add object references to a Link, after the ones it has (they carry no text)."""
    if not objrs:
        return
    items = kids(link)
    at = sum(1 for item in items if _is_objr(item))
    set_kids(link, items[:at] + objrs + items[at:])
    tree.adopt(link, objrs, page)


def describe_links(pdf: pikepdf.Pdf, link_targets: Mapping[str, str]) -> None:
    """Internal links say where they go: the target's words and its printed page.

    WeasyPrint 70 writes the raw target id as the annotation's /Contents, which a screen
    reader reads out («ch1-2»). PDF/UA 7.18.5 asks for a description of the link.
    """
    names = pdf.Root.get("/Names")
    dests = names.get("/Dests") if names is not None else None
    destinations = pikepdf.NameTree(dests) if dests is not None else {}
    page_label = {page.objgen: pikepdf.Page(page).label for page in pdf.pages}
    template = locale.labels()["page"]
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            dest = annotation.get("/Dest")
            if annotation.get("/Subtype") != Name.Link or not isinstance(dest, String):
                continue
            target = str(dest)
            explicit = destinations.get(target)
            if isinstance(explicit, Dictionary):
                explicit = explicit.get("/D")
            parts = [link_targets.get(target, "")]
            if (
                isinstance(explicit, Array)
                and len(explicit)
                and explicit[0].objgen in page_label
            ):
                parts.append(template.format(n=page_label[explicit[0].objgen]))
            description = ", ".join(part for part in parts if part)
            if description:
                annotation.Contents = String(description)


def tag_contents(tree: StructTree) -> None:
    """The contents list is tagged TOC, its entries TOCI (Matterhorn 01-006, ISO 32000-1
    14.8.4.3.2), where WeasyPrint 70 tags any <ol> as a list.

    Each entry becomes TOCI > Reference (the link) and, for its sections, a nested TOC.
    """
    # WeasyPrint 70 tags a <nav> that runs onto a second page as one Sect per page, each
    # with its part of the list: one TOC must hold all the entries.
    navs = [(i, node.obj) for i, node in tree.live() if node.ident == CONTENTS_ID]
    lists = [
        kid for _, nav in navs for kid in kids(nav) if _is_element(kid) and kid.S == Name.L
    ]
    for lst in lists:
        _list_to_toc(tree, lst)
    if len(lists) < 2:
        return
    first, rest = lists[0], lists[1:]
    gone = {later.objgen for later in rest}
    for later in rest:
        for item in kids(later):
            if _is_element(item):
                item.P = first
                if item.objgen in tree.index:
                    tree.nodes[tree.index[item.objgen]].parent = tree.index[first.objgen]
        set_kids(first, [*kids(first), *kids(later)])
        if later.objgen in tree.index:
            tree.nodes[tree.index[later.objgen]].removed = True
    for i, nav in navs[1:]:
        set_kids(nav, [k for k in kids(nav) if k.objgen not in gone])
        if not any(_is_element(k) for k in kids(nav)) and "/P" in nav:
            parent = nav.P
            set_kids(parent, [k for k in kids(parent) if k.objgen != nav.objgen])
            tree.nodes[i].removed = True


def _list_to_toc(tree: StructTree, lst) -> None:
    lst.S = Name.TOC
    items, entry = [], None
    for item in kids(lst):
        if _is_element(item) and item.S == Name.L and entry is not None:
            # WeasyPrint 70 puts a list nested in a marked <li> beside it: the entry's
            # sections go inside the entry.
            _list_to_toc(tree, item)
            tree.set_owner(item, None, entry)
            set_kids(entry, [*kids(entry), item])
            continue
        items.append(item)
        if not _is_element(item):
            continue
        if item.S == Name.L:
            _list_to_toc(tree, item)
        elif item.S == Name.LI:
            entry = item
            _entry_to_toci(tree, item)
    set_kids(lst, items)


def _entry_to_toci(tree: StructTree, item) -> None:
    """LI > [Lbl] LBody > (link, nested list) becomes TOCI > [Lbl] Reference > link, TOC."""
    item.S = Name.TOCI
    entry = []
    for kid in kids(item):
        if _is_element(kid) and kid.S == Name.LBody:
            kid.S = Name.Reference
            inside = kids(kid)
            nested = [k for k in inside if _is_element(k) and k.S == Name.L]
            set_kids(kid, [k for k in inside if not (_is_element(k) and k.S == Name.L)])
            entry.append(kid)
            for sub in nested:
                _list_to_toc(tree, sub)
                tree.set_owner(sub, None, item)
                entry.append(sub)
        else:
            entry.append(kid)
    set_kids(item, entry)


def place_notes_after_their_calls(pdf: pikepdf.Pdf, tree: StructTree) -> None:
    """Each Note right after the Lbl of its call, in the paragraph that calls it.

    WeasyPrint 70 tags a footnote where it is drawn, in the page's footnote area after
    the page's text, so a screen reader reads it after the rest of the page, often in
    the middle of a sentence that runs on over the page. PDF's Note is an inline element
    meant to sit at its reference (ISO 32000-1, 14.8.4.3.3). The call knows its note by
    the id that weasyprint_fixes.tags put in NOTE_CALL.
    """
    document_lang = str(pdf.Root.get("/Lang", ""))

    def language(index: int | None) -> str:
        while index is not None:
            if tree.nodes[index].lang is not None:
                return tree.nodes[index].lang
            index = tree.nodes[index].parent
        return document_lang

    notes: dict[str, list[int]] = {}
    for index, node in tree.live():
        if node.tag == "/Note" and node.ident:
            notes.setdefault(node.ident, []).append(index)
    emptied = set()
    for index, node in list(tree.live()):
        if node.tag != "/Lbl" or NOTE_CALL not in node.obj:
            continue
        ident = str(node.obj[NOTE_CALL])
        del node.obj[NOTE_CALL]
        fragments = notes.pop(ident, [])
        if not fragments or node.parent is None:
            continue
        target = tree.nodes[node.parent]
        for fragment in fragments:
            note = tree.nodes[fragment]
            if note.parent is None:
                continue
            old = tree.nodes[note.parent]
            set_kids(old.obj, [k for k in kids(old.obj) if not _same(k, note.obj)])
            emptied.add(note.parent)
            if language(fragment) != language(node.parent):
                note.obj.Lang = String(language(fragment))
                note.lang = language(fragment)
        moved = [tree.nodes[f].obj for f in fragments if tree.nodes[f].parent is not None]
        siblings = kids(target.obj)
        at = next(i for i, kid in enumerate(siblings) if _same(kid, node.obj)) + 1
        set_kids(target.obj, siblings[:at] + moved + siblings[at:])
        tree.adopt(target.obj, moved, None)
    # The footnote areas they leave empty go too.
    for index in sorted(emptied, reverse=True):
        area = tree.nodes[index]
        if kids(area.obj) or area.parent is None:
            continue
        parent = tree.nodes[area.parent].obj
        set_kids(parent, [k for k in kids(parent) if not _same(k, area.obj)])
        area.removed = True


def _same(item, element) -> bool:
    return isinstance(item, Dictionary) and item.objgen == element.objgen


def drop_inherited_languages(pdf: pikepdf.Pdf, tree: StructTree) -> None:
    """Keep /Lang only where it changes the language (an English span in Kazakh text)."""
    document_lang = str(pdf.Root.get("/Lang", "")).lower()
    lang_of: dict[int, str] = {}
    for index, node in tree.live():
        inherited = document_lang if node.parent is None else lang_of[node.parent]
        own = inherited if node.lang is None else node.lang.lower()
        if node.lang is not None and own == inherited:
            del node.obj.Lang
            node.lang = None
        lang_of[index] = own


def identify_elements(pdf: pikepdf.Pdf, tree: StructTree) -> None:
    """Unique /IDs, one on every Note (PDF/UA 7.9, PDFUA1-NOTE-ID-001), in an /IDTree.

    An HTML id repeats on the boxes of one element (an anonymous box inside it: the id
    is dropped there) and on its fragments on later pages (they get `id~2`, `id~3`).
    """
    seen: dict[str, int] = {}
    notes = 0
    named: list[tuple[bytes, Dictionary]] = []
    for index, node in tree.live():
        ident = node.ident
        if ident and any(tree.nodes[a].ident == ident for a in tree.ancestors(index)):
            del node.obj.ID
            ident = node.ident = None
        if not ident and node.tag == "/Note":
            notes += 1
            ident = f"note-{notes}"
        if not ident:
            continue
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:
            ident = f"{ident}~{seen[ident]}"
        if ident != node.ident:
            node.obj.ID = String(ident)
        named.append((bytes(String(ident)), node.obj))
    if named:
        # One flat name tree, keys in byte order (ISO 32000-1, 7.9.6).
        flat = Array()
        for key, element in sorted(named, key=lambda pair: pair[0]):
            flat.append(String(key))
            flat.append(element)
        tree.root.IDTree = pdf.make_indirect(Dictionary(Names=flat))
