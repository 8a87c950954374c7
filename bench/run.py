"""Benchmark the builder on synthetic manuscripts of about 1×, 10× and 50× the real book.

    python bench/run.py [--sizes 1,10,50] [--out bench/RESULTS.md] [--no-write]

Each size is a temporary project made from the real manuscript: the chapters repeated
N times (footnote labels suffixed so they stay unique in the book; heading ids are made
per part by the reader, so they stay unique too; {term} and {index} roles kept), the
preface and glossary once, `styles/` copied (a project's folders may not be links out). For each size it runs, each in a fresh
subprocess so that peak RSS is that process's own (`os.wait4` rusage):

- `oic-book build` — wall time, peak RSS, CPU time, the stage times the builder logs
  (`"%-8s %6.2f s"` per stage, then `"N pages"`), and the time spent inside WeasyPrint
  (import, `CSS()`, `HTML.render`, `Document.write_pdf`), timed by wrapping those calls
  in the same process;
- `oic-book check`.

The builder's overhead is the build's wall time minus WeasyPrint's time in that process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("check", "render", "layout", "pages", "pdf", "pdfua", "epub", "write")
_STAGE_LINE = re.compile(r"^(\w+)\s+(\d+\.\d+) s$")
_PAGES_LINE = re.compile(r"^(\d+) pages$")
_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")
_HEADING_ID = re.compile(r"\{#([\w-]+)\}")
_ID_LINK = re.compile(r"\]\(#([\w-]+)\)")
_CHAPTER_LIST = re.compile(r"(?m)^chapters:\n(?:[ \t]+-[^\n]*\n)+")

# The build, instrumented: every call into WeasyPrint's layout (`HTML.render`), its PDF
# writer (`Document.write_pdf`) and its CSS parser is timed and counted in the same process,
# then `oic-book build` runs as usual. WeasyPrint's time = import + CSS + render + write_pdf;
# the builder's overhead is the rest of the process's wall time.
_DRIVER = r"""
import json, sys, time
t_start = time.perf_counter()
import weasyprint
t_import = time.perf_counter() - t_start
spent = {"import": t_import, "css": 0.0, "render": 0.0, "write_pdf": 0.0}
calls = {"css": 0, "render": 0, "write_pdf": 0}
def timed(owner, name, key):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - t0
            calls[key] += 1
    setattr(owner, name, wrapper)
timed(weasyprint.CSS, "__init__", "css")
timed(weasyprint.HTML, "render", "render")
timed(weasyprint.Document, "write_pdf", "write_pdf")
import logging, os
from oic_book.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "spent": spent, "calls": calls,
                  "in_process": time.perf_counter() - t_start}))
# As the `oic-book` entry point (cli.run) does: no heap teardown at exit.
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""


@dataclass
class Run:
    """One subprocess: its wall time, peak RSS (MiB), CPU time and output."""

    wall: float
    rss_mib: float
    cpu: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Result:
    size: int
    pages: int
    wall: float
    rss_mib: float
    cpu: float
    stages: dict[str, float] = field(default_factory=dict)
    weasyprint: dict[str, float] = field(default_factory=dict)  # import, css, render, write_pdf
    calls: dict[str, int] = field(default_factory=dict)
    check_wall: float | None = None
    check_stage: float | None = None

    @property
    def per_page_ms(self) -> float:
        return 1000 * self.wall / self.pages

    @property
    def engine(self) -> float:
        """WeasyPrint's time in the build: import + CSS + layout + PDF writing."""
        return sum(self.weasyprint.values())

    @property
    def overhead(self) -> float:
        """The build's wall time minus WeasyPrint's own time in the same process."""
        return self.wall - self.engine

    @property
    def stage_overhead(self) -> float:
        """Build wall − the `layout` and `pdf` stages."""
        return self.wall - self.stages.get("layout", 0.0) - self.stages.get("pdf", 0.0)


def run(cmd: list[str], cwd: Path | None = None, src: Path | None = None) -> Run:
    """Run `cmd` in a fresh process; wall time and that child's own rusage."""
    env = dict(os.environ)
    if src is not None:  # the oic_book package to measure (default: the installed one)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall,
            usage.ru_maxrss / 1024,  # KiB on Linux
            usage.ru_utime + usage.ru_stime,
            proc.returncode,
            out.read(),
            err.read(),
        )


