"""Benchmark the builder on synthetic manuscripts of about 50, 200 and 1,000 pages.

    python tests/bench/run.py [--sizes 1,8,43] [--out tests/bench/RESULTS.md] [--no-write]

Each size is a temporary project made from the real manuscript: the chapters repeated
N times (footnote labels suffixed so they stay unique in the book; heading ids are made
per part by the reader, so they stay unique too; {term} and {index} roles kept), the
preface and glossary once, `styles/` copied (a project's folders may not be links out). For each size, each command in a fresh
process tree whose memory is sampled every 20 ms (PSS and RSS of the process and all its
descendants, summed: the build's workers count):

- `oic-book build --strict` from nothing (no layout cache): the full build;
- the same after one word of one chapter (in the middle of the book) has changed: the
  incremental build, with the layout cache the full build left;
- one WeasyPrint pass of the same book's HTML (`pdf.lay_out_in_one_pass`: layout and
  PDF writing of the whole book as one document, as the builder did before it laid the
  book out in chunks), timed without reading and rendering;
- pandoc's EPUB of the same Markdown files, if pandoc is installed;
- `oic-book check --strict`.
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
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("check", "render", "layout", "pdf", "pdfua", "epub", "write")
_STAGE_LINE = re.compile(r"^(\w+)\s+(\d+\.\d+) s")
_PAGES_LINE = re.compile(r"^(\d+) pages$")
_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")
_HEADING_ID = re.compile(r"\{#([\w-]+)\}")
_ID_LINK = re.compile(r"\]\(#([\w-]+)\)")
_CHAPTER_LIST = re.compile(r"(?m)^chapters:\n(?:[ \t]+-[^\n]*\n)+")

# One WeasyPrint pass over the whole book: the reference the chunked layout is measured
# against. Reading and rendering the HTML happen first and are not timed.
_SINGLE_PASS = r"""
import json, sys, time
from pathlib import Path
from oic_book.editions import pdf
from oic_book.manuscript import check
project = Path(sys.argv[1]).resolve()
book, problems = check.check_project(project)
import weasyprint
start = time.perf_counter()
data, pages = pdf.lay_out_in_one_pass(book, project)
print(json.dumps({"seconds": time.perf_counter() - start, "bytes": len(data)}))
"""


@dataclass
class Run:
    """One command's process tree: wall time, peak memory summed over it, CPU time."""

    wall: float
    pss_mib: float  # peak of the summed PSS of the process and its descendants
    rss_mib: float  # peak of the summed RSS (counts shared pages once per process)
    cpu: float  # user + system time of the process and every descendant it waited for
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Result:
    size: int
    pages: int = 0
    full: Run | None = None
    incremental: Run | None = None
    single: Run | None = None
    single_seconds: float | None = None
    stages: dict[str, float] = field(default_factory=dict)
    epub_made: float | None = None
    pandoc: float | None = None
    check_wall: float | None = None

    @property
    def per_page_ms(self) -> float:
        return 1000 * self.full.wall / self.pages


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return found


