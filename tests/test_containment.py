"""Containment: every path the manuscript names, and every file the builder reads from the
project, stays inside `manuscript/` or `styles/` after symbolic links are resolved.

The class is tested at three levels: the rule itself (`project.contain`), every place a
manuscript can name a path (a located error from `check`), and a whole hostile build
watched by an audit hook (`sys.addaudithook`): nothing outside the project, the output
folder, the temporary folder and the Python runtime is opened or listed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from badcases import BASE, ROOT, subprocess_env

from oic_book.manuscript.check import check_project
from oic_book.project import (
    FileTooLarge,
    NotARegularFile,
    OutsideProject,
    Project,
    contain,
    read_file,
)


def mini_project(destination: Path) -> Path:
    shutil.copytree(BASE / "manuscript", destination / "manuscript")
    shutil.copytree(ROOT / "styles", destination / "styles")
    return destination


@pytest.fixture
def project(tmp_path) -> Path:
    """A tiny valid project, with a secret file beside it that nothing may read."""
    (tmp_path / "secret.md").write_text("# Құпия\n\nҚҰПИЯ МӘТІН\n", encoding="utf-8")
    (tmp_path / "secret.css").write_text("body { color: red }\n", encoding="utf-8")
    return mini_project(tmp_path / "project")


# (a) the rule ----------------------------------------------------------------------------


def test_contain_accepts_files_inside_even_through_inner_symlinks(project):
    chapters = project / "manuscript" / "chapters"
    (chapters / "alias.md").symlink_to("01.md")
    (project / "manuscript" / "more").symlink_to("chapters", target_is_directory=True)
    assert contain(chapters / "alias.md", project) == (chapters / "01.md").resolve()
    assert (
        contain(project / "manuscript" / "more" / "01.md", project)
        == (chapters / "01.md").resolve()
    )
    # a file that does not exist yet is judged by where it would be
    assert contain(chapters / "new.md", project) == (chapters / "new.md").resolve()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p / "manuscript" / ".." / ".." / "secret.md", "leads outside"),
        (lambda p: Path("/etc/passwd"), "leads outside"),
        (lambda p: p / "README.md", "leads outside"),
        (
            lambda p: _link(p / "manuscript" / "chapters" / "out.md", p.parent / "secret.md"),
            "goes through the symbolic link manuscript/chapters/out.md",
        ),
        (
            lambda p: _link(p / "manuscript" / "up", p.parent, directory=True) / "secret.md",
            "goes through the symbolic link manuscript/up",
        ),
        (
            lambda p: _link(p / "manuscript" / "chapters" / "abs.md", Path("/etc/passwd")),
            "→ /etc/passwd",
        ),
        (lambda p: _loop(p / "manuscript" / "chapters"), "is a loop of symbolic links"),
        (lambda p: p / "manuscript" / "a\0b.md", "is not a valid file name"),
        (lambda p: p / "manuscript" / ("x" * 5000 + ".md"), "too long"),
        (lambda p: p / "styles" / "fonts" / "x.ttf", "outside manuscript/"),
    ],
)
def test_contain_refuses_every_way_out(project, make, reason):
    path = make(project)
    folders = ("manuscript",) if "styles" in str(path) else ("manuscript", "styles")
    with pytest.raises(OutsideProject) as caught:
        contain(path, project, folders)
    assert reason in str(caught.value)


def test_a_manuscript_folder_that_is_itself_a_link_is_outside(tmp_path):
    real = mini_project(tmp_path / "real")
    project = tmp_path / "project"
    project.mkdir()
    (project / "manuscript").symlink_to(real / "manuscript", target_is_directory=True)
    (project / "styles").symlink_to(real / "styles", target_is_directory=True)
    with pytest.raises(OutsideProject, match="symbolic link manuscript"):
        contain(project / "manuscript" / "book.yaml", project)
    _, problems = check_project(project)
    assert [p.code for p in problems.errors] == ["E003"]
    assert problems.errors[0].path == "manuscript/book.yaml"


def test_read_file_refuses_what_is_not_a_regular_file_or_too_large(project):
    fifo = project / "manuscript" / "chapters" / "fifo.md"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile):  # would block for ever if opened
        read_file(fifo, project)
    with pytest.raises(NotARegularFile):
        read_file(project / "manuscript" / "chapters", project)
    with pytest.raises(FileTooLarge):
        read_file(project / "manuscript" / "book.yaml", project, limit=10)
    assert read_file(project / "manuscript" / "book.yaml", project).startswith(b"title")


def _link(path: Path, target: Path, directory: bool = False) -> Path:
    path.symlink_to(target, target_is_directory=directory)
    return path


def _loop(folder: Path) -> Path:
    (folder / "a.md").symlink_to("b.md")
    (folder / "b.md").symlink_to("a.md")
    return folder / "a.md"


# (b) every path a manuscript names is a located error from `check` --------------------------


def _book_yaml(project: Path, **changes: str) -> int:
    """Replace (or add) keys of book.yaml at its end; returns the line of the last one."""
    path = project / "manuscript" / "book.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    for key, value in changes.items():
        lines = [line for line in lines if not line.startswith(f"{key}:")]
        lines.append(f"{key}: {value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def _codes(project: Path) -> list[str]:
    _, problems = check_project(project)
    return [p.format() for p in problems.sorted()]


def test_a_chapter_outside_the_manuscript_is_refused(project):
    _book_yaml(project, front="[../../secret.md]")
    assert _codes(project) == [
        "manuscript/book.yaml:10: error: '../../secret.md' leads outside manuscript/ [E003]"
    ]


@pytest.mark.parametrize("key", ["glossary", "wordlist"])
def test_glossary_and_word_list_outside_are_refused(project, key):
    line = _book_yaml(project, **{key: "/etc/passwd"})
    assert _codes(project) == [
        f"manuscript/book.yaml:{line}: error: '/etc/passwd' leads outside manuscript/ [E003]"
    ]


def test_a_chapter_linked_out_is_refused_and_nothing_is_published(project):
    (project / "manuscript" / "chapters" / "01.md").unlink()
    _link(project / "manuscript" / "chapters" / "01.md", project.parent / "secret.md")
    lines = _codes(project)
    assert len(lines) == 1 and lines[0].startswith(
        "manuscript/book.yaml:8: error: 'chapters/01.md'"
    )
    assert "symbolic link manuscript/chapters/01.md" in lines[0] and "[E003]" in lines[0]


def test_a_symlink_loop_is_a_located_error(project):
    (project / "manuscript" / "chapters" / "01.md").unlink()
    _loop(project / "manuscript" / "chapters")
    (project / "manuscript" / "chapters" / "a.md").rename(
        project / "manuscript" / "chapters" / "01.md"
    )
    (project / "manuscript" / "chapters" / "b.md").unlink()
    (project / "manuscript" / "chapters" / "b.md").symlink_to("01.md")
    assert _codes(project) == [
        "manuscript/book.yaml:8: error: 'chapters/01.md' is a loop of symbolic links [E003]"
    ]


def test_a_stray_link_in_the_chapters_folder_is_not_read(project):
    _link(project / "manuscript" / "chapters" / "02.md", project.parent / "secret.md")
    _loop(project / "manuscript" / "chapters")
    lines = _codes(project)
    assert [line.split(": error: ")[0] for line in lines] == [
        "manuscript/chapters/02.md:1",
        "manuscript/chapters/a.md:1",
        "manuscript/chapters/b.md:1",
    ]
    assert all("[C002]" in line for line in lines)


def test_a_fifo_chapter_is_an_error_not_a_hang(project):
    chapter = project / "manuscript" / "chapters" / "01.md"
    chapter.unlink()
    os.mkfifo(chapter)
    lines = _codes(project)
    assert lines == [
        (
            "manuscript/book.yaml:8: error: chapters file 'chapters/01.md' is not a regular file "
            "[C001]"
        )
    ]


@pytest.mark.parametrize(
    ("name", "target"),
    [("print.css", "secret.css"), ("fonts/NotoSans-Regular.ttf", "secret.css")],
)
def test_styles_linked_out_of_the_project_are_refused(project, name, target):
    path = project / "styles" / name
    path.unlink()
    _link(path, project.parent / target)
    lines = _codes(project)
    assert lines and all("[E003]" in line for line in lines), lines
    assert any(f"styles/{name} →" in line for line in lines), lines


def test_an_image_linked_out_is_refused(project):
    (project.parent / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    _link(project / "manuscript" / "chapters" / "map.png", project.parent / "secret.png")
    chapter = project / "manuscript" / "chapters" / "01.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![Карта](map.png)\n")
    assert any("[L004]" in line for line in _codes(project))


# (c) a hostile build opens nothing outside -----------------------------------------------

HARNESS = """
import os, sys
log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        mode = args[1] if isinstance(args[1], str) else ""
        flags = args[2] if isinstance(args[2], int) else 0
        writes = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR)
        kind = "write" if writes else "read"
        os.write(log, os.fsencode(f"{kind}\\t{os.path.abspath(os.fsdecode(args[0]))}\\n"))
    elif event in ("os.listdir", "os.scandir") and isinstance(args[0], (str, bytes)):
        os.write(log, os.fsencode(f"list\\t{os.path.abspath(os.fsdecode(args[0]))}\\n"))
