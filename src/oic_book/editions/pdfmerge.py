"""One PDF from the PDFs of the print edition's chunks, as WeasyPrint would have written
the whole book (pikepdf/qpdf).

WeasyPrint writes each chunk as a tagged PDF/UA-1 file. Merged, in page order:

* **pages**, with the blank left-hand page WeasyPrint leaves before a chunk that would
  otherwise start on the left;
* **structure tree**: the kids of each chunk's `/Document` element go under one
  `/Document`; the parent tree is numbered again as WeasyPrint numbers it (pages 0…n−1,
  then the link annotations in page order) (table header ids are made unique by the
  chunks' own PDFs, `pdf._unique_header_ids`);
* **outline**: the chunks' top-level bookmarks in one chain;
* **named destinations**: one sorted name tree, so links between chunks (kept by
  `weasyprint_fixes.chunking`) resolve; a link to no destination is reported;
* **fonts**: each chunk embeds a subset of the same font under the same name; they
  become one font whose subset holds the glyphs of every chunk (cut from the shipped font
  file again, with WeasyPrint's own options), with the widths and Unicode map of all, so
  the file is no larger than a single pass's;
* the catalog, document information and XMP metadata of the first chunk (the same in all).

The output is reproducible: qpdf writes objects in a fixed order and the /ID is derived
from the book's identifier and the content.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .chunks import FontUse, LaidOutChunk, next_right_page

log = logging.getLogger("oic_book")

# WeasyPrint's bits of the font descriptor's /Flags that do not depend on the glyphs.
_FIXED_PITCH = 1
#: The version WeasyPrint 70 writes PDF/UA-1 in (`weasyprint.pdf.pdfua.VARIANTS`).
PDF_VERSION = "1.7"


def merge(
    chunks: list[LaidOutChunk],
    fonts_dir: Path,
    identifier: bytes,
    subset: Callable[[str, bytes, list[int]], bytes] | None = None,
):
    """The chunks' PDFs (in any order) as one PDF/UA-1 document: a `pikepdf.Pdf`, to be
    completed (`pdfua.complete`) and written (`pdf_bytes`)."""
    import pikepdf

    out = pikepdf.new()
    document = out.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=pikepdf.Array()
        )
    )
    chunks = sorted(chunks, key=lambda chunk: chunk.first_page)
    # Copied in page order: qpdf numbers the objects it writes after the order they were
    # made in, so the same book is always copied the same way.
    copied = [_copy(out, chunk) for chunk in chunks]
    page_arrays: list = []
    annotations: list = []
    outline: list = []
    destinations: list = []
    after = 0  # the last page so far
    for chunk, parts in zip(chunks, copied, strict=True):
        if chunk.first_page != next_right_page(after):
            raise ValueError(f"chunk {chunk.name} starts on page {chunk.first_page}")
        if chunk.first_page == after + 2:
            _append_blank_page(out, page_arrays)  # the verso left blank before a chunk
        for page in parts.pages:
            out.pages.append(pikepdf.Page(page))
        for kid in parts.kids:
            kid.P = document
            document.K.append(kid)
        page_arrays += parts.page_arrays
        annotations += parts.annotations
        outline += parts.outline
        destinations += parts.destinations
        after = chunk.first_page + chunk.page_count - 1
    tree = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    tree.K = pikepdf.Array([document])
    document.P = tree
    out.Root.StructTreeRoot = tree
    _write_parent_tree(out, page_arrays, annotations)
    _write_outline(out, outline)
    _write_destinations(out, destinations)
    fonts = [parts.fonts for parts in copied if parts.fonts is not None]
    _merge_fonts(out, chunks, fonts, fonts_dir, subset or subset_font)
    # The first half of the /ID is the book's; `pdf_bytes` makes the second from the content.
    out.trailer.ID = pikepdf.Array([pikepdf.String(identifier), pikepdf.String(identifier)])
    return out


def pdf_bytes(pdf) -> bytes:
    """Write the merged PDF as `pdfua.make_accessible` writes one PDF: an /ID whose second
    half is a hash of the content (the same book gives the same bytes), and object
    streams."""
    import pikepdf

    target = io.BytesIO()
    pdf.save(
        target,
        deterministic_id=True,
        min_version=PDF_VERSION,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    return target.getvalue()


@dataclass
class _Copied:
    """What one chunk brought into the merged PDF, until the pages are put in order."""

    pages: list  # page dictionaries, not yet in the page tree
    kids: list  # the structure elements under its /Document
    page_arrays: list  # the parent tree's entry of each page
    annotations: list  # (annotation, its structure element), in the chunk's order
    outline: list  # (top-level bookmark, its /Count)
    destinations: list  # (name, destination)
    fonts: object  # its /Font resource dictionary


def _copy(out, chunk: LaidOutChunk) -> _Copied:
    """Copy a laid-out chunk's objects into the merged PDF."""
    import pikepdf

    with pikepdf.open(io.BytesIO(chunk.pdf)) as source:
        pages = [page.obj for page in source.pages]
        if len(pages) != chunk.page_count:
            raise ValueError(f"chunk {chunk.name}: {len(pages)} pages, not {chunk.page_count}")
        _detach(source, pages)
        copy = _copier(out, source)
        pages = [copy(page) for page in pages]
        root = source.Root.StructTreeRoot
        entries = dict(pikepdf.NumberTree(root.ParentTree).items())
        kids = [copy(kid) for kid in root.K[0].K]
        page_arrays = [copy(entries[index]) for index in range(len(pages))]
        by_key = {}
        for page in pages:
            for annotation in page.get("/Annots", ()):
                key = annotation.get("/StructParent")
                if key is not None:
                    by_key[int(key)] = annotation
        annotations = [(by_key[key], copy(entries[key])) for key in sorted(by_key)]
        outline = []
        outlines = source.Root.get("/Outlines")
        item = outlines.get("/First") if outlines is not None else None
        while item is not None:
            outline.append((copy(item), int(item.get("/Count", 0))))
            item = item.get("/Next")
        destinations = []
        names = source.Root.get("/Names")
        dests = names.get("/Dests") if names is not None else None
        if dests is not None:
            array = copy(dests.Names)
            destinations = [(str(array[i]), array[i + 1]) for i in range(0, len(array), 2)]
        fonts = pages[0].Resources.get("/Font") if pages else None
        if chunk.first_page == 1:  # the front matter: the book's catalog entries
            for key, value in source.Root.items():
                if key not in ("/Type", "/Pages", "/StructTreeRoot", "/Names", "/Outlines"):
                    out.Root[key] = copy(value)
            out.trailer.Info = copy(source.trailer.Info)
        if source.pdf_version != PDF_VERSION:
            raise ValueError(f"chunk {chunk.name} is PDF {source.pdf_version}")
    return _Copied(pages, kids, page_arrays, annotations, outline, destinations, fonts)