def make_project(
    size: int, dest: Path, source: Path = ROOT, copies: range | None = None
) -> Path:
    """A project with the real chapters repeated `size` times; returns its folder.

    `copies` picks which of the copies to include (default: all `size` of them).
    """
    manuscript = source / "manuscript"
    target = dest / "manuscript"
    shutil.copytree(manuscript, target, ignore=shutil.ignore_patterns("chapters"))
    # Copied, not linked: the builder refuses a `styles/` that is a link out of the project.
    shutil.copytree(source / "styles", dest / "styles")
    book_yaml = (manuscript / "book.yaml").read_text(encoding="utf-8")
    match = _CHAPTER_LIST.search(book_yaml)
    if match is None:
        raise SystemExit("bench: no 'chapters:' list in book.yaml")
    chapters = [
        line.split("-", 1)[1].strip()
        for line in match.group(0).splitlines()[1:]
        if line.strip()
    ]
    # The chapters' folder with its images (paths are relative to the chapter), not the
    # Markdown files, which are written below.
    shutil.copytree(
        manuscript / "chapters",
        target / "chapters",
        ignore=lambda folder, names: [n for n in names if n.endswith(".md")],
    )
    listed = []
    declared = {
        anchor
        for rel in chapters
        for anchor in _HEADING_ID.findall((manuscript / rel).read_text(encoding="utf-8"))
    }
    for copy in copies if copies is not None else range(size):
        for rel in chapters:
            text = (manuscript / rel).read_text(encoding="utf-8")
            name = Path(rel)
            if copy:  # the first copy is the real chapter, unchanged
                text = _FOOTNOTE.sub(rf"[^\1-c{copy}]", text)
                # Heading ids an author gave ({#arab}) and the links to them, per copy.
                text = _HEADING_ID.sub(rf"{{#\1-c{copy}}}", text)
                text = _ID_LINK.sub(
                    lambda m, c=copy: f"](#{m[1]}-c{c})" if m[1] in declared else m[0], text
                )
                name = name.with_name(f"{name.stem}-c{copy:03d}{name.suffix}")
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text(text, encoding="utf-8")
            listed.append(name.as_posix())
    listing = "chapters:\n" + "".join(f"  - {rel}\n" for rel in listed)
    book_yaml = book_yaml[: match.start()] + listing + book_yaml[match.end() :]
    (target / "book.yaml").write_text(book_yaml, encoding="utf-8")
    return dest


def parse_log(stderr: str) -> tuple[dict[str, float], int]:
    stages: dict[str, float] = {}
    pages = 0
    for line in stderr.splitlines():
        if m := _STAGE_LINE.match(line.strip()):
            stages[m.group(1)] = float(m.group(2))
        elif m := _PAGES_LINE.match(line.strip()):
            pages = int(m.group(1))
    return stages, pages


def bench_size(
    size: int,
    workdir: Path,
    check: bool = True,
    root: Path = ROOT,
    repeat: int = 1,
) -> Result:
    """Build one synthetic project of `size`× the real chapters and measure it."""
    import json

    project = make_project(size, workdir / f"x{size}", root)
    python = sys.executable
    src = root / "src"
    base = [python, "-m", "oic_book"]
    build = None
    for _ in range(repeat):  # best of `repeat`: the machine may be shared
        args = ["build", "-C", str(project), "-o", str(project / "dist")]
        attempt = run([python, "-c", _DRIVER, *args], src=src)
        if attempt.returncode:
            raise SystemExit(f"bench: build of x{size} failed:\n{attempt.stderr}")
        if build is None or attempt.wall < build.wall:
            build = attempt
    data = json.loads(build.stdout.strip().splitlines()[-1])
    stages, pages = parse_log(build.stderr)
    result = Result(
        size, pages, build.wall, build.rss_mib, build.cpu, stages, data["spent"], data["calls"]
    )
    if check:
        walls = []
        for _ in range(3):
            chk = run(base + ["check", "--strict", "-C", str(project)], src=src)
            if chk.returncode:
                raise SystemExit(f"bench: check of x{size} failed:\n{chk.stderr}")
            walls.append(chk.wall)
        result.check_wall = min(walls)
        inproc = run(
            [
                python,
                "-c",
                (
                    "import sys,time; from pathlib import Path; from oic_book.manuscript import check;"
                    "t=time.perf_counter(); check.check_project(Path(sys.argv[1]));"
                    "print(time.perf_counter()-t)"
                ),
                str(project),
            ],
            src=src,
        )
        result.check_stage = float(inproc.stdout.strip() or "nan")
    return result


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import weasyprint

        wp = weasyprint.__version__
    except ImportError:
        wp = "not installed"
    return {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "WeasyPrint": wp,
        "date": dt.date.today().isoformat(),
    }


# Everything after this line in the report is hand-written and kept when it is regenerated.
NOTES_MARKER = "<!-- notes: kept when bench/run.py rewrites this file -->"