sys.addaudithook(hook)
from oic_book.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _runtime_folders() -> list[str]:
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    folders |= set(sysconfig.get_paths().values())
    folders.add(str(ROOT / "src"))
    return sorted({os.path.realpath(f) for f in folders})


def _opened_outside(log: Path, allowed: list[Path]) -> list[str]:
    """Every read or listing outside `allowed` and the runtime, and every write outside
    the output and temporary folders."""
    runtime = _runtime_folders()
    temporary = os.path.realpath(tempfile.gettempdir())
    devices = ("/dev/null", "/dev/urandom", "/proc/self")
    bad = []
    for line in log.read_text().splitlines():
        kind, path = line.split("\t", 1)
        real = os.path.realpath(path)
        inside = [str(a) for a in allowed] + runtime + list(devices)
        if kind == "write":
            inside = [str(a) for a in allowed] + [temporary, "/dev/null"]
        elif real.startswith(os.path.join(temporary, "oic-book-")):
            continue  # the build's own temporary folder
        if not any(real == f or real.startswith(f.rstrip("/") + "/") for f in inside):
            bad.append(f"{kind} {path}")
    return sorted(set(bad))


def _audited_build(project: Path, out: Path, log: Path) -> subprocess.CompletedProcess:
    # `-c` from inside the project: the import system lists the script's folder.
    return subprocess.run(
        [sys.executable, "-c", HARNESS, str(log), "build", "-C", str(project), "-o", str(out)],
        cwd=project,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=300,
        check=False,
    )