def _copier(out, source):
    """Copy objects of `source` into `out`; what was copied already is shared, not copied
    again (qpdf keeps one map per source), so references to its pages land on the copies."""

    def copy(obj):
        if not obj.is_indirect:
            obj = source.make_indirect(obj)
        return out.copy_foreign(obj)

    return copy


def _detach(source, pages) -> None:
    """Cut the links from a chunk's pages, top-level structure elements and bookmarks up
    to their roots, so that copying them copies nothing else."""
    for page in pages:
        del page["/Parent"]
    for kid in source.Root.StructTreeRoot.K[0].K:
        if "/P" in kid:
            del kid["/P"]
    outlines = source.Root.get("/Outlines")
    item = outlines.get("/First") if outlines is not None else None
    while item is not None:
        del item["/Parent"]
        item = item.get("/Next")


def _append_blank_page(out, page_arrays: list) -> None:
    """A blank page as WeasyPrint makes one: same boxes and resources as the page before."""
    import pikepdf

    previous = out.pages[-1].obj
    height = previous.MediaBox[3]
    content = f"1 0 0 -1 0 {height} cm\nq\n0.75 0 0 0.75 0 0 cm\nQ".encode("ascii")
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=previous.MediaBox,
        TrimBox=previous.TrimBox,
        BleedBox=previous.BleedBox,
        Contents=out.make_stream(content),
        Resources=previous.Resources,
        Tabs=pikepdf.Name.S,
    )
    out.pages.append(pikepdf.Page(page))
    page_arrays.append(pikepdf.Array())


def _write_parent_tree(out, page_arrays, annotations) -> None:
    """Number the parent tree as WeasyPrint does for one document."""
    import pikepdf

    nums = []
    for index, (page, array) in enumerate(zip(out.pages, page_arrays, strict=True)):
        page.obj.StructParents = index
        nums += [index, array]
    for key, (annotation, element) in enumerate(annotations, start=len(page_arrays)):
        annotation.StructParent = key
        nums += [key, element]
    out.Root.StructTreeRoot.ParentTree = out.make_indirect(
        pikepdf.Dictionary(Nums=pikepdf.Array(nums))
    )


def _write_outline(out, items) -> None:
    import pikepdf

    if not items:
        return
    root = out.make_indirect(pikepdf.Dictionary())
    out.Root.Outlines = root
    previous = None
    count = 0
    for item, item_count in items:
        item.Parent = root
        if "/Prev" in item:
            del item["/Prev"]
        if "/Next" in item:
            del item["/Next"]
        if previous is not None:
            previous.Next = item
            item.Prev = previous
        previous = item
        count += 1 + max(item_count, 0)
    root.First = items[0][0]
    root.Last = items[-1][0]
    root.Count = count


def _write_destinations(out, destinations) -> None:
    import pikepdf

    destinations.sort(key=lambda pair: pair[0])
    names = set()
    array = []
    for name, destination in destinations:
        if name in names:
            continue  # the first of two anchors with one name, as WeasyPrint
        names.add(name)
        array += [pikepdf.String(name), destination]
    out.Root.Names = pikepdf.Dictionary(
        Dests=out.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(array)))
    )
    for page in out.pages:
        for annotation in page.obj.get("/Annots", ()):
            target = annotation.get("/Dest")
            if isinstance(target, pikepdf.String) and str(target) not in names:
                log.error("No anchor #%s for internal URI reference", target)


