"""Experiment: would laying the book out in two processes beat one WeasyPrint pass?

    python bench/parallel.py [--size 50] [--out FILE]

Lays out and writes (WeasyPrint alone, the reference of `run.py`) the ×N book in one
process, then its two halves (copies 0…N/2−1 and N/2…N−1 of the chapters, each a whole
book with its own front matter, glossary and index) in two processes at once, and reports
the wall times and their ratio. This is an upper bound on what splitting could win: a real
split would also have to fix the second half's page numbers (known only once the first
half is laid out), merge two tagged PDF/UA files into one byte-reproducible file, and
rebuild the contents, index and glossary page references across the halves.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench

# One WeasyPrint pass of a project's print HTML through the builder's own `pdf.layout` and
# `pdf.pdf_bytes` (the HTML is made first and reported as "prep", outside the timing).
_REFERENCE = r"""
import sys, time, json
from pathlib import Path
t_start = time.perf_counter()
project = Path(sys.argv[1]).resolve()
from oic_book.manuscript import check
from oic_book import render
from oic_book.editions import pdf
book, problems = check.check_project(project)
assert book is not None, problems.sorted()
html = render.render_print_html(book)
t_prep = time.perf_counter() - t_start
t0 = time.perf_counter()
import weasyprint
t_import = time.perf_counter() - t0
from oic_book.project import Project  # noqa: E402

fetcher = pdf.make_url_fetcher(Project.at(project))
t0 = time.perf_counter()
doc = pdf.layout(html, book.config, Project.at(project), fetcher)
doc = doc[0] if isinstance(doc, tuple) else doc
t_layout = time.perf_counter() - t0
t0 = time.perf_counter()
data = pdf.pdf_bytes(doc, book.config)
t_write = time.perf_counter() - t0
print(json.dumps({"prep": t_prep, "import": t_import, "layout": t_layout,
                  "write": t_write, "pages": len(doc.pages), "bytes": len(data)}))
"""


def _reference(project: Path, src: Path) -> subprocess.Popen:
    import os

    env = dict(os.environ, PYTHONPATH=str(src))
    return subprocess.Popen(
        [sys.executable, "-c", _REFERENCE, str(project)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"parallel: reference failed:\n{err}")
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--root", type=Path, default=bench.ROOT)
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    src = root / "src"
    n, half = args.size, args.size // 2
    with tempfile.TemporaryDirectory(prefix="oic-par-") as tmp:
        tmp = Path(tmp)
        whole = bench.make_project(n, tmp / "whole", root)
        first = bench.make_project(n, tmp / "a", root, range(half))
        second = bench.make_project(n, tmp / "b", root, range(half, n))
        # HTML preparation (check + render) happens inside each process but is reported
        # separately ("prep") and taken out of the wall times below.
        start = time.perf_counter()
        one = _finish(_reference(whole, src))
        single = time.perf_counter() - start - one["prep"]
        start = time.perf_counter()
        procs = [_reference(first, src), _reference(second, src)]
        a, b = (_finish(p) for p in procs)
        both = time.perf_counter() - start - max(a["prep"], b["prep"])
    eng = lambda d: d["import"] + d["layout"] + d["write"]
    text = (
        f"## Parallel layout experiment (×{n})\n\n"
        "| run | pages | layout s | write s | wall s (excl. HTML prep) |\n|---|---|---|---|---|\n"
        f"| one pass | {one['pages']} | {one['layout']:.2f} | {one['write']:.2f} | {single:.2f} |\n"
        f"| half A (parallel) | {a['pages']} | {a['layout']:.2f} | {a['write']:.2f} | – |\n"
        f"| half B (parallel) | {b['pages']} | {b['layout']:.2f} | {b['write']:.2f} | – |\n"
        f"| both halves, 2 processes | {a['pages'] + b['pages']} | – | – | {both:.2f} |\n\n"
        f"Speed-up of two processes over one pass: **{single / both:.2f}×** "
        f"(WeasyPrint time alone: one pass {eng(one):.2f} s, slower half "
        f"{max(eng(a), eng(b)):.2f} s → {eng(one) / max(eng(a), eng(b)):.2f}×). "
        f"Threshold to adopt: 1.5×. This is before merging the two PDFs and before a second "
        f"pass to correct the second half's page numbers.\n"
    )
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
