"""A structural fuzzer: manuscripts composed from the ingredients hostile or careless
authors use, and the invariants every one of them must keep.

Ingredients: YAML oddities, paths (`../`, absolute, symbolic links in and out, loops,
Kazakh names with spaces, NFD names), ids, footnote labels, roles, raw HTML, attributes,
Unicode forms, nesting and sizes.

Invariants, for every manuscript:
* `check` never raises; every problem is located, with a code, on one short line;
* nothing outside the project (and the Python runtime) is opened while checking or
  building (an audit hook watches this process);
* if `check` finds no error, the build succeeds and every marker word written in the
  manuscript is in the PDF's text and in the EPUB's text ("nothing silently dropped");
* if it finds errors, the build raises `BookError` and `dist/` is left as it was.

`make test` runs a small sample (OIC_FUZZ_EXAMPLES, default 25 manuscripts of which a
few are built); `make fuzz` runs a long one (see the Makefile).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
import tempfile
import unicodedata
import zipfile
from pathlib import Path

import pypdfium2
import pytest
from badcases import ROOT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from oic_book.build import build
from oic_book.errors import BookError, Problems
from oic_book.manuscript.check import check_project

EXAMPLES = int(os.environ.get("OIC_FUZZ_EXAMPLES", "25"))
BUILDS = int(os.environ.get("OIC_FUZZ_BUILDS", "3"))
CODE = re.compile(r"^[A-Z]\d{3}$")

# --- the audit hook: what this process opens while a fuzz example runs --------------------

_OPENED: list[tuple[str, str]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is None:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        writes = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR)
        _OPENED.append(("write" if writes else "read", os.fsdecode(args[0])))
    elif event in ("os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes)):
        _OPENED.append(("list", os.fsdecode(args[0])))


sys.addaudithook(_audit)  # for the whole session; it records only inside `watching`


class watching:
    """Record what is opened in the block."""

    def __enter__(self) -> list[tuple[str, str]]:
        global _OPENED
        _OPENED = []
        return _OPENED

    def __exit__(self, *exc) -> None:
        global _OPENED
        _OPENED = None


def _outside(opened: list[tuple[str, str]], allowed: list[Path]) -> list[str]:
    runtime = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(ROOT / "src")}
    runtime |= set(sysconfig.get_paths().values())
    inside = [os.path.realpath(p) for p in [*map(str, allowed), *runtime]]
    temporary = os.path.realpath(tempfile.gettempdir())
    bad = []
    # The import system lists the folders of sys.path when a module is first imported.
    import_path = {os.path.realpath(entry or ".") for entry in sys.path}
    for kind, path in opened:
        if kind == "list" and os.path.realpath(path) in import_path:
            continue
        if path.startswith("weasyprint-"):  # shutil.rmtree of the build's temporary folder
            continue  # opens its entries relative to a folder descriptor
        real = os.path.realpath(os.path.abspath(path))
        if real.startswith(os.path.join(temporary, "oic-book-")) or real in ("/dev/null",):
            continue
        if kind == "write" and real.startswith(temporary):
            continue
        if not any(real == f or real.startswith(f.rstrip("/") + "/") for f in inside):
            bad.append(f"{kind} {path}")
    return bad


# --- ingredients ----------------------------------------------------------------------

MARKERS = [f"Белгі{n:02d}" for n in range(40)]  # Kazakh words, so no check trips on them

YAML_ODDITIES = [
    "[unclosed",
    "{a: 1",
    "&a x",
    "*nowhere",
    "!!python/object:os.system ls",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "? [a, b]\n: x",
    "null",
    "[]",
    "{}",
    "9" * 5000,
    "1e999",
    ".nan",
    "2026-13-45",
    '"\\x00\\x01"',
    '"<b>қалың</b>"',
    '"a\\nb\\"; } @page { size: 1mm }"',
    "'" + "ұ" * 2000 + "'",
    "true",
    "- - - -",
    "\t",
]
PATHS = [
    "chapters/01.md",
    "../secret.md",
    "../../secret.md",
    "/etc/passwd",
    "chapters/../chapters/01.md",
    "chapters/карта 1.md",
    "chapters/й-nfd.md",
    "chapters/out.md",
    "chapters/loop.md",
    "chapters/inner.md",
    "chapters",
    "chapters/missing.md",
    "glossary.yaml",
    "book.yaml",
    "chapters/01.md\x00x",
    "x" * 300 + ".md",
]
IDS = ["mine", "other", "index", "ch1", "ch1-b1", "fn-a", "g-iyu", "бөлім", "a b", "x" * 80]
LABELS = ["a", "b", "a&b", 'a"b', "<x>", "ескерту", "й", "x" * 200]
INLINE = [
    "{term}`ИЫҰ`",
    "{term}`жоқ`",
    "{term}`көрсетілетін <ИЫҰ>`",
    "{index}`Мысыр`",
    "{foo}`бар`",
    "^[ішкі ескерту]",
    "<br>",
    '<span lang="en">English</span>',
    "<span>",
    "</span>",
    "<em>",
    "<script>alert(1)</script>",
    '<span onclick="x()">басу</span>',
    '<span style="font-family: DejaVu Sans Mono">x</span>',
    '<a href="#mine">сілтеме</a>',
    "[сілтеме](#mine)",
    "[сілтеме](../secret.md)",
    "[сайт](https://example.org/)",
    "[x](javascript:alert(1))",
    "![сурет](../secret.png)",
    "`код`",
    "[English]{lang=en}",
    '[x]{lang="en; color:red"}',
    "*курсив*",
    "**қалың**",
    '"тырнақша"',
    "ИҚҰ",
    "\u200b",
    "\u202e",
    "😀",
    "\x01",
    "&amp; &lt; &#0; &#x202E;",
]
BLOCK_PREFIXES = [
    "",
    "{#ID}\n",
    "{lang=ar}\n",
    '{style="color:red"}\n',
    "{.footnote}\n",
    "> ",
    "- ",
    "1. ",
    "## ",
    "### ",
    "#### ",
]


# What a careful author writes: it must all build, and all of it must be in both editions.
SOUND_INLINE = [
    "{term}`ИЫҰ`",
    "{term}`көрсетілетін <ИЫҰ>`",
    "{index}`Мысыр`",
    "{index}`Мысырмен <Мысыр>`",
    "^[ішкі ескерту Белгі39]",
    "<br>",
    '<span lang="en">English</span>',
    '<abbr title="Organisation">OIC</abbr>',
    "[English]{lang=en}",
    "`код`",
    "*курсив*",
    "**қалың**",
    '"тырнақша"',
    "[сайт](https://example.org/)",
    "a &amp; b",
    "<sub>2</sub>",
    "сөз - сөз",
]
SOUND_PREFIXES = ["", "> ", "- ", "1. ", "{lang=kk}\n", "{#mine-N}\n"]
SOUND_LABELS = ["n", "ескерту", "a&b", 'a"b', "й"]


@st.composite
def paragraph(draw, sound: bool, chapter: int, number: int) -> str:
    words = draw(st.lists(st.sampled_from(MARKERS[:30]), min_size=1, max_size=3))
    pieces = list(words)
    inline = SOUND_INLINE if sound else INLINE
    for _ in range(draw(st.integers(0, 3))):
        pieces.insert(draw(st.integers(0, len(pieces))), draw(st.sampled_from(inline)))
    for n in range(draw(st.integers(0, 2))):
        label = draw(st.sampled_from(SOUND_LABELS if sound else LABELS))
        pieces.append(f"[^{label}{chapter}{number}{n}]" if sound else f"[^{label}]")
    text = " ".join(pieces)
    if sound:
        prefix = draw(st.sampled_from(SOUND_PREFIXES)).replace("N", f"{chapter}-{number}")
        if draw(st.integers(0, 4)) == 0:
            prefix = f"## Бөлім {draw(st.sampled_from(MARKERS[:30]))}\n\n" + prefix
        if draw(st.integers(0, 4)) == 0:
            text = unicodedata.normalize("NFD", text)  # saved decomposed: read as NFC
        return prefix + text
    prefix = draw(st.sampled_from(BLOCK_PREFIXES)).replace("ID", draw(st.sampled_from(IDS)))
    if draw(st.integers(0, 9)) == 0:  # nesting
        depth = draw(st.integers(10, 40))
        text = draw(st.sampled_from(["<span>", "> ", "  - ", "*"])) * depth + text
    if draw(st.integers(0, 4)) == 0:  # Unicode forms
        text = unicodedata.normalize(draw(st.sampled_from(["NFD", "NFKD", "NFC"])), text)
    return prefix + text


@st.composite
def chapter(draw, title_marker: str, sound: bool, number: int) -> str:
    title = f"# Тарау {title_marker}"
    if not sound and draw(st.integers(0, 5)) == 0:
        title += " " + draw(st.sampled_from(INLINE + ["[^a]"]))
    elif sound and draw(st.booleans()):
        title += " " + draw(st.sampled_from(["{term}`ИЫҰ`", "{index}`Мысыр`", "*курсив*"]))
    count = draw(st.integers(1, 6))
    blocks = [draw(paragraph(sound, number, n)) for n in range(count)]
    labels = sorted(set(re.findall(r"\[\^([^\]\s]+)\]", "\n".join(blocks))))
    notes = [f"[^{label}]: Ескерту {draw(st.sampled_from(MARKERS[:30]))}." for label in labels]
    if not sound and draw(st.integers(0, 5)) == 0:
        notes.append(f"[^{draw(st.sampled_from(LABELS))}]: Артық.")
    return "\n\n".join([title, "{term}`ИЫҰ` мәтін.", *blocks, *notes]) + "\n"


GLOSSARY_OK = (
    "- term: ИЫҰ\n  expansion: Ислам ынтымақтастық ұйымы\n  definition: Ұйым {definition}\n"
    "- term: ИҚҰ\n  definition: Бұрынғы атауы.\n"
)


@st.composite
def manuscripts(draw) -> dict:
    sound = draw(st.booleans())
    count = draw(st.integers(1, 3))
    chapter_paths = [f"chapters/{n:02d}.md" for n in range(1, count + 1)]
    files = {
        path: draw(chapter(MARKERS[30 + n], sound, n)) for n, path in enumerate(chapter_paths)
    }
    definition = "мәтін."
    if draw(st.booleans()):
        pool = ["{term}`ИҚҰ` мәтін.", "<em>курсив</em> мәтін.", "[сайт](https://example.org/)."]
        definition = draw(st.sampled_from(pool if sound else INLINE)).replace("'", "")
    files["glossary.yaml"] = GLOSSARY_OK.replace("{definition}", repr(definition)[1:-1])
    listed = list(chapter_paths)
    extra = ["chapters/карта 1.md", "chapters/й-nfd.md"]
    if draw(st.integers(0, 3)) == 0:
        where = draw(st.integers(0, len(listed)))
        listed.insert(where, draw(st.sampled_from(extra if sound else PATHS)))
    book = [
        "title: Сынақ кітабы",
        "language: kk",
        "publisher: Сынақ баспасы",
        "date: 2026-01-01",
        "rights: CC BY-SA 4.0",
        "identifier: urn:uuid:00000000-0000-4000-8000-000000000001",
        "chapters:",
        *[f"  - {path!r}" if "\x00" not in path else '  - "a\\0b"' for path in listed],
        "glossary: glossary.yaml",
    ]
    if sound and draw(st.booleans()):
        book.append('subtitle: "Бір\\nекі\\"; } @page { size: 10mm } x { content: \\""')
    elif not sound and draw(st.integers(0, 3)) == 0:
        key = draw(st.sampled_from(["subtitle", "place", "isbn", "title", "page_size", "x"]))
        book.append(f"{key}: {draw(st.sampled_from(YAML_ODDITIES))}")
    if not sound and draw(st.integers(0, 5)) == 0:
        files["glossary.yaml"] += f"- term: {draw(st.sampled_from(YAML_ODDITIES))}\n"
    files["book.yaml"] = "\n".join(book) + "\n"
    links = ["none"] if sound else ["none", "out", "loop", "inner", "styles-out"]
    files["links"] = draw(st.sampled_from(links))
    files["sound"] = sound
    return files


def write(project: Path, files: dict) -> None:
    manuscript = project / "manuscript"
    shutil.rmtree(manuscript, ignore_errors=True)
    if not (project / "styles").exists():
        shutil.copytree(ROOT / "styles", project / "styles")
    shutil.copyfile(ROOT / "styles" / "print.css", project / "styles" / "print.css")
    (manuscript / "chapters").mkdir(parents=True)
    for name, text in files.items():
        if name not in ("links", "sound"):
            (manuscript / name).write_text(text, encoding="utf-8")
    chapters = manuscript / "chapters"
    if "chapters/карта 1.md" in files["book.yaml"]:  # a Kazakh name with a space
        (chapters / "карта 1.md").write_text("# Карта Белгі20\n\nМәтін.\n", encoding="utf-8")
    if "й-nfd.md" in files["book.yaml"]:  # named in NFC, saved in NFD (as on macOS)
        (chapters / unicodedata.normalize("NFD", "й-nfd.md")).write_text(
            "# Й Белгі21\n\nМәтін.\n", encoding="utf-8"
        )
    secret = project.parent / "secret.md"
    if files["links"] == "out":
        (chapters / "out.md").symlink_to(secret)
    elif files["links"] == "loop":
        (chapters / "loop.md").symlink_to("loop2.md")
        (chapters / "loop2.md").symlink_to("loop.md")
    elif files["links"] == "inner":
        (chapters / "inner.md").symlink_to("01.md")
    elif files["links"] == "styles-out":
        css = project / "styles" / "print.css"
        css.write_text(css.read_text("utf-8") + '\n@import "../../secret.css";\n', "utf-8")


def assert_located(project: Path, problems: Problems) -> None:
    for problem in problems.items:
        assert CODE.match(problem.code), problem
        assert problem.line >= 1, problem
        assert not Path(problem.path).is_absolute(), problem
        line = problem.format()
        assert "\n" not in line and len(line) <= 320, line


def text_of_pdf(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def text_of_epub(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(
            re.sub(r"<[^>]+>", " ", archive.read(name).decode("utf-8"))
            for name in archive.namelist()
            if name.endswith(".xhtml")
        )


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("structural")
    (root / "secret.md").write_text("# Құпия\n\nҚҰПИЯ\n", encoding="utf-8")
    (root / "secret.css").write_text("body { color: red }\n", encoding="utf-8")
    (root / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    project = root / "project"
    project.mkdir()
    return project


_built = {"count": 0}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(files=manuscripts())
def test_any_manuscript_is_built_whole_or_refused_at_its_lines(place, files):
    write(place, files)
    with watching() as opened:
        book, problems = check_project(place)
    assert_located(place, problems)
    assert _outside(opened, [place]) == []
    for code in sorted({p.code for p in problems.errors}):
        event(f"error {code}")
    if not problems.errors:
        event("no error")
    if files["sound"]:
        assert problems.errors == [], "a sound manuscript was refused"
    if problems.errors:
        assert book is None
        if _built["count"] < BUILDS * 2:  # a failed build is cheap: it stops at check
            dist = place / "dist"
            shutil.rmtree(dist, ignore_errors=True)
            dist.mkdir()
            (dist / "oic-book.pdf").write_bytes(b"old")
            with pytest.raises(BookError):
                build(place, dist)
            assert [p.name for p in dist.iterdir()] == ["oic-book.pdf"]
            assert (dist / "oic-book.pdf").read_bytes() == b"old"
        return
    if _built["count"] >= BUILDS:
        return
    _built["count"] += 1
    event("built")
    dist = place / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    with watching() as opened:
        result = build(place, dist, formats=("pdf", "epub"))
    assert _outside(opened, [place, dist]) == []
    written = set(
        re.findall(
            r"Белгі\d\d",
            "\n".join(p.title + "".join(t for _, t in p.texts) for p in book.parts),
        )
    )
    pdf_text = text_of_pdf(dist / "oic-book.pdf")
    epub_text = text_of_epub(dist / "oic-book.epub")
    for marker in sorted(written):
        assert marker in pdf_text, f"{marker} missing from the PDF"
        assert marker in epub_text, f"{marker} missing from the EPUB"
    for note in (n for p in book.parts for n in p.footnotes):
        for marker in re.findall(r"Белгі\d\d", "".join(note.paragraphs)):
            assert marker in pdf_text and marker in epub_text, f"note {note.label} lost"
    assert result.pages >= 1
