"""Command-line conventions: options before or after the command, --version, one edition
at a time, a helpful message outside a project, and quiet library loggers with -v."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from badcases import BASE, ROOT, make_project, problem_lines, run_cli

from oic_book import __version__, cli


def mini_project(destination: Path) -> Path:
    shutil.copytree(BASE / "manuscript", destination / "manuscript")
    shutil.copytree(ROOT / "styles", destination / "styles")
    return destination


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"oic-book {__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        ["-q", "--strict", "-C", "PROJECT", "check"],
        ["check", "-q", "--strict", "-C", "PROJECT"],
        ["-q", "check", "--strict", "-C", "PROJECT"],
    ],
)
def test_global_options_before_or_after_the_command(argv, tmp_path, capsys):
    project = make_project("g004-term-unused", tmp_path / "p")  # one warning
    code = cli.main([str(project) if a == "PROJECT" else a for a in argv])
    err = capsys.readouterr().err
    assert code == 1  # --strict took effect: the warning fails the check
    assert "[G004]" in err
    assert "error(s)" not in err  # -q took effect: no summary line


def test_options_given_before_the_command_are_not_overwritten(tmp_path):
    parser = cli._parser()
    args = parser.parse_args(["-q", "-C", str(tmp_path), "build"])
    assert args.quiet is True and args.project == tmp_path and args.strict is False
    args = parser.parse_args(["build", "-v", "--strict"])
    assert args.verbose is True and args.strict is True and args.project == Path(".")


@pytest.mark.parametrize("fmt", ["pdf", "epub"])
def test_build_one_edition(fmt, tmp_path):
    project = mini_project(tmp_path / "p")
    result = run_cli("build", "-q", "--format", fmt, "-C", str(project))
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (project / "dist").iterdir())
    assert written == [f"oic-book.{fmt}"]
    data = (project / "dist" / f"oic-book.{fmt}").read_bytes()
    if fmt == "pdf":
        assert data.startswith(b"%PDF-")
    else:
        names = zipfile.ZipFile(project / "dist" / "oic-book.epub").namelist()
        assert names[0] == "mimetype"


def test_outside_a_project_says_where_it_looked_and_suggests_C(tmp_path):
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert problem_lines(result.stderr) == []
    (line,) = result.stderr.strip().splitlines()
    assert str(tmp_path.resolve()) in line and "-C DIR" in line


def test_missing_project_folder_names_it(tmp_path):
    result = run_cli("build", "-C", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert str(tmp_path / "nowhere") in result.stderr and "-C DIR" in result.stderr


def test_verbose_shows_the_builders_lines_not_the_libraries(tmp_path):
    project = mini_project(tmp_path / "p")
    result = run_cli("build", "-v", "-C", str(project), timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("layout") for line in lines)
    # WeasyPrint and fontTools log hundreds of DEBUG lines per build at their own level.
    assert len(lines) < 60, lines[:80]
