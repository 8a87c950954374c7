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
- /Lang repeated where it says nothing new.

`make_accessible` is a pure function of the PDF bytes (and the link descriptions, plain
data from the HTML); pikepdf writes the result with a /ID derived from the content, so
the same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Iterable, Iterator, Mapping

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..kazakh import locale

CONTENTS_ID = "contents"  # the id of the contents <nav> (templates/sections/contents.html)
_SPACE = re.compile(r"\s+")
_DESCRIPTION_LENGTH = 120


def make_accessible(data: bytes, link_targets: Mapping[str, str] | None = None) -> bytes:
    """The PDF with its structure tree completed for PDF/UA-1 (see the module docstring).

    `link_targets` maps the id an internal link points to onto words that say what is
    there (`link_targets_of`); the page comes from the PDF.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/StructTreeRoot" not in pdf.Root:
            raise ValueError("the PDF has no structure tree")
        tree = StructTree(pdf)
        mark_unowned_content_as_artifacts(pdf, tree)
        tag_link_annotations(pdf, tree)
        describe_links(pdf, link_targets or {})
        tag_contents(tree)
        drop_inherited_languages(pdf, tree)
        identify_elements(pdf, tree)
        out = io.BytesIO()
        # The first half of the /ID (WeasyPrint's, from book.yaml) is kept; the second is
        # a hash of the content instead of qpdf's clock-based one.
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


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


def kids(element) -> list:
    """The /K of a structure element as a list (it may be absent, one object or an array)."""
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, Array) else [k]


def set_kids(element, items: list) -> None:
    element.K = Array(items)


class StructTree:
    """The structure tree and its parent tree, with the lookups the fixes need."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.root = pdf.Root.StructTreeRoot
        self.parent_tree = pikepdf.NumberTree(self.root.ParentTree)
        self.page_keys = {
            page.obj.objgen: int(page.obj.StructParents)
            for page in pdf.pages
            if "/StructParents" in page.obj
        }

    def elements(self) -> Iterator[tuple[Dictionary, tuple[Dictionary, ...]]]:
        """Every structure element in reading order, with its ancestors (outermost first)."""
        # A stack, not recursive generators: those cost a step per level for every yield.
        stack = [(top, ()) for top in reversed(kids(self.root)) if _is_element(top)]
        while stack:
            element, ancestors = stack.pop()
            yield element, ancestors
            inner = (*ancestors, element)
            stack.extend((kid, inner) for kid in reversed(kids(element)) if _is_element(kid))

    def reachable(self) -> set[tuple[int, int]]:
        return {element.objgen for element, _ in self.elements()}

    def page_mcids(self, page) -> Array | None:
        """The parent tree's array for a page: structure element by MCID."""
        key = self.page_keys.get(page.objgen)
        return None if key is None else self.parent_tree.get(key)

    def set_owner(self, kid, page, new_parent) -> None:
        """Point the parent tree at `new_parent` for a kid that moved: an MCID (on
        `page`), a marked-content reference or an object reference; or set a child
        element's /P."""
        if _is_element(kid):
            kid.P = new_parent
        elif isinstance(kid, int):
            mcids = self.page_mcids(page)
            if mcids is not None and kid < len(mcids):
                mcids[kid] = new_parent
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
            self.set_owner(int(kid.MCID), kid.get("/Pg", page), new_parent)
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR:
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
    reachable = tree.reachable()
    for page in pdf.pages:
        mcids = tree.page_mcids(page.obj)
        if mcids is None:
            continue
        unowned = {
            mcid
            for mcid, owner in enumerate(mcids)
            if isinstance(owner, Dictionary) and owner.objgen not in reachable
        }
        if not unowned:
            continue
        instructions = pikepdf.parse_content_stream(page)
        for index, instruction in enumerate(instructions):
            if instruction.operator != pikepdf.Operator("BDC"):
                continue
            properties = instruction.operands[1]
            if (
                isinstance(properties, Dictionary)
                and int(properties.get("/MCID", -1)) in unowned
            ):
                instructions[index] = pikepdf.ContentStreamInstruction(
                    [Name.Artifact, Dictionary(Type=Name.Pagination)], instruction.operator
                )
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
        for mcid in unowned:
            mcids[mcid] = None


