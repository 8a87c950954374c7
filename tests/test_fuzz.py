"""Property-based tests: whatever the manuscript holds, `check` gives located problems
with codes, never a traceback and never a hang."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from badcases import BASE, ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oic_book.manuscript.check import check_project

CODE = re.compile(r"^[A-Z]\d{3}$")

SNIPPETS = [
    "Мәтін.",
    "{term}`ИЫҰ`",
    "{term}`жоқ термин`",
    "{term}`көрсетілетін <ИЫҰ>`",
    "{index}`Мысыр`",
    "{index}`Мысырмен <Мысыр>`",
    "{foo}`бар`",
    "{term}``",
    "[^a]",
    "[^b]",
    "[^a]: Ескерту.",
    "[^b]: Екінші.",
    "[^]: бос",
    "# Тақырып",
    "## Бөлім",
    "### Кіші бөлім",
    "{#bolim}",
    "{#ch1}",
    "[сілтеме](#bolim)",
    "[сілтеме](#zhoq)",
    "[сайт](http://example.com/)",
    "[x](javascript:alert(1))",
    "![x](file:///etc/passwd)",
    "![x](http://example.com/x.png)",
    "![](x.png)",
    "![сурет](../../../etc/passwd)",
    "![сурет](data:image/png;base64,AAAA)",
    '<img src="http://example.com/x.png" alt="x">',
    '<img src="x.png">',
    "<script>alert(1)</script>",
    '<span onclick="x()">басу</span>',
    '<a href="javascript:x()">a</a>',
    "<iframe src=x></iframe>",
    "<object data=x></object>",
    "<marquee>жүгір</marquee>",
    '<span style="color:red">қызыл</span>',
    "<div>",
    "</div>",
    "<!-- түсініктеме -->",
    '"тырнақша"',
    "сөз - сөз",
    "1995 ж.",
    "ИҚҰ",
    "伊斯兰",
    "😀",
    "\u200b",
    "```\nкод\n```",
    "> дәйексөз",
    "- тізім",
    "1. нөмір",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "    шегініс",
    "\t",
    "",
]

markdown_line = st.one_of(
    st.sampled_from(SNIPPETS),
    st.text(max_size=40),
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=4).map(" ".join),
)
chapter_text = st.lists(markdown_line, max_size=25).map("\n".join)

YAML_GARBAGE = [
    "[unclosed",
    "{a: 1",
    "- item",
    "key: value: other",
    "  indented: wrong",
    "'",
    "&anchor x",
    "*nowhere",
    "!!python/object:os.system ls",
    "? complex",
    "null",
    "[]",
    "{}",
    "123",
    "2026-13-45",
    "true",
    "---",
    "...",
    "%YAML 1.1",
    "\t tab",
]
yaml_value = st.one_of(st.sampled_from(YAML_GARBAGE), st.text(max_size=20))


@st.composite
def mutated_lines(draw, text: str) -> str:
    """Delete, replace, duplicate or insert lines of a YAML (or any) text."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 4))):
        operation = draw(st.sampled_from(["delete", "value", "insert", "duplicate", "keep"]))
        if not lines:
            lines.append(draw(yaml_value))
            continue
        index = draw(st.integers(0, len(lines) - 1))
        if operation == "delete":
            del lines[index]
        elif operation == "value":
            key = lines[index].split(":", 1)[0]
            lines[index] = f"{key}: {draw(yaml_value)}"
        elif operation == "insert":
            lines.insert(index, draw(yaml_value))
        elif operation == "duplicate":
            lines.insert(index, lines[index])
    return "\n".join(lines) + "\n"


@st.composite
def maybe_bad_bytes(draw, text: str) -> bytes:
    data = text.encode("utf-8")
    if draw(st.booleans()) and draw(st.booleans()):  # one time in four
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.binary(min_size=1, max_size=4)) + data[position:]
    return data


BOOK = (BASE / "manuscript" / "book.yaml").read_text(encoding="utf-8")
GLOSSARY = (BASE / "manuscript" / "glossary.yaml").read_text(encoding="utf-8")
CHAPTER = (BASE / "manuscript" / "chapters" / "01.md").read_text(encoding="utf-8")