def tree_memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in KiB of `pid` and all its descendants, summed."""
    pss = rss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            continue
        stack += _children(current)
    return pss, rss


def run(cmd: list[str], cwd: Path | None = None, src: Path | None = None) -> Run:
    """Run `cmd` in a fresh process; wall time, peak memory of its tree, CPU time."""
    env = dict(os.environ)
    if src is not None:  # the oic_book package to measure (default: the installed one)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        peak = [0, 0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                pss, rss = tree_memory(proc.pid)
                peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall,
            peak[0] / 1024,
            max(peak[1], usage.ru_maxrss) / 1024,
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


def change_one_word(project: Path) -> Path:
    """Change one word of the chapter in the middle of the book: the incremental case."""
    chapters = sorted((project / "manuscript" / "chapters").glob("*.md"))
    chapter = chapters[len(chapters) // 2]
    text = chapter.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        words = line.split(" ")
        if number > 2 and len(words) > 8 and not line.startswith(("#", "[^", "-")):
            words[4] = "мен" if words[4] != "мен" else "және"
            lines[number] = " ".join(words)
            break
    chapter.write_text("".join(lines), encoding="utf-8")
    return chapter


def parse_log(stderr: str) -> tuple[dict[str, float], int, float | None]:
    stages: dict[str, float] = {}
    pages = 0
    epub_made = None
    for line in stderr.splitlines():
        if m := _STAGE_LINE.match(line.strip()):
            if m.group(1) == "epubmade":
                epub_made = float(m.group(2))
            else:
                stages[m.group(1)] = float(m.group(2))
        elif m := _PAGES_LINE.match(line.strip()):
            pages = int(m.group(1))
    return stages, pages, epub_made


def pandoc_epub(project: Path) -> float | None:
    """pandoc's wall time for an EPUB of the same Markdown files, or None without pandoc."""
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        return None
    manuscript = project / "manuscript"
    book_yaml = (manuscript / "book.yaml").read_text(encoding="utf-8")
    files = [
        line.split("-", 1)[1].strip()
        for line in book_yaml.splitlines()
        if line.startswith("  - ") and line.strip().endswith(".md")
    ]
    start = time.perf_counter()
    subprocess.run(
        [pandoc, "-f", "markdown", "-t", "epub3", "-o", str(project / "pandoc.epub")]
        + ["--metadata", "title=oic-book", "--metadata", "lang=kk", *files],
        cwd=manuscript,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def bench_size(
    size: int, workdir: Path, check: bool = True, root: Path = ROOT, repeat: int = 1
) -> Result:
    """Build one synthetic project of `size`× the real chapters and measure it."""
    import json

    project = make_project(size, workdir / f"x{size}", root)
    python = sys.executable
    src = root / "src"
    base = [python, "-m", "oic_book"]
    build = [*base, "build", "--strict", "-C", str(project), "-o", str(project / "dist")]
    result = Result(size)
    for _ in range(repeat):  # best of `repeat`: the machine may be shared
        shutil.rmtree(project / ".cache", ignore_errors=True)
        attempt = run(build, src=src)
        if attempt.returncode:
            raise SystemExit(f"bench: build of x{size} failed:\n{attempt.stderr}")
        if result.full is None or attempt.wall < result.full.wall:
            result.full = attempt
    result.stages, result.pages, result.epub_made = parse_log(result.full.stderr)
    change_one_word(project)
    result.incremental = run(build, src=src)
    if result.incremental.returncode:
        raise SystemExit(f"bench: incremental build of x{size} failed")
    result.single = run([python, "-c", _SINGLE_PASS, str(project)], src=src)
    if result.single.returncode:
        raise SystemExit(f"bench: single pass of x{size} failed:\n{result.single.stderr}")
    result.single_seconds = json.loads(result.single.stdout.strip().splitlines()[-1])["seconds"]
    result.pandoc = pandoc_epub(project)
    if check:
        walls = []
        for _ in range(3):
            chk = run([*base, "check", "--strict", "-C", str(project)], src=src)
            if chk.returncode:
                raise SystemExit(f"bench: check of x{size} failed:\n{chk.stderr}")
            walls.append(chk.wall)
        result.check_wall = min(walls)
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
    pandoc = shutil.which("pandoc")
    if pandoc:
        pandoc = subprocess.run(
            [pandoc, "--version"], check=True, capture_output=True, text=True
        ).stdout
        pandoc = pandoc.splitlines()[0]
    try:
        load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    return {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "WeasyPrint": wp,
        "pandoc": pandoc or "not installed",
        "load average (1/5/15 min) at the end": load,
        "date": dt.date.today().isoformat(),
    }


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) // 1024 // 1024} GiB"
    except OSError:
        pass
    return "unknown"


# Everything after this line in the report is hand-written and kept when it is regenerated.
NOTES_MARKER = "<!-- notes: kept when tests/bench/run.py rewrites this file -->"