def _make_hostile(project: Path, part: str) -> None:
    """Every way out at once: paths, links, loops in book.yaml ("yaml"); or images,
    links, stylesheet imports and a font link with a sound book.yaml ("content")."""
    outside = project.parent
    (outside / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    chapters = project / "manuscript" / "chapters"
    _link(project / "manuscript" / "up", outside, directory=True)
    if part == "yaml":
        _link(chapters / "02.md", outside / "secret.md")
        _loop(chapters)
        _book_yaml(
            project,
            front="[../../secret.md, up/secret.md]",
            chapters="[chapters/01.md, chapters/02.md, chapters/a.md, /etc/passwd]",
            wordlist="../../secret.md",
        )
        return
    (chapters / "01.md").write_text(
        "# Тарау\n\n{term}`ИЫҰ`[^a]\n\n![Сурет](../../../secret.png)\n\n"
        '<img src="../up/secret.png" alt="x"/>\n\n[сілтеме](../../secret.md)\n\n'
        "[^a]: Ескерту.\n",
        encoding="utf-8",
    )
    css = project / "styles" / "print.css"
    css.write_text(
        '@import "../../secret.css";\n@import url(/etc/passwd);\n' + css.read_text("utf-8")
    )
    font = project / "styles" / "fonts" / "NotoSans-Bold.ttf"
    font.unlink()
    _link(font, outside / "secret.css")


@pytest.mark.parametrize("part", ["yaml", "content"])
def test_a_hostile_build_opens_nothing_outside_the_project(project, tmp_path, part):
    _make_hostile(project, part)
    out = tmp_path / "dist"
    log = tmp_path / "opened.log"
    result = _audited_build(project, out, log)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "[E003]" in result.stderr
    assert _opened_outside(log, [project, out]) == []
    assert not out.exists()


def test_a_sound_build_through_inner_links_opens_nothing_outside(project, tmp_path):
    chapters = project / "manuscript" / "chapters"
    (project / "manuscript" / "text").mkdir()
    (chapters / "01.md").rename(project / "manuscript" / "text" / "01.md")
    _link(chapters / "01.md", Path("../text/01.md"))
    out = tmp_path / "dist"
    log = tmp_path / "opened.log"
    result = _audited_build(project, out, log)
    assert result.returncode == 0, result.stderr
    assert _opened_outside(log, [project, out]) == []
    assert sorted(p.name for p in out.iterdir()) == ["oic-book.epub", "oic-book.pdf", "site"]
    reads = {line.split("\t")[1] for line in log.read_text().splitlines()}
    assert any(path.endswith("text/01.md") for path in reads), "the audit saw nothing"


def test_project_at_resolves_the_root(tmp_path):
    real = mini_project(tmp_path / "real")
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    assert Project.at(tmp_path / "alias").root == real.resolve()
