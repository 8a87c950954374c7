"""The project's own files: the one rule for every path the build reads.

A manuscript may come from a stranger (a pull request built on a CI server), so every
path it names, and every file the builder itself reads from the project, goes through
`contain`: after resolving every symbolic link, the file must be inside `manuscript/` or
`styles/` of the project. `../`, absolute paths, symbolic links that lead out (or that
loop), and the two folders themselves being links elsewhere are all refused. The PDF's
URL fetcher, the EPUB packager, the readers of the manuscript and the checks all call
this module, so the rule cannot differ between `check` and `build`.

Reading goes through `read_file`, which also refuses what is not a regular file (a FIFO
would block the build for ever, a device would never end) and what is too large.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

MANUSCRIPT = "manuscript"
STYLES = "styles"
FOLDERS = (MANUSCRIPT, STYLES)

# No file of a book comes near this; a bigger one is a mistake (or an attack), and
# refusing it early keeps the build from filling memory.
MAX_FILE_BYTES = 64 * 1024 * 1024
# A Markdown or YAML file: 10 MB is some 2,500 pages in one file.
MAX_TEXT_BYTES = 10 * 1024 * 1024


class OutsideProject(ValueError):
    """A path that leads outside the allowed folders of the project (or cannot be used)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class NotARegularFile(OSError):
    """The path is a folder, a FIFO, a device or a socket, not a file to read."""


class FileTooLarge(OSError):
    """The file is larger than the build will read."""


@dataclass(frozen=True)
class Project:
    """A project folder: `manuscript/` (the author's files) and `styles/` (the look)."""

    root: Path  # absolute, symbolic links resolved

    @classmethod
    def at(cls, root: Path | str) -> Project:
        """The project at `root` (a relative path is taken from the current folder)."""
        return cls(Path(os.path.realpath(root)))

    @property
    def manuscript(self) -> Path:
        return self.root / MANUSCRIPT

    @property
    def styles(self) -> Path:
        return self.root / STYLES

    def contain(self, path: Path | str, folders: tuple[str, ...] = FOLDERS) -> Path:
        """`path` with symbolic links resolved, if that is inside one of `folders`."""
        return contain(path, self.root, folders)

    def read(self, path: Path | str, folders: tuple[str, ...] = FOLDERS, limit=MAX_FILE_BYTES):
        """The bytes of a project file; see `read_file`."""
        return read_file(path, self.root, folders, limit)


def resolve(path: Path | str) -> Path:
    """The absolute path with every symbolic link resolved, for a file that may not exist.

    The part of the path that exists is resolved strictly (so a loop is an error, where
    `os.path.realpath` would quietly return the unresolved path); the missing rest is
    appended as written and normalised, since nothing can be followed through it.
    Raises `OutsideProject` for a loop or an unusable name.
    """
    path = Path(os.path.abspath(path))
    missing: list[str] = []
    current = path
    while True:
        try:
            real = os.path.realpath(current, strict=True)
            break
        except (FileNotFoundError, NotADirectoryError):
            if current.parent == current:
                real = str(current)
                break
            missing.insert(0, current.name)
            current = current.parent
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutsideProject(path, "is a loop of symbolic links") from None
            if exc.errno == errno.ENAMETOOLONG:
                raise OutsideProject(path, "the file name is too long") from None
            raise OutsideProject(path, f"cannot be resolved ({exc.strerror})") from None
        except ValueError:  # an embedded NUL byte
            raise OutsideProject(path, "is not a valid file name") from None
    return Path(os.path.normpath(os.path.join(real, *missing)))


def contain(path: Path | str, root: Path, folders: tuple[str, ...] = FOLDERS) -> Path:
    """`path`, resolved, if it is inside `root/F` for one of `folders`; else raise.

    The folders are taken as they are named under the (resolved) root and are not
    resolved themselves: if `manuscript/` is itself a symbolic link
    to somewhere else, everything in it is outside.
    """
    root = Path(os.path.realpath(root))
    real = resolve(path)
    allowed = [root / folder for folder in folders]
    if any(real == folder or real.is_relative_to(folder) for folder in allowed):
        return real
    names = " or ".join(f"{folder}/" for folder in folders)
    raise OutsideProject(path, f"{_how_it_leaves(Path(path), root)}outside {names}")


def _how_it_leaves(path: Path, root: Path) -> str:
    """Why a path is outside: the symbolic link it goes through, if there is one."""
    absolute = Path(os.path.abspath(path))
    if not absolute.is_relative_to(root):
        return "leads "
    current = root
    for part in absolute.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            try:
                target = os.readlink(current)
            except OSError:
                target = "?"
            shown = current.relative_to(root).as_posix()
            return f"goes through the symbolic link {shown} → {target}, "
    return "leads "


def as_on_disk(path: Path) -> Path:
    """`path`, or the file beside it whose name is the same text in another Unicode form.

    Names in the manuscript are NFC (text is normalised when read), but a file saved on
    macOS or copied from an archive may be named in NFD: «й» as и + U+0306. Linux file
    systems compare bytes, so the name is looked up by its NFC form.
    """
    try:
        if path.exists() or not path.parent.is_dir():
            return path
    except (OSError, ValueError):  # a name too long, a NUL: `contain` will say so
        return path
    wanted = unicodedata.normalize("NFC", path.name)
    try:
        for entry in os.scandir(path.parent):
            if unicodedata.normalize("NFC", entry.name) == wanted:
                return path.parent / entry.name
    except OSError:
        pass
    return path


def read_file(
    path: Path | str,
    root: Path,
    folders: tuple[str, ...] = FOLDERS,
    limit: int = MAX_FILE_BYTES,
) -> bytes:
    """The bytes of a regular file inside the project (see `contain`).

    Raises `OutsideProject`, `FileNotFoundError`, `NotARegularFile`, `FileTooLarge`, or
    another `OSError` from the file system.
    """
    real = contain(path, root, folders)
    info = os.stat(real)
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise NotARegularFile(errno.EINVAL, f"is {kind}", str(path))
    if info.st_size > limit:
        raise FileTooLarge(
            errno.EFBIG, f"is larger than {limit // (1024 * 1024)} MB", str(path)
        )
    with open(real, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew while we read it
        raise FileTooLarge(
            errno.EFBIG, f"is larger than {limit // (1024 * 1024)} MB", str(path)
        )
    return data
