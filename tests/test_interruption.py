"""Interruption and the environment: whatever stops a build, and wherever it stops it,
nothing is left behind.

A real `oic-book build` runs in a subprocess with its own TMPDIR and a marker in its
environment (which its children inherit); it is sent SIGINT, SIGTERM or SIGHUP at a
given stage. Afterwards: the exit code is 128 + the signal; `dist/` holds the previous
outputs and nothing else; the temporary folder is empty (WeasyPrint's font folders
included); and no process with the marker is alive. A full disk, a read-only `dist/` and
an unusable temporary folder are exit 2 with one line naming the path.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from badcases import BASE, ROOT, run_cli, subprocess_env

OLD_PDF = b"%PDF-1.7 the previous build\n"
OLD_EPUB = b"PK the previous build\n"


def long_project(destination: Path, repeat: int = 25) -> Path:
    """The tiny manuscript with its chapter made long enough to interrupt mid-layout."""
    shutil.copytree(BASE / "manuscript", destination / "manuscript")
    shutil.copytree(ROOT / "styles", destination / "styles")
    chapter = destination / "manuscript" / "chapters" / "01.md"
    paragraph = (
        "Ислам ынтымақтастық ұйымы 1969 жылы құрылды; оған елу жеті мемлекет мүше. "
        "Ұйымның штаб-пәтері Жидда қаласында орналасқан, ал ресми тілдері – араб, "
        "ағылшын және француз тілдері.\n\n"
    )
    text = chapter.read_text(encoding="utf-8").replace("[^a]: ", paragraph * repeat + "[^a]: ")
    chapter.write_text(text, encoding="utf-8")
    return destination


def previous_dist(project: Path) -> Path:
    dist = project / "dist"
    dist.mkdir()
    (dist / "oic-book.pdf").write_bytes(OLD_PDF)
    (dist / "oic-book.epub").write_bytes(OLD_EPUB)
    return dist


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment carries `marker` (the build and its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if marker.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


def start_build(project: Path, tmp: Path, marker: str) -> subprocess.Popen:
    env = {**subprocess_env(), "TMPDIR": str(tmp), "OIC_TEST_MARKER": marker}
    return subprocess.Popen(
        [sys.executable, "-m", "oic_book", "build", "-C", str(project)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a shell job would be
    )


STAGES = ["start", "check", "render", "layout", "pdf"]


@pytest.mark.parametrize(
    ("signum", "after", "group"),
    [
        (signal.SIGTERM, "start", False),
        (signal.SIGTERM, "check", False),
        (signal.SIGTERM, "render", False),
        (signal.SIGTERM, "pdf", False),  # the EPUB and site processes are running
        (signal.SIGHUP, "render", False),
        (signal.SIGHUP, "pdf", False),
        (signal.SIGINT, "layout", True),  # Ctrl-C in a terminal: the whole group
        (signal.SIGINT, "pdf", True),
    ],
)
def test_a_signal_at_any_stage_leaves_nothing_behind(tmp_path, signum, after, group):
    project = long_project(tmp_path / "project")
    dist = previous_dist(project)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    marker = uuid.uuid4().hex
    build = start_build(project, tmp, marker)
    stderr = []
    if after == "start":
        time.sleep(0.3)  # still importing
    else:
        for line in build.stderr:
            stderr.append(line)
            if line.split() and line.split()[0] == after:
                break
    if group:
        os.killpg(build.pid, signum)
    else:
        build.send_signal(signum)
    rest = build.stderr.read()
    code = build.wait(timeout=60)
    output = "".join(stderr) + rest
    if after == "start" and code == -signum:
        pass  # before Python had even set its handlers: nothing was made yet
    else:
        assert code == 128 + signum, output
        assert f"interrupted ({signal.Signals(signum).name}); nothing was written" in output
    assert "Traceback" not in output
    assert sorted(p.name for p in dist.iterdir()) == ["oic-book.epub", "oic-book.pdf"]
    assert (dist / "oic-book.pdf").read_bytes() == OLD_PDF
    assert (dist / "oic-book.epub").read_bytes() == OLD_EPUB
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []
    assert list(tmp.iterdir()) == []


def test_a_finished_build_leaves_no_temporary_folder(tmp_path):
    project = long_project(tmp_path / "project", repeat=1)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    marker = uuid.uuid4().hex
    build = start_build(project, tmp, marker)
    _, err = build.communicate(timeout=120)
    assert build.returncode == 0, err
    assert list(tmp.iterdir()) == []  # WeasyPrint's font folders too
    assert processes_with(marker) == []


# the environment: one line naming the path, exit 2 --------------------------------------


def test_a_read_only_dist_is_exit_2_naming_the_path(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    project = long_project(tmp_path / "project", repeat=1)
    dist = previous_dist(project)
    dist.chmod(0o555)
    try:
        result = run_cli("build", "-C", str(project))
    finally:
        dist.chmod(0o755)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    # The first file the build makes in dist/ is the web edition's staging folder.
    assert str(dist) in last and "Permission denied" in last
    assert (dist / "oic-book.pdf").read_bytes() == OLD_PDF


def test_a_full_disk_is_exit_2_naming_the_path(tmp_path):
    """/dev/full: every write fails with ENOSPC, as on a full disk."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    project = long_project(tmp_path / "project", repeat=1)
    dist = previous_dist(project)
    script = (
        "import os, sys, tempfile\n"
        "real = os.fsync\n"
        "def full(fd):\n"
        "    raise OSError(28, os.strerror(28))\n"
        "os.fsync = full\n"
        "from oic_book.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "build", "-C", str(project)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("oic-book: build failed: cannot write ")
    assert "oic-book.pdf: No space left on device" in last
    assert sorted(p.name for p in dist.iterdir()) == ["oic-book.epub", "oic-book.pdf"]
    assert (dist / "oic-book.epub").read_bytes() == OLD_EPUB


def test_dist_that_is_a_file_is_exit_2(tmp_path):
    project = long_project(tmp_path / "project", repeat=1)
    (project / "dist").write_text("not a folder")
    result = run_cli("build", "-C", str(project))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "dist" in result.stderr.strip().splitlines()[-1]


def test_an_unusable_temporary_folder_is_exit_2(tmp_path):
    project = long_project(tmp_path / "project", repeat=1)
    result = run_cli(
        "build", "-C", str(project), env={"TMPDIR": str(tmp_path / "missing" / "tmp")}
    )
    # Python falls back to /tmp when TMPDIR does not exist; either it builds, or it says
    # which folder it could not use. Never a traceback.
    assert result.returncode in (0, 2), result.stderr
    assert "Traceback" not in result.stderr


def test_a_huge_source_date_epoch_is_exit_2(tmp_path):
    project = long_project(tmp_path / "project", repeat=1)
    result = run_cli("build", "-C", str(project), env={"SOURCE_DATE_EPOCH": "9" * 30})
    assert result.returncode == 2, result.stderr
    assert "SOURCE_DATE_EPOCH" in result.stderr.strip().splitlines()[-1]


def test_an_output_folder_that_cannot_be_made_is_exit_2(tmp_path):
    """Even as root: nothing can be made in /proc."""
    project = long_project(tmp_path / "project", repeat=1)
    result = run_cli("build", "-C", str(project), "-o", "/proc/oic-book-dist")
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("oic-book: ") and "/proc/oic-book-dist" in last
    assert "Traceback" not in result.stderr
