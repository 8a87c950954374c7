"""`oic-book check`: every bad manuscript of `tests/bad/` gives exactly its expected lines.

Each case is the minimal manuscript of `tests/bad/_base` with one mistake laid over it
(see `badcases.py`); the CLI runs in a subprocess, as an author would run it.
"""

from __future__ import annotations

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from badcases import BAD, ROOT, cases, load, make_project, problem_lines, run_cli

from oic_book import cli
from oic_book.manuscript.check import check_project

CASES = cases()
PLACEHOLDER = b"%PDF-1.7 placeholder from an earlier build\n"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The CLI's output for every case, run side by side (each is a separate process)."""

    def run(name):
        case = load(name)
        project = make_project(name, tmp_path_factory.mktemp(name) / "project")
        return name, run_cli(*case.args, "-C", str(project))

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        return dict(pool.map(run, CASES))


@pytest.mark.parametrize("name", CASES)
def test_bad_manuscript(name, outputs):
    case = load(name)
    result = outputs[name]
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert problem_lines(result.stderr) == case.expected, result.stderr
    assert result.returncode == case.exit, result.stderr
    # Nothing but problem lines and the one-line summary.
    others = [line for line in result.stderr.splitlines() if line not in case.expected]
    assert len(others) == 1 and others[0].startswith("oic-book: "), result.stderr


@pytest.mark.parametrize("name", [n for n in CASES if load(n).build])
def test_bad_manuscript_build_leaves_dist_alone(name, tmp_path):
    case = load(name)
    project = make_project(name, tmp_path / "project")
    dist = project / "dist"
    dist.mkdir()
    (dist / "oic-book.pdf").write_bytes(PLACEHOLDER)
    strict = ["--strict"] if "--strict" in case.args else []
    result = run_cli("build", *strict, "-C", str(project), "-o", str(dist))
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1, result.stderr
    assert problem_lines(result.stderr) == case.expected
    assert "nothing was written" in result.stderr
    assert (dist / "oic-book.pdf").read_bytes() == PLACEHOLDER
    assert sorted(p.name for p in dist.iterdir()) == ["oic-book.pdf"]


def test_every_code_has_a_case():
    """Each code of the README table (but spelling, which needs hunspell) is exercised."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Checks", 1)[1].split("\n## ", 1)[0]
    codes = set()
    for first, last in re.findall(r"([A-Z]\d{3})(?:–([A-Z]\d{3}))?", table):
        if last:
            codes |= {f"{first[0]}{n:03d}" for n in range(int(first[1:]), int(last[1:]) + 1)}
        else:
            codes.add(first)
    codes -= {"S001", "S002"}
    covered = {
        code
        for name in CASES
        for line in load(name).expected
        for code in re.findall(r"\[([A-Z]\d{3})\]$", line)
    }
    assert codes - covered == set()
    assert covered - codes == set(), "a code is produced that the README does not list"


def test_three_mistakes_in_three_files_in_one_run():
    lines = load("multi-three-files").expected
    paths = [line.split(":")[0] for line in lines]
    assert len(set(paths)) == 3
    keys = [(line.split(":")[0], int(line.split(":")[1])) for line in lines]
    assert keys == sorted(keys)


@pytest.mark.parametrize("name", ["g004-term-unused"])
def test_warnings_fail_only_with_strict(name, tmp_path):
    project = make_project(name, tmp_path / "project")
    plain = run_cli("check", "-C", str(project))
    strict = run_cli("check", "--strict", "-C", str(project))
    assert plain.returncode == 0 and strict.returncode == 1
    assert problem_lines(plain.stderr) == problem_lines(strict.stderr) != []
    assert all(": warning: " in line for line in problem_lines(plain.stderr))


def test_base_manuscript_is_clean(tmp_path):
    project = tmp_path / "base"
    shutil.copytree(BAD / "_base" / "manuscript", project / "manuscript")
    shutil.copytree(ROOT / "styles", project / "styles")
    _, problems = check_project(project)
    assert [p.format() for p in problems.items] == []


def test_real_manuscript_checks_clean_with_strict():
    result = run_cli("check", "--strict", "-C", str(ROOT))
    assert result.returncode == 0, result.stderr
    assert problem_lines(result.stderr) == []


def test_paths_are_relative_to_the_project_wherever_it_is_run_from(tmp_path):
    make_project("f001-no-definition", tmp_path / "project")
    result = run_cli("check", "-C", "project", cwd=tmp_path)
    assert problem_lines(result.stderr) == load("f001-no-definition").expected


def _boom(*args, **kwargs):
    raise RuntimeError("simulated bug")


def test_internal_error_is_one_line_without_verbose(monkeypatch, capsys):
    monkeypatch.setattr("oic_book.manuscript.check.check_project", _boom)
    assert cli.main(["check", "-C", str(ROOT)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "internal error: RuntimeError: simulated bug (run with -v" in err


def test_internal_error_raises_with_verbose(monkeypatch):
    monkeypatch.setattr("oic_book.manuscript.check.check_project", _boom)
    with pytest.raises(RuntimeError, match="simulated bug"):
        cli.main(["check", "-v", "-C", str(ROOT)])


def test_manuscript_errors_never_show_a_traceback_even_with_verbose(tmp_path):
    project = make_project("y005-unknown-key", tmp_path / "project")
    result = run_cli("check", "-v", "-C", str(project))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_every_case_has_expected_lines():
    for name in CASES:
        assert (BAD / name / "expected.txt").is_file(), name
        assert load(name).expected, name