COLUMNS = (
    "size",
    "pages",
    "wall s",
    "ms/page",
    "peak RSS MiB",
    "CPU/wall",
    *(f"{s} s" for s in STAGES),
    "WeasyPrint s",
    "layouts",
    "overhead s",
    "overhead %",
    "`check` cmd s",
)


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(results: list[Result]) -> str:
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results:
        cells = [
            f"×{r.size}",
            str(r.pages),
            _f(r.wall),
            _f(r.per_page_ms, 1),
            _f(r.rss_mib, 0),
            _f(r.cpu / r.wall),
            *(_f(r.stages.get(s)) for s in STAGES),
            _f(r.engine),
            str(r.calls.get("render", 0)),
            _f(r.overhead),
            _f(100 * r.overhead / r.wall, 1),
            _f(r.check_wall),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def targets(results: list[Result]) -> str:
    lines = []
    for r in results:
        pct = 100 * r.overhead / r.wall
        ok = "met" if pct <= 5 else "NOT met"
        w = r.weasyprint
        lines.append(
            f"- overhead ≤ 5 % at ×{r.size}: {ok} ({r.overhead:.2f} s of {r.wall:.2f} s = "
            f"{pct:.1f} %; WeasyPrint {r.engine:.2f} s = import {w.get('import', 0):.2f} + "
            f"CSS {w.get('css', 0):.2f} + layout {w.get('render', 0):.2f} + "
            f"write_pdf {w.get('write_pdf', 0):.2f})"
        )
    if len(results) >= 2:  # the largest size against the one before it (×50 vs ×10)
        small, large = sorted(results, key=lambda r: r.pages)[-2:]
        ratio = large.per_page_ms / small.per_page_ms
        ok = "met" if ratio <= 1.2 else "NOT met"
        lines.append(
            f"- time per page ×{large.size} ≤ 1.2 × ×{small.size}: {ok} "
            f"({large.per_page_ms:.1f} vs {small.per_page_ms:.1f} ms/page = {ratio:.2f}×)"
        )
    big = max(results, key=lambda r: r.pages)
    ok = "met" if big.rss_mib <= 500 else "NOT met"
    note = "" if big.pages >= 900 else " (the largest size run; not 1000 pages)"
    lines.append(
        f"- peak RSS ≤ 500 MB at {big.pages} pages: {ok} ({big.rss_mib:.0f} MiB){note}"
    )
    for r in results:
        n = r.calls.get("render", 0)
        ok = "met" if n == 1 else "NOT met"
        lines.append(f"- layout once at ×{r.size}: {ok} ({n} `HTML.render` call(s))")
    if big.check_wall is not None:
        ok = "met" if big.check_wall < 1 else "NOT met"
        lines.append(
            f"- `oic-book check` < 1 s at ×{big.size}: {ok} ({big.check_wall:.2f} s for the "
            f"command, {big.check_stage:.2f} s in-process `check_project`)"
        )
    return "\n".join(lines) + "\n"


def report(results: list[Result], extra: str = "") -> str:
    info = machine()
    head = "# Benchmark results\n\n" + "".join(f"- {k}: {v}\n" for k, v in info.items())
    return (
        head
        + "\nEach size: the real chapters repeated ×N (preface and glossary once). Each build "
        "runs in a fresh process (`oic-book build`, through a driver that times every call "
        "into WeasyPrint); peak RSS is that process's `ru_maxrss`. Stage columns are the "
        "builder's own log. *WeasyPrint* = `import weasyprint` + `CSS()` parsing + "
        "`HTML.render` (layout) + `Document.write_pdf`, timed in the same process; *layouts* "
        "counts the `HTML.render` calls; *overhead* = wall − WeasyPrint, i.e. Python "
        "start-up, the builder's own stages and exit. *check* is the `oic-book check "
        "--strict` command's wall time (best of 3). Builds are the best of N runs (3 up to "
        "×10, 1 above).\n\n" + table(results) + "\n## Targets\n\n" + targets(results) + extra
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The real chapters make ~12 of the book's 24 pages: ×15 and ×79 give the ~200 and
    # ~1000 pages that the targets speak of (a 20-page book ×10 and ×50).
    parser.add_argument("--sizes", default="1,15,79", help="comma-separated multiples")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print only, write no file")
    parser.add_argument("--no-check", action="store_true", help="skip timing `oic-book check`")
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="project whose manuscript, styles and src/ to measure (default: this one)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="best of N builds per size (default: 3 up to ×10, 1 above)",
    )
    parser.add_argument("--keep", type=Path, help="build the projects here and keep them")
    parser.add_argument("--append", type=Path, help="a Markdown file appended to the report")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    extra = args.append.read_text(encoding="utf-8") if args.append else ""
    if not extra and args.out.is_file():  # keep the hand-written notes of the last report
        previous = args.out.read_text(encoding="utf-8")
        if NOTES_MARKER in previous:
            extra = "\n" + previous[previous.index(NOTES_MARKER) :]
    results = []
    with tempfile.TemporaryDirectory(prefix="oic-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            print(f"bench: ×{size} …", file=sys.stderr, flush=True)
            repeat = args.repeat or (3 if size <= 10 else 1)
            results.append(
                bench_size(
                    size,
                    workdir,
                    not args.no_check,
                    args.root.resolve(),
                    repeat,
                )
            )
            if not args.no_write:  # a partial report, in case a later size is interrupted
                args.out.write_text(report(results, extra), encoding="utf-8")
    text = report(results, extra)
    print(text)
    if not args.no_write:
        args.out.write_text(text, encoding="utf-8")
        print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
