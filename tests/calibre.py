"""The EPUB through calibre, as Kindle and Kobo users' tools see it (`make calibre`).

    python tests/calibre.py dist/oic-book.epub

- `ebook-convert` to AZW3 (Kindle's KF8) prints no warning or error;
- `ebook-convert` to PDF starts with one cover page, then the title page: no second
  cover, no blank page anywhere;
- calibre's own "Check book" (the editor's checks) finds nothing: font names that match
  the embedded fonts, generic fallbacks, media types it knows.

calibre is a Debian package (`calibre`), not a pip one, and large; so this is a make target
of its own, not part of `make test`. Exits 0 when all pass, 1 when one fails, 2 when
calibre is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# calibre's PDF output and checks run QtWebEngine, which refuses to start as root with its
# sandbox on (CI and containers run as root).
ENV = {
    **os.environ,
    "QTWEBENGINE_DISABLE_SANDBOX": "1",
    "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox --disable-gpu",
}
CHECK_BOOK = """
import sys
from calibre.ebooks.oeb.polish.container import get_container
from calibre.ebooks.oeb.polish.check.main import run_checks
for error in run_checks(get_container(sys.argv[1], tweak_mode=True)):
    print(f"CHECK {type(error).__name__}: {error.msg} ({error.name})")
"""
_PROBLEM = re.compile(r"\b(warn(ing)?|error|failed)\b", re.IGNORECASE)
# QtWebEngine's own start-up lines, which say nothing about the book.
_QT_NOISE = re.compile(r"zygote_host|XDG_RUNTIME_DIR|graphics backend|GL Type|Sandboxing")


def convert(epub: Path, out: Path) -> list[str]:
    """Run ebook-convert; the lines of its output that report a problem."""
    run = subprocess.run(
        ["ebook-convert", str(epub), str(out)],
        check=False,
        capture_output=True,
        text=True,
        env=ENV,
    )
    lines = (run.stdout + run.stderr).splitlines()
    problems = [line for line in lines if _PROBLEM.search(line) and not _QT_NOISE.search(line)]
    if run.returncode:
        problems.append(f"ebook-convert exited {run.returncode}")
    return problems


def pdf_pages(pdf: Path) -> list[tuple[str, float]]:
    """Each page's text and the share of its pixels that are not white."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    pages = []
    for page in document:
        text = page.get_textpage().get_text_range().strip()
        image = page.render(scale=0.3).to_pil().convert("L")
        inked = sum(image.histogram()[:200]) / (image.width * image.height)
        pages.append((text, inked))
    return pages


def main(argv: list[str]) -> int:
    if shutil.which("ebook-convert") is None or shutil.which("calibre-debug") is None:
        print("make calibre needs calibre: sudo apt-get install calibre", file=sys.stderr)
        return 2
    epub = Path(argv[0] if argv else "dist/oic-book.epub").resolve()
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        azw3 = convert(epub, work / "book.azw3")
        print(f"AZW3: {len(azw3)} warning(s)")
        failures += [f"AZW3: {line}" for line in azw3]

        pdf = convert(epub, work / "book.pdf")
        failures += [f"PDF: {line}" for line in pdf]
        pages = pdf_pages(work / "book.pdf")
        cover_like = [
            i + 1 for i, (text, inked) in enumerate(pages) if not text and inked > 0.5
        ]
        blank = [i + 1 for i, (text, inked) in enumerate(pages) if not text and inked < 0.01]
        print(f"PDF: {len(pages)} pages; cover-like pages {cover_like}; blank pages {blank}")
        if cover_like != [1]:
            failures.append(f"PDF: the cover should be page 1 only, not {cover_like}")
        if blank:
            failures.append(f"PDF: blank pages {blank}")

        script = work / "check_book.py"
        script.write_text(CHECK_BOOK, encoding="utf-8")
        run = subprocess.run(
            ["calibre-debug", str(script), str(epub)],
            check=False,
            capture_output=True,
            text=True,
            env=ENV,
        )
        checks = [line for line in run.stdout.splitlines() if line.startswith("CHECK ")]
        print(f"Check book: {len(checks)} problem(s)")
        failures += checks
    for failure in failures:
        print(failure)
    print("calibre: " + ("all passed" if not failures else f"{len(failures)} problem(s)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
