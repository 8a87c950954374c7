"""A generated manuscript of any length, for the tests of the layout in chunks.

Chapters of different lengths (so that some end on a left-hand page and some leave a blank
verso), with sections, footnotes long and short, glossary terms, index marks, lists and
links to other chapters; words drawn with a fixed seed from the Kazakh text in
`tests/data/source.txt`, so the same call makes the same book.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

SOURCE = Path(__file__).parent / "data" / "source.txt"

GLOSSARY = """\
- term: ИЫҰ
  expansion: Ислам ынтымақтастық ұйымы
  definition: Мұсылман елдерінің үкіметаралық ұйымы.
  index: true
- term: БҰҰ
  expansion: Біріккен Ұлттар Ұйымы
  definition: Әлемдік үкіметаралық ұйым.
- term: ҚР
  expansion: Қазақстан Республикасы
  definition: Орталық Азиядағы мемлекет.
  index: true
"""
TERMS = ("ИЫҰ", "БҰҰ", "ҚР")
NAMES = ("Рабат", "Джидда", "Астана", "Мекке", "Каир", "Доха", "Тегеран")


def _words() -> list[str]:
    text = SOURCE.read_text(encoding="utf-8")
    return sorted({w for w in re.findall(r"[а-яәғқңөұүһі]{3,}", text) if w.islower()})


def make_book(root: Path, chapters: int, seed: int = 15) -> Path:
    """Write a project (manuscript/ only) of `chapters` chapters under `root`; returns root.

    About five pages a chapter on average.
    """
    rng = random.Random(seed)
    words = _words()

    def sentence(extra: str = "") -> str:
        chosen = rng.sample(words, rng.randint(5, 14))
        chosen[0] = chosen[0].capitalize()
        return " ".join(chosen) + extra + "."

    def paragraph(number: int, notes: list[str], slug: str) -> str:
        parts = []
        for _ in range(rng.randint(2, 7)):
            roll = rng.random()
            if roll < 0.12:
                parts.append(f"{{term}}`{rng.choice(TERMS)}` " + sentence())
            elif roll < 0.24:
                name = rng.choice(NAMES)
                parts.append(sentence(f" {{index}}`{name}`"))
            elif roll < 0.30:
                label = f"{slug}-{len(notes) + 1}"
                long = rng.random() < 0.3
                note = " ".join(sentence() for _ in range(rng.randint(4, 9) if long else 1))
                notes.append(f"[^{label}]: {note}")
                parts.append(sentence() + f"[^{label}]")
            elif roll < 0.33 and number > 1:
                target = rng.randint(1, number - 1)
                parts.append(sentence() + f" Қараңыз: [{target}-тарау](#ch{target}).")
            else:
                parts.append(sentence())
        return " ".join(parts)

    manuscript = root / "manuscript"
    (manuscript / "chapters").mkdir(parents=True)
    (manuscript / "front").mkdir()
    listed = []
    for number in range(1, chapters + 1):
        slug = f"c{number}"
        notes: list[str] = []
        lines = [f"# {sentence()[:-1]}", ""]
        size = rng.choice((1, 2, 3, 4, 5, 6, 8, 10))
        for section in range(rng.randint(1, 4)):
            lines += [f"## {sentence()[:-1]}", ""]
            for index in range(max(1, size * 3 // 2)):
                if index == 2 and rng.random() < 0.3:
                    lines += [f"### {sentence()[:-1]}", ""]
                if rng.random() < 0.1:
                    lines += [f"- {sentence()}" for _ in range(rng.randint(2, 5))] + [""]
                lines += [paragraph(number, notes, slug), ""]
        lines += [*notes, ""]
        name = f"chapters/{number:03d}.md"
        (manuscript / name).write_text("\n".join(lines), encoding="utf-8")
        listed.append(name)
    (manuscript / "front" / "preface.md").write_text(
        "# Алғы сөз\n\n" + "\n\n".join(sentence() for _ in range(6)) + "\n", encoding="utf-8"
    )
    (manuscript / "glossary.yaml").write_text(GLOSSARY, encoding="utf-8")
    (manuscript / "book.yaml").write_text(
        "title: Бөліктер кітабы\n"
        "subtitle: Бөліп беттеу сынағы\n"
        "language: kk\n"
        "authors: [Автор Бір]\n"
        "publisher: Баспа\n"
        "date: 2026-01-15\n"
        "rights: CC BY-SA 4.0\n"
        "identifier: urn:uuid:00000000-0000-4000-8000-000000000015\n"
        "page_size: A5\n"
        "front:\n  - front/preface.md\n"
        "chapters:\n"
        + "".join(f"  - {name}\n" for name in listed)
        + "glossary: glossary.yaml\n",
        encoding="utf-8",
    )
    return root