# --- fonts -----------------------------------------------------------------------------


def _merge_fonts(out, chunks, font_dicts, fonts_dir: Path, subset) -> None:
    """One font per name for the whole book instead of one subset per chunk."""
    import pikepdf

    uses: dict[str, list[FontUse]] = {}
    for chunk in chunks:
        for use in chunk.fonts:
            uses.setdefault(use.name, []).append(use)
    sources = _font_files(fonts_dir)
    merged = {}
    for fonts in font_dicts:
        for key, font in list(fonts.items()):
            name = str(font.BaseFont).lstrip("/")
            if name not in uses or font.get("/Encoding") != pikepdf.Name("/Identity-H"):
                continue  # a font WeasyPrint wrote differently (missing glyphs): kept as is
            if name not in merged:
                merged[name] = _merged_font(out, font, uses[name], sources, subset)
            if merged[name] is not None:
                fonts[key] = merged[name]


def _font_files(fonts_dir: Path) -> dict[str, Path]:
    return {
        hashlib.sha256(path.read_bytes()).hexdigest(): path
        for path in sorted(fonts_dir.glob("*"))
        if path.suffix.lower() in (".ttf", ".otf")
    }


def _merged_font(out, font, uses: list[FontUse], sources: dict[str, Path], subset):
    """`font` (a chunk's Type0 font) made to hold the glyphs of every use."""
    import pikepdf

    if len({use.source_sha256 for use in uses}) != 1 or uses[0].source_sha256 not in sources:
        return None
    widths: dict[int, int] = {}
    to_unicode: dict[int, str] = {}
    for use in uses:
        widths.update(use.widths)
        for glyph, text in use.to_unicode.items():
            to_unicode.setdefault(glyph, text)
    data = sources[uses[0].source_sha256].read_bytes()
    program = subset(uses[0].source_sha256, data, sorted(to_unicode))

    descendant = font.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    file_key = "/FontFile2" if "/FontFile2" in descriptor else "/FontFile3"
    stream = out.make_stream(program)
    if file_key == "/FontFile2":
        stream.Length1 = len(program)
    else:
        stream.Subtype = descriptor[file_key].Subtype
    ascent = descriptor.Ascent
    descent = descriptor.Descent
    flags = int(descriptor.Flags) & ~_FIXED_PITCH
    if len(widths) > 1 and len(set(widths.values())) == 1:
        flags |= _FIXED_PITCH
    new_descriptor = pikepdf.Dictionary(descriptor)
    new_descriptor[file_key] = stream
    new_descriptor.Flags = flags
    new_descriptor.FontBBox = pikepdf.Array(
        [0, descent, max(widths.values(), default=0), ascent]
    )
    new_descriptor.CapHeight = ascent
    new_descendant = pikepdf.Dictionary(descendant)
    new_descendant.FontDescriptor = out.make_indirect(new_descriptor)
    new_descendant.W = _widths_array(widths)
    new_font = pikepdf.Dictionary(font)
    new_font.DescendantFonts = pikepdf.Array([out.make_indirect(new_descendant)])
    new_font.ToUnicode = out.make_stream(_to_unicode_cmap(to_unicode))
    return out.make_indirect(new_font)


def _widths_array(widths: dict[int, int]):
    """/W as WeasyPrint writes it: runs of consecutive glyph ids."""
    import pikepdf

    array: list = []
    run: list | None = None
    for glyph in sorted(widths):
        if glyph - 1 not in widths:
            run = []
            array += [glyph, run]
        run.append(widths[glyph])
    return pikepdf.Array(
        [item if isinstance(item, int) else pikepdf.Array(item) for item in array]
    )


def _to_unicode_cmap(to_unicode: dict[int, str]) -> bytes:
    """The /ToUnicode CMap as WeasyPrint writes it."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(to_unicode.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for glyph, text in batch:
            codes = "".join(letter.encode("utf-16-be").hex() for letter in text)
            lines.append(f"<{glyph:04x}> <{codes}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def subset_font(source_sha256: str, data: bytes, glyphs: list[int]) -> bytes:
    """The glyphs of a font file, at their own ids, with WeasyPrint 70's fontTools options
    (`pdf.fonts.Font._fonttools_subset`): hinting, GSUB, GPOS and SVG dropped."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options(
        retain_gids=True,
        passthrough_tables=True,
        ignore_missing_glyphs=True,
        hinting=False,
        desubroutinize=True,
        notdef_outline=False,
    )
    dropped = ["GSUB", "GPOS", "SVG "]
    options.drop_tables += [tag.strip() for tag in dropped]
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=glyphs)
    # recalcTimestamp=False: the file's own date, not the clock (reproducible bytes).
    font = TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    for tag in dropped:  # before subsetting, which would read them first (seconds)
        if tag in font:
            del font[tag]
    subsetter.subset(font)
    output = io.BytesIO()
    font.save(output)
    return output.getvalue()