COLUMNS = (
    "size",
    "pages",
    "full s",
    "ms/page",
    "incremental s",
    "peak PSS MiB",
    "peak RSS sum MiB",
    "CPU s",
    *(f"{s} s" for s in STAGES),
    "single pass s",
    "single pass peak MiB",
    "full / single",
    "EPUB s",
    "pandoc EPUB s",
    "`check` s",
)


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(results: list[Result]) -> str:
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results:
        cells = [
            f"×{r.size}",
            str(r.pages),
            _f(r.full.wall),
            _f(r.per_page_ms, 1),
            _f(r.incremental.wall),
            _f(max(r.full.pss_mib, r.incremental.pss_mib), 0),
            _f(max(r.full.rss_mib, r.incremental.rss_mib), 0),
            _f(r.full.cpu, 1),
            *(_f(r.stages.get(s)) for s in STAGES),
            _f(r.single_seconds),
            _f(r.single.rss_mib, 0),
            _f(r.full.wall / r.single_seconds),
            _f(r.epub_made),
            _f(r.pandoc),
            _f(r.check_wall),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def targets(results: list[Result]) -> str:
    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = []
    by_pages = sorted(results, key=lambda r: r.pages)
    big = by_pages[-1]
    note = "" if big.pages >= 900 else " (the largest size run; not 1,000 pages)"
    lines.append(
        f"- full build ≤ 45 s at {big.pages} pages: {met(big.full.wall <= 45)} "
        f"({big.full.wall:.1f} s){note}"
    )
    peak = max(big.full.pss_mib, big.incremental.pss_mib)
    lines.append(
        f"- peak memory ≤ 500 MB at {big.pages} pages, summed over the build's processes: "
        f"{met(peak * 1.048576 <= 500)} (PSS {peak:.0f} MiB; RSS summed "
        f"{max(big.full.rss_mib, big.incremental.rss_mib):.0f} MiB){note}"
    )
    lines.append(
        f"- one-word change ≤ 10 s at {big.pages} pages: "
        f"{met(big.incremental.wall <= 10)} ({big.incremental.wall:.2f} s){note}"
    )
    small = by_pages[0]
    if small.pages <= 40:
        lines.append(
            f"- one-word change ≤ 1.5 s at {small.pages} pages: "
            f"{met(small.incremental.wall <= 1.5)} ({small.incremental.wall:.2f} s)"
        )
    if big.pandoc is not None and big.epub_made is not None:
        lines.append(
            f"- EPUB no slower than pandoc's at {big.pages} pages: "
            f"{met(big.epub_made <= big.pandoc)} ({big.epub_made:.2f} s against "
            f"{big.pandoc:.2f} s)"
        )
    if len(by_pages) >= 2:  # the largest size against the one before it
        middle = by_pages[-2]
        ratio = big.per_page_ms / middle.per_page_ms
        lines.append(
            f"- time per page at {big.pages} pages ≤ 1.1 × at {middle.pages}: "
            f"{met(ratio <= 1.1)} ({big.per_page_ms:.1f} vs {middle.per_page_ms:.1f} "
            f"ms/page = {ratio:.2f}×)"
        )
    return "\n".join(lines) + "\n"


def report(results: list[Result], extra: str = "") -> str:
    info = machine()
    head = "# Benchmark results\n\n" + "".join(f"- {k}: {v}\n" for k, v in info.items())
    return (
        head + "\nEach size: the real chapters repeated ×N (preface and glossary once). "
        "*full*: `oic-book build --strict` with no layout cache; *incremental*: the same "
        "after one word of the middle chapter changed. *peak PSS* and *peak RSS sum*: the "
        "highest sum over the build's process tree (the command and its workers), sampled "
        "every 20 ms, over both builds. *CPU*: user + system time of the full build's tree. "
        "Stage columns are the full build's log (`layout` includes waiting for the "
        "workers). *single pass*: one WeasyPrint layout and PDF writing of the same book as "
        "one document, in the same run, without reading and rendering; *full / single*: "
        "the full build's wall time over it. *EPUB*: the EPUB process's own time; "
        "*pandoc EPUB*: pandoc's wall time for an EPUB of the same Markdown files.\n\n"
        + table(results)
        + "\n## Targets\n\n"
        + targets(results)
        + extra
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The real chapters make about 23 of the book's 52 pages (front and back matter, once,
    # the rest): ×8 and ×43 give the ~200 and ~1,000 pages the targets speak of. The report
    # gives the pages each size really had.
    parser.add_argument("--sizes", default="1,8,43", help="comma-separated multiples")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "bench" / "RESULTS.md")
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
        help="best of N full builds per size (default: 3 up to ×10, 1 above)",
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
                bench_size(size, workdir, not args.no_check, args.root.resolve(), repeat)
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
