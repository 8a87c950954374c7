"""Spell checking with Debian's hunspell-kk and the project's word list.

hunspell runs once over all the text; each word it flags is then reported at every
`path:line` where it occurs. The 2009 dictionary lacks many inflected forms and proper
nouns, so the word list (book.yaml: `wordlist`) carries them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ..errors import Problems
from ..model import Book

DICTIONARY = "kk_KZ"
_TAG = re.compile(r"<[^>]+>")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Text marked as another language ({lang=en}, an Arabic run): only Kazakh is spell-checked.
_FOREIGN = re.compile(r'<(\w+)\b[^>]*\slang="(?!kk\b)[^"]*"[^>]*>.*?</\1>', re.DOTALL)


def _texts(book: Book) -> list[tuple[Path, int, str]]:
    # part.texts is the Kazakh text of every paragraph and heading, titles included
    texts = [(part.path, line, text) for part in book.parts for line, text in part.texts]
    texts += [
        (
            entry.path,
            entry.line,
            f"{entry.term} {entry.expansion} "
            + _TAG.sub(" ", _FOREIGN.sub(" ", entry.definition_html)),
        )
        for entry in book.glossary
    ]
    return texts


def check_spelling(book: Book, problems: Problems) -> None:
    """Report every word hunspell does not know (warning S001)."""
    if shutil.which("hunspell") is None:
        problems.error(
            "S002",
            book.config.path,
            1,
            "hunspell is not installed (Debian: apt-get install hunspell hunspell-kk)",
        )
        return
    command = ["hunspell", "-d", DICTIONARY, "-i", "utf-8", "-l"]
    if book.config.wordlist:
        command[1:1] = ["-p", str(book.config.wordlist)]
    texts = _texts(book)
    result = subprocess.run(
        command,
        input="\n".join(text for _, _, text in texts),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or "Can't open affix or dictionary" in result.stderr:
        problems.error(
            "S002",
            book.config.path,
            1,
            f"hunspell cannot run with the {DICTIONARY} dictionary: "
            f"{result.stderr.strip()[:200]}",
        )
        return
    # Kazakh is written in Cyrillic: a word without a Cyrillic letter (Ctrl, OIC, a
    # number) is a name or code in another script, not a Kazakh word to check.
    flagged = sorted(w for w in set(result.stdout.split()) if _CYRILLIC.search(w))
    for word in flagged:
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
        for path, line, text in texts:
            if pattern.search(text):
                problems.warning("S001", path, line, f"unknown word '{word}' (spelling)")
                break