def tag_link_annotations(pdf: pikepdf.Pdf, tree: StructTree) -> None:
    """Every link annotation is held by a Link element, and no Link is inside another.

    WeasyPrint 70 gives the annotation to whichever box carries it: a span inside a
    link, or a link's ::after (the contents' leader and page number), a Link in a Link.
    PDF/UA (page-validation PDFUA1-LINK-LINK-TAG-001) wants one Link holding them.
    """
    for top in kids(tree.root):
        if _is_element(top):
            _flatten_links(tree, top, None, [])
    ancestors_of = {element.objgen: ancestors for element, ancestors in tree.elements()}
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") != Name.Link or "/StructParent" not in annotation:
                continue
            owner = tree.parent_tree.get(int(annotation.StructParent))
            if owner is None or owner.S == Name.Link:
                continue
            objr = next(item for item in kids(owner) if _is_objr(item, annotation))
            outer = next(
                (a for a in reversed(ancestors_of.get(owner.objgen, ())) if a.S == Name.Link),
                None,
            )
            if outer is not None:
                set_kids(
                    owner, [item for item in kids(owner) if not _is_objr(item, annotation)]
                )
                _add_objrs(outer, [objr], tree, page.obj)
            elif owner.S == Name.Span:
                owner.S = Name.Link
            else:
                link = new_element(pdf, "Link", owner, page.obj, [objr])
                set_kids(owner, [link if _is_objr(i, annotation) else i for i in kids(owner)])
                tree.parent_tree[int(annotation.StructParent)] = link


def _flatten_links(tree: StructTree, element, outer, pending: list) -> None:
    """Splice every Link inside the Link `outer` into its parent; its object references
    are collected in `pending`, and given to `outer` when its subtree is done."""
    result, changed = [], False
    for kid in kids(element):
        if not _is_element(kid):
            result.append(kid)
        elif kid.S != Name.Link:
            _flatten_links(tree, kid, outer, pending)
            result.append(kid)
        elif outer is None:
            own: list = []
            _flatten_links(tree, kid, kid, own)
            if own:
                _add_objrs(kid, own, tree, kid.get("/Pg"))
            result.append(kid)
        else:
            _flatten_links(tree, kid, outer, pending)
            for item in kids(kid):
                if _is_objr(item):
                    pending.append(item)
                else:
                    result.append(item)
                    tree.set_owner(item, kid.get("/Pg"), element)
            changed = True
    if changed:
        set_kids(element, result)


def _is_objr(item, annotation=None) -> bool:
    if not (isinstance(item, Dictionary) and item.get("/Type") == Name.OBJR):
        return False
    return annotation is None or item.Obj.objgen == annotation.objgen


def _add_objrs(link, objrs: list, tree: StructTree, page) -> None:
    """Add object references to a Link, after the ones it has (they carry no text)."""
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
    for element, _ in list(tree.elements()):
        if element.get("/ID") == CONTENTS_ID:
            for kid in kids(element):
                if _is_element(kid) and kid.S == Name.L:
                    _list_to_toc(tree, kid)


def _list_to_toc(tree: StructTree, lst) -> None:
    lst.S = Name.TOC
    items, entry = [], None
    for item in kids(lst):
        if _is_element(item) and item.S == Name.L and entry is not None:
            # WeasyPrint 70 puts a list nested in a marked <li> beside it: the entry's
            # sections go inside the entry.
            _list_to_toc(tree, item)
            item.P = entry
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
                sub.P = item
                entry.append(sub)
        else:
            entry.append(kid)
    set_kids(item, entry)


def drop_inherited_languages(pdf: pikepdf.Pdf, tree: StructTree) -> None:
    """Keep /Lang only where it changes the language (an English span in Kazakh text)."""
    document_lang = str(pdf.Root.get("/Lang", ""))
    lang_of = {}
    for element, ancestors in tree.elements():
        inherited = lang_of.get(ancestors[-1].objgen) if ancestors else document_lang
        own = str(element.get("/Lang", inherited or ""))
        if "/Lang" in element and own.lower() == (inherited or "").lower():
            del element.Lang
        lang_of[element.objgen] = own


def identify_elements(pdf: pikepdf.Pdf, tree: StructTree) -> None:
    """Unique /IDs, one on every Note (PDF/UA 7.9, PDFUA1-NOTE-ID-001), in an /IDTree.

    An HTML id repeats on the boxes of one element (an anonymous box inside it: the id
    is dropped there) and on its fragments on later pages (they get `id~2`, `id~3`).
    """
    seen: dict[str, int] = {}
    notes = 0
    for element, ancestors in tree.elements():
        ident = str(element.get("/ID", ""))
        if ident and any(str(a.get("/ID", "")) == ident for a in ancestors):
            del element.ID
            ident = ""
        if not ident and element.S == Name.Note:
            notes += 1
            ident = f"note-{notes}"
        if not ident:
            continue
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:
            ident = f"{ident}~{seen[ident]}"
        element.ID = String(ident)
    id_tree = pikepdf.NameTree.new(pdf)
    for element, _ in tree.elements():
        if "/ID" in element:
            id_tree[str(element.ID)] = element
    if len(id_tree):
        tree.root.IDTree = id_tree.obj
