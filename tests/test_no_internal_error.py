"""No input is an internal error, and nothing is silently dropped.

Each manuscript below once crashed the builder, passed `check` and crashed `build`, lost
text with exit 0, or is one an attacker would try next. Each is either refused with
located problems (codes as listed) or built with all of its text in both editions.
`check` runs in this process; `build` runs as the CLI does, in a subprocess.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pypdfium2
import pytest
from badcases import BASE, ROOT, run_cli

from oic_book.manuscript.check import check_project

BUILDS = "builds"

GLOSSARY_WITH = """- term: ИЫҰ
  expansion: Ислам ынтымақтастық ұйымы
  definition: {definition}
- term: ИҚҰ
  definition: Бұрынғы атауы.
"""


def chapter(body: str, notes: str = "") -> str:
    return f"# Тарау\n\n{{term}}`ИЫҰ` {{term}}`ИҚҰ` мәтін.\n\n{body}\n\n{notes}\n"


CASES = {
    # the crashes
    "inline footnote": (chapter("Мәтін Алпыс ^[Ішкі ескерту Жетпіс]."), None, BUILDS),
    "label with &": (chapter("Мәтін Сексен[^a&b].", "[^a&b]: Тоқсан."), None, BUILDS),
    "label Unicode and quote": (
        chapter('Бір[^ескерту] екі[^a"b].', '[^ескерту]: Жүз.\n\n[^a"b]: Мың.'),
        None,
        BUILDS,
    ),
    "term in glossary definition": (
        chapter("Мәтін Алпыс."),
        GLOSSARY_WITH.format(definition="Ұйым, бұрынғы {term}`ИҚҰ` Жетпіс."),
        BUILDS,
    ),
    "br": (chapter("Бір<br>екі<br/>үш<BR>төрт</br> Алпыс."), None, BUILDS),
    "thousand nested spans": (
        chapter("<span>" * 1000 + "Алпыс" + "</span>" * 1000),
        None,
        ["M007"],
    ),
    "deep lists drop nothing silently": (
        chapter("".join("  " * i + "- Алпыс\n" for i in range(30))),
        None,
        ["M007"],
    ),
    "deep quotes": (chapter("> " * 40 + "Алпыс"), None, ["M007"]),
    "a 20,000-character word": (chapter("а" * 20000), None, ["M007"]),
    "words joined by no-break spaces": (chapter("\u00a0".join(["сөз"] * 400)), None, ["M007"]),
    "a long address is not a long word": (
        chapter("Алпыс https://example.org/" + "a/" * 150),
        None,
        BUILDS,
    ),
    "footnote in the chapter title": (
        "# Тарау[^a]\n\n{term}`ИЫҰ` {term}`ИҚҰ` мәтін.\n\n[^a]: Ескерту.\n",
        None,
        ["F006"],
    ),
    "roles in the chapter title": (
        "# Тарау {term}`ИЫҰ` {index}`Мысыр` Алпыс\n\n{term}`ИҚҰ` мәтін.\n",
        None,
        BUILDS,
    ),
    "author id that is the builder's": (
        chapter("{#index}\n## Бөлім\n\nАлпыс."),
        None,
        ["I003"],
    ),
    "author ids that collide": (
        chapter('{#mine}\n## Бөлім\n\n<span id="mine">Алпыс</span>'),
        None,
        ["I001"],
    ),
    # text in other Unicode forms, names with Kazakh letters and spaces
    "NFD text": (chapter(unicodedata.normalize("NFD", "Алпыс йод ұйым ақ.")), None, BUILDS),
    # what an attacker tries next
    "unclosed comment hides the rest": (chapter("<!-- жасырын\n\nАлпыс."), None, ["H007"]),
    "duplicate attribute": (chapter('<a href="#ch1" href="#ch1">Алпыс</a>'), None, ["H006"]),
    "style and class": (
        chapter('{style="display:none"}\nАлпыс.\n\n<span class="footnote">Жетпіс</span>'),
        None,
        ["H004", "H004"],
    ),
    "script in a note": (chapter("Алпыс[^a].", "[^a]: <script>x</script>"), None, ["H001"]),
    "javascript autolink": (chapter("<javascript:alert(1)> Алпыс"), None, ["H005"]),
    "file autolink": (chapter("<file:///etc/passwd> Алпыс"), None, ["L004"]),
    "link to a file": (chapter("[Алпыс](02.md)"), None, ["L001"]),
    "control characters": (chapter("Алпыс\x0b\x1b[31m қызыл"), None, ["E005", "E005"]),
    "nested notes": (chapter("Алпыс[^a].", "[^a]: Бір[^b].\n\n[^b]: Жетпіс."), None, BUILDS),
    "html in a span across emphasis": (
        chapter("<span>Алпыс *бір</span> екі*"),
        None,
        ["H007", "H007"],  # closes across <em>; never closed
    ),
    "block html inside a paragraph": (chapter("Алпыс <div>блок</div>."), None, ["H007"]),
    "index in glossary": (
        chapter("Алпыс."),
        GLOSSARY_WITH.format(definition="'{index}`Мысыр` ұйым.'"),
        ["M002"],
    ),
    "footnote in glossary": (
        chapter("Алпыс."),
        GLOSSARY_WITH.format(definition="Ұйым ^[ескерту]."),
        ["F006"],
    ),
    "a 5,000-digit glossary term": (
        chapter("Алпыс."),
        GLOSSARY_WITH.format(definition="Ұйым.")
        + f"- term: {'9' * 5000}\n  definition: Сан.\n",
        ["Y004"],
    ),
}


def make(tmp_path: Path, text: str, glossary: str | None) -> Path:
    project = tmp_path / "project"
    shutil.copytree(BASE / "manuscript", project / "manuscript")
    shutil.copytree(ROOT / "styles", project / "styles")
    (project / "manuscript" / "chapters" / "01.md").write_text(text, encoding="utf-8")
    glossary = glossary or GLOSSARY_WITH.format(definition="Үкіметаралық ұйым.")
    (project / "manuscript" / "glossary.yaml").write_text(glossary, encoding="utf-8")
    return project


def pdf_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith("html")
        )


WORDS = re.compile(r"Алпыс|Жетпіс|Сексен|Тоқсан|Жүз|Мың")


@pytest.mark.parametrize("name", list(CASES))
def test_located_problems_or_a_whole_book(tmp_path, name):
    text, glossary, expected = CASES[name]
    project = make(tmp_path, text, glossary)
    _, problems = check_project(project)
    for problem in problems.items:
        assert re.fullmatch(r"[A-Z]\d{3}", problem.code) and problem.line >= 1
        assert len(problem.format()) <= 320
    if expected != BUILDS:
        assert sorted(p.code for p in problems.errors) == sorted(expected), problems.items
        result = run_cli("build", "-q", "-C", str(project), "--format", "epub")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        return
    assert problems.errors == [], [p.format() for p in problems.errors]
    result = run_cli("build", "-q", "-C", str(project), "--format", "pdf", "--format", "epub")
    assert result.returncode == 0, result.stderr
    typed = set(WORDS.findall(unicodedata.normalize("NFC", text + (glossary or ""))))
    assert typed, "the case has no word to look for"
    dist = project / "dist"
    in_pdf = unicodedata.normalize("NFC", pdf_text(dist / "oic-book.pdf"))
    in_epub = epub_text(dist / "oic-book.epub")
    assert {w for w in typed if w not in in_pdf} == set(), "missing from the PDF"
    assert {w for w in typed if w not in in_epub} == set(), "missing from the EPUB"


def test_five_thousand_of_one_mistake_are_fifty_lines_and_a_count(tmp_path):
    project = make(tmp_path, chapter("{term}`жоқ` " * 5000), None)
    result = run_cli("check", "-C", str(project))
    lines = [line for line in result.stderr.splitlines() if "[G003]" in line]
    assert len(lines) == 51
    assert lines[-1].endswith("error: … and 4950 more like the above, the last here [G003]")
    assert "5000 error(s)" in result.stderr


def test_chapter_names_with_kazakh_letters_spaces_and_nfd_build(tmp_path):
    """`карта 1.md` as typed, and `йод.md` saved with a decomposed й (as macOS names it)."""
    project = make(tmp_path, chapter("Алпыс."), None)
    chapters = project / "manuscript" / "chapters"
    (chapters / "карта 1.md").write_text("# Карта\n\nЖетпіс.\n", encoding="utf-8")
    nfd = unicodedata.normalize("NFD", "йод.md")
    assert nfd != "йод.md"
    (chapters / nfd).write_text("# Йод\n\nСексен.\n", encoding="utf-8")
    book_yaml = project / "manuscript" / "book.yaml"
    book_yaml.write_text(
        book_yaml.read_text("utf-8").replace(
            "  - chapters/01.md\n",
            "  - chapters/01.md\n  - chapters/карта 1.md\n  - chapters/йод.md\n",
        ),
        "utf-8",
    )
    _, problems = check_project(project)
    assert problems.errors == [], [p.format() for p in problems.errors]
    result = run_cli("build", "-q", "-C", str(project), "--format", "pdf", "--format", "epub")
    assert result.returncode == 0, result.stderr
    text = unicodedata.normalize("NFC", pdf_text(project / "dist" / "oic-book.pdf"))
    assert all(word in text for word in ("Алпыс", "Жетпіс", "Сексен"))
    assert all(
        word in epub_text(project / "dist" / "oic-book.epub") for word in ("Жетпіс", "Сексен")
    )
