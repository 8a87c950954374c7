"""What each feature of the builder's print markup costs WeasyPrint, per page.

    python tests/bench/markup.py [--size 5] [--repeat 2]

Lays out the parts of the ×N benchmark book as one chunk, as the build does, and again
with one feature of the generated markup taken out at a time; reports the CPU time of
the layout and of the PDF writing for each variant, and the difference to the full
markup per page. The variants change the text's layout too (no hyphenation, no notes),
so they measure cost, not a book anyone would print.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _unwrap(html: str, pattern: str) -> str:
    return re.sub(pattern, r"\1", html, flags=re.DOTALL)


VARIANTS = {
    "full markup": lambda h: h,
    "no block ids": lambda h: re.sub(
        r'(<(?:p|li|dd|dt|blockquote|figure|table)) id="[^"]*"', r"\1", h
    ),
    "no index spans": lambda h: _unwrap(h, r'<span class="ix" id="[^"]*">(.*?)</span>'),
    "no term spans/links": lambda h: _unwrap(
        _unwrap(h, r'<span class="term" id="[^"]*">(.*?)</span>'),
        r'<a class="glossref"[^>]*>(.*?)</a>',
    ),
    "no nohyph spans": lambda h: _unwrap(h, r'<span class="nohyph">(.*?)</span>'),
    "no noteword spans": lambda h: _unwrap(h, r'<span class="noteword">(.*?)</span>'),
    "no footnotes": lambda h: re.sub(
        r"<oic-footnote.*?</oic-footnote>", "", h, flags=re.DOTALL
    ),
    "no hyphenation": lambda h: h.replace(
        "</head>", "<style>p, li, dd, .footnote { hyphens: manual }</style></head>", 1
    ),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--variants", default="")
    args = parser.parse_args(argv)
    from oic_book.editions import pdf
    from oic_book.manuscript import check
    from oic_book.project import Project

    with tempfile.TemporaryDirectory(prefix="oic-markup-") as tmp:
        project_dir = bench.make_project(args.size, Path(tmp) / "book")
        book, problems = check.check_project(project_dir)
        assert book is not None, problems.sorted()
        project = Project.at(project_dir)
        parts = tuple(book.parts)
        from oic_book import render

        html = render.render_print_html(book, None, (), parts)
        fetcher = pdf.make_url_fetcher(project, pdf.image_sources(book))
        styles = pdf.print_styles(project, fetcher)
        names = [v for v in args.variants.split(",") if v] or list(VARIANTS)
        base = None
        print("| variant | pages | layout CPU s | write CPU s | ms/page | Δ ms/page |")
        print("|---|---|---|---|---|---|")
        for name in names:
            variant = VARIANTS[name](html)
            best = None
            for _ in range(args.repeat):
                start = _cpu()
                document, _ = pdf.layout(variant, book.config, project, fetcher, styles=styles)
                middle = _cpu()
                pdf.pdf_bytes(document, book.config)
                end = _cpu()
                pages = len(document.pages)
                del document
                result = (middle - start, end - middle, pages)
                if best is None or sum(result[:2]) < sum(best[:2]):
                    best = result
            per_page = 1000 * (best[0] + best[1]) / best[2]
            base = per_page if base is None else base
            print(
                f"| {name} | {best[2]} | {best[0]:.2f} | {best[1]:.2f} | {per_page:.1f} | "
                f"{per_page - base:+.1f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