@st.composite
def manuscripts(draw) -> dict[str, bytes]:
    """The base manuscript with one or more of its files generated or mutated."""
    files = {
        "book.yaml": BOOK.encode(),
        "glossary.yaml": GLOSSARY.encode(),
        "chapters/01.md": CHAPTER.encode(),
    }
    if draw(st.booleans()):
        files["book.yaml"] = draw(maybe_bad_bytes(draw(mutated_lines(BOOK))))
    if draw(st.booleans()):
        files["glossary.yaml"] = draw(maybe_bad_bytes(draw(mutated_lines(GLOSSARY))))
    chapter = draw(st.one_of(chapter_text, mutated_lines(CHAPTER)))
    if draw(st.booleans()):
        chapter = "# Тарау\n\n" + chapter
    files["chapters/01.md"] = draw(maybe_bad_bytes(chapter))
    return files


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """One project folder, its manuscript rewritten for each example (fonts stay cached)."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "styles", root / "styles")
    return root


def write_manuscript(project: Path, files: dict[str, bytes]) -> None:
    manuscript = project / "manuscript"
    shutil.rmtree(manuscript, ignore_errors=True)
    for name, data in files.items():
        path = manuscript / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def assert_located(project: Path, problems) -> None:
    for problem in problems.items:
        assert CODE.match(problem.code), problem
        assert problem.severity in ("error", "warning"), problem
        assert problem.line >= 1, problem
        assert problem.col is None or problem.col >= 1, problem
        assert not Path(problem.path).is_absolute(), problem
        assert ".." not in Path(problem.path).parts, problem
        assert (project / problem.path).resolve().is_relative_to(project.resolve()), problem
        assert "\n" not in problem.format(), problem
        first_word = problem.message.split()[0]
        proper_nouns = ("Markdown", "YAML", "HTML")  # names keep their capital
        assert (
            first_word == first_word.lower()
            or first_word.isupper()
            or first_word in proper_nouns
        ), problem


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(files=manuscripts())
def test_check_gives_located_problems_or_a_book(project, files):
    write_manuscript(project, files)
    start = time.perf_counter()
    book, problems = check_project(project)
    assert time.perf_counter() - start < 10, "check took too long"
    assert_located(project, problems)
    if problems.errors:
        assert book is None
    else:
        assert book is not None


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(chapter=chapter_text)
def test_generated_chapters_are_checked_without_crashing(project, chapter):
    write_manuscript(
        project,
        {
            "book.yaml": BOOK.encode(),
            "glossary.yaml": GLOSSARY.encode(),
            "chapters/01.md": ("# Тарау\n\n{term}`ИЫҰ`\n\n" + chapter).encode(),
        },
    )
    _, problems = check_project(project)
    assert_located(project, problems)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(files=manuscripts())
def test_cli_never_prints_a_traceback(project, files):
    write_manuscript(project, files)
    result = run_cli("check", "-C", str(project), timeout=60)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode in (0, 1), result.stderr


@pytest.mark.parametrize(
    "chapter",
    [
        "# Тарау\n\n{term}`ИЫҰ` мәтіні «тырнақшамен».\n",
        "# Тарау\n\n{term}`ИЫҰ` <em>курсив</em> және [бөлім](#ch1).\n",
    ],
)
def test_manuscripts_that_pass_check_also_build(tmp_path, chapter):
    """A couple of real builds: what `check` accepts, the builder renders."""
    project = tmp_path / "project"
    shutil.copytree(BASE / "manuscript", project / "manuscript")
    shutil.copytree(ROOT / "styles", project / "styles")
    (project / "manuscript" / "chapters" / "01.md").write_text(chapter, encoding="utf-8")
    book, problems = check_project(project)
    assert problems.errors == [] and book is not None
    result = run_cli("build", "-q", "-C", str(project), "-o", str(tmp_path / "dist"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "oic-book.pdf").read_bytes().startswith(b"%PDF")
