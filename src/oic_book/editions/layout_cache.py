"""The layout cache: chunks of the print edition laid out by an earlier build.

It lives in the project's `.cache/oic-book/layout/` and may be deleted at any time. An
entry is found by a key made of everything its layout depends on (`fingerprint`: the
style sheets and fonts, the builder's own code and templates, the versions of WeasyPrint
and the libraries under it; then the chunk's HTML, the content of the images it names
and, for a laid-out chunk, its first page number), never by a file's time stamp. So a changed input gives another key, and a
stale entry is never found.

Two kinds of entries:

* the number of pages a chunk's HTML takes (`page_count`): enough to number the chunks
  after it without laying it out (a chunk's page breaks do not depend on where it starts);
* the chunk laid out from a given first page (`laid_out`): its PDF and what the build
  takes from it (page numbers of its anchors, page starts, fonts, link texts).

An entry is one file: a line of JSON (which repeats the key and gives the length of the
PDF and a signature), then the PDF. Anything that does not read back exactly (a truncated
or corrupt file, another format, another key, a wrong signature) is a miss: it is removed
and the chunk is laid out again, so a damaged cache costs time, never a wrong book. Files
are written to a temporary name and renamed, so two builds at once never see half a file;
after a successful build, entries it did not use are removed.

Only entries this checkout wrote are used. A cached chunk goes into the book as it is, so
an entry from elsewhere (a `.cache/` committed to a pull request, copied from another
machine, or written by another user) could put any text or PDF action in the book. Each
entry is signed (HMAC-SHA-256) with a key made of 32 random bytes in `.cache/oic-book/key`
(mode 0600) and of that file's device and inode numbers: a key file that came with the
sources, even with its bytes, is another file on this machine, so whatever was signed with
it elsewhere does not verify here, and the book is laid out afresh. Copying a project
therefore starts its cache again; a hard link to the key keeps it (as the tests do).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from ..render import PageStart
from .chunks import FontUse, LaidOutChunk

log = logging.getLogger("oic_book")

#: Changed whenever what an entry holds, or how a chunk is laid out, changes in a way the
#: fingerprint would not see.
FORMAT = 2
FOLDER = Path(".cache") / "oic-book" / "layout"
KEY = Path(".cache") / "oic-book" / "key"
_KEY_BYTES = 32
_IMAGE = re.compile(r'oic-image:([^"\'\s)]+)')
_PACKAGES = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "pyphen", "fonttools", "pikepdf")
_LIBRARIES = (  # (soname, function returning its version string or number)
    ("libpango-1.0.so.0", "pango_version_string"),
    ("libharfbuzz.so.0", "hb_version_string"),
    ("libfontconfig.so.1", "FcGetVersion"),
)


def fingerprint(project) -> str:
    """What every chunk's layout depends on besides its HTML: style sheets and fonts, the
    builder's code and templates, the versions of the layout libraries."""
    from ..project import STYLES

    hasher = hashlib.sha256(f"oic-book layout cache {FORMAT}\n".encode())
    for path in sorted(project.styles.rglob("*")):
        hasher.update(path.relative_to(project.styles).as_posix().encode() + b"\0")
        try:  # through the project's rule, as the layout reads them
            hasher.update(hashlib.sha256(project.read(path, (STYLES,))).digest())
        except (OSError, ValueError) as exc:  # not a file the layout can use either
            hasher.update(type(exc).__name__.encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            hasher.update(path.relative_to(package).as_posix().encode() + b"\0")
            hasher.update(hashlib.sha256(path.read_bytes()).digest())
    for name in _PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        hasher.update(f"{name} {version}\n".encode())
    for soname, function in _LIBRARIES:
        hasher.update(f"{soname} {_library_version(soname, function)}\n".encode())
    return hasher.hexdigest()


def _library_version(soname: str, function: str) -> str:
    try:
        call = getattr(ctypes.CDLL(soname), function)
    except (OSError, AttributeError):
        return "-"
    if function == "FcGetVersion":
        call.restype = ctypes.c_int
        return str(call())
    call.restype = ctypes.c_char_p
    return call().decode("ascii", "replace")


@dataclass
class LayoutCache:
    """The entries of one project's cache; `used` collects the keys a build read or wrote.

    `images` (name → file) are the book's images: a chunk's HTML names them, so the key
    of a chunk includes the content of those it names.
    """

    folder: Path
    fingerprint: str
    project: object = None
    images: dict[str, Path] = field(default_factory=dict)
    signing_key: bytes = b""

    def __post_init__(self) -> None:
        self.used: set[str] = set()
        self._image_digests: dict[str, str] = {}

    def key(self, kind: str, html: str, *parts: str | int) -> str:
        hasher = hashlib.sha256(self.fingerprint.encode())
        for part in (kind, html, self._images_in(html), *parts):
            data = str(part).encode("utf-8")
            hasher.update(len(data).to_bytes(8, "big") + data)
        return hasher.hexdigest()

    def _images_in(self, html: str) -> str:
        """The SHA-256 of every image the HTML names, in order."""
        digests = []
        for name in _IMAGE.findall(html):
            if name not in self._image_digests:
                try:
                    data = self.project.read(self.images[name])
                    self._image_digests[name] = hashlib.sha256(data).hexdigest()
                except (KeyError, OSError, ValueError, AttributeError) as exc:
                    self._image_digests[name] = f"unreadable {type(exc).__name__}"
            digests.append(f"{name} {self._image_digests[name]}")
        return "\n".join(digests)

    # --- page counts ---

    def page_count(self, html: str) -> int | None:
        header = self._read(self.key("pages", html), with_pdf=False)
        count = header.get("pages") if header else None
        return count if isinstance(count, int) and count > 0 else None

    def store_page_count(self, html: str, count: int) -> None:
        self._write(self.key("pages", html), {"pages": count}, b"")

    # --- laid-out chunks ---

    def laid_out(self, html: str, first_page: int) -> LaidOutChunk | None:
        key = self.key("chunk", html, first_page)
        entry = self._read(key, with_pdf=True)
        if entry is None:
            return None
        header, data = entry
        try:
            chunk = _chunk_from_json(header["chunk"], data)
        except (KeyError, TypeError, ValueError) as exc:
            log.info("layout cache: entry %s… unusable (%s); laid out again", key[:12], exc)
            self._remove(key)
            return None
        if chunk.first_page != first_page:
            self._remove(key)
            return None
        return chunk

    def store_laid_out(self, html: str, chunk: LaidOutChunk) -> None:
        self.store_page_count(html, chunk.page_count)
        header = {"chunk": _chunk_to_json(chunk)}
        self._write(self.key("chunk", html, chunk.first_page), header, chunk.pdf)

    # --- font subsets ---

    def subset_font(self, source_sha256: str, data: bytes, glyphs: list[int]) -> bytes:
        """`pdfmerge.subset_font`, kept: the merged book's fonts change only when a glyph
        comes or goes."""
        from .pdfmerge import subset_font

        key = self.key("font", source_sha256, " ".join(map(str, glyphs)))
        entry = self._read(key, with_pdf=True)
        if entry is not None:
            return entry[1]
        program = subset_font(source_sha256, data, glyphs)
        self._write(key, {"font": source_sha256}, program)
        return program

    # --- files ---

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.entry"

    def _read(self, key: str, with_pdf: bool):
        path = self._path(key)
        try:
            with open(path, "rb") as handle:
                line = handle.readline(1 << 26)
                header = json.loads(line)
                if not isinstance(header, dict) or header.get("key") != key:
                    raise ValueError("another entry's key")
                if header.get("format") != FORMAT:
                    raise ValueError("another format")
                data = handle.read()
        except FileNotFoundError:
            return None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            log.info("layout cache: entry %s… unreadable (%s); laid out again", key[:12], exc)
            self._remove(key)
            return None
        mac = header.pop("mac", None)
        if (
            len(data) != header.get("length")
            or not isinstance(mac, str)
            or not hmac.compare_digest(mac, self._sign(header, data))
        ):
            log.info(
                "layout cache: entry %s… damaged or not written here; laid out again", key[:12]
            )
            self._remove(key)
            return None
        self.used.add(key)
        return (header, data) if with_pdf else header

    def _write(self, key: str, header: dict, data: bytes) -> None:
        header = {**header, "key": key, "format": FORMAT, "length": len(data)}
        header["mac"] = self._sign(header, data)
        line = json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"
        self.used.add(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".entry")
        except OSError as exc:  # a read-only project still builds, without the cache
            log.debug("layout cache: not written (%s)", exc)
            return
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(line)
                out.write(data)
            os.replace(name, self._path(key))
        except OSError as exc:
            log.debug("layout cache: not written (%s)", exc)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name)

    def _sign(self, header: dict, data: bytes) -> str:
        """The signature of an entry: its header (without the signature) and its PDF."""
        signer = hmac.new(self.signing_key, digestmod=hashlib.sha256)
        fields = json.dumps(header, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
        signer.update(len(fields).to_bytes(8, "big") + fields.encode("ascii"))
        signer.update(data)
        return signer.hexdigest()

    def _remove(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(key).unlink()

    def prune(self) -> None:
        """Remove the entries this build did not use, and temporary files left behind."""
        try:
            paths = list(self.folder.iterdir())
        except OSError:
            return
        for path in paths:
            if path.name.startswith(".tmp-") or path.stem not in self.used:
                with contextlib.suppress(OSError):
                    path.unlink()


def open_cache(project, images=()) -> LayoutCache | None:
    """The layout cache of a `project.Project`, or None if it cannot be used safely;
    `images` are the book's (`model.Image`)."""
    folder = project.root / FOLDER
    # Every folder on the way must be a real one in the project: a `.cache` that is a
    # symbolic link would have the build write elsewhere.
    current = project.root
    for part in FOLDER.parts:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            log.warning("layout cache: %s is not a folder of the project; not used", current)
            return None
    signing_key = _signing_key(project.root / KEY)
    if signing_key is None:
        return None
    files = {image.name: image.path for image in images}
    return LayoutCache(folder, fingerprint(project), project, files, signing_key)


def _signing_key(path: Path) -> bytes | None:
    """The key entries are signed with: the random bytes of `path` (made if missing) and
    the file's identity on this machine (see the module's note); None if there is no
    usable key file (a read-only project builds without the cache)."""
    for _attempt in range(2):
        try:
            handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            _make_key(path)
            continue
        except OSError as exc:  # a symbolic link, or not readable
            log.warning("layout cache: %s cannot be used (%s); not used", path, exc.strerror)
            return None
        try:
            status = os.fstat(handle)
            secret = os.read(handle, _KEY_BYTES + 1)
        finally:
            os.close(handle)
        if not stat.S_ISREG(status.st_mode) or len(secret) != _KEY_BYTES:
            log.warning("layout cache: %s is not a key file; not used", path)
            return None
        identity = f"{status.st_dev}:{status.st_ino}".encode("ascii")
        return hmac.new(secret, identity, hashlib.sha256).digest()
    return None


def _make_key(path: Path) -> None:
    """Write a new key file whole under a temporary name and link it into place, so a
    build running at the same time reads either no key file or a whole one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-key-")
    except OSError as exc:
        log.debug("layout cache: no key written (%s)", exc)
        return
    try:
        with os.fdopen(handle, "wb") as out:  # mkstemp made it mode 0600
            out.write(secrets.token_bytes(_KEY_BYTES))
        try:
            os.link(name, path)  # fails if another build made one first: that one is used
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: a rename (which could
            # replace a key made at the same moment: entries signed with it then miss)
            if not os.path.lexists(path):
                os.replace(name, path)
    except OSError as exc:
        log.debug("layout cache: no key written (%s)", exc)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _chunk_to_json(chunk: LaidOutChunk) -> dict:
    data = asdict(chunk)
    del data["pdf"]
    data["fonts"] = [
        {
            "name": font.name,
            "source_sha256": font.source_sha256,
            "widths": [[glyph, width] for glyph, width in sorted(font.widths.items())],
            "to_unicode": [[glyph, text] for glyph, text in sorted(font.to_unicode.items())],
        }
        for font in chunk.fonts
    ]
    return data


def _chunk_from_json(data: dict, pdf: bytes) -> LaidOutChunk:
    """A cached chunk, its every field checked for its type (the file may be anything)."""

    def of(value, kind):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"{value!r:.40} is not {kind.__name__}")
        return value

    def mapping(value, key_kind, value_kind) -> dict:
        return {of(k, key_kind): of(v, value_kind) for k, v in of(value, dict).items()}

    if data.get("refused"):
        raise ValueError("a chunk that refused URLs")
    fonts = tuple(
        FontUse(
            of(font["name"], str),
            of(font["source_sha256"], str),
            {of(g, int): of(w, int) for g, w in of(font["widths"], list)},
            {of(g, int): of(t, str) for g, t in of(font["to_unicode"], list)},
        )
        for font in of(data["fonts"], list)
    )
    starts = tuple(
        PageStart(
            of(s["number"], int), of(s["doc"], str), of(s["block_id"], str), of(s["words"], str)
        )
        for s in of(data["starts"], list)
    )
    if not pdf.startswith(b"%PDF-"):
        raise ValueError("not a PDF")
    return LaidOutChunk(
        of(data["name"], str),
        of(data["first_page"], int),
        of(data["page_count"], int),
        pdf,
        mapping(data["anchors"], str, int),
        starts,
        fonts,
        mapping(data["link_targets"], str, str),
        (),
    )
