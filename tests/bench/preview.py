"""Time the live preview: from a save to the open page showing the new text.

    python tests/bench/preview.py [--sizes 1,43] [--edits 6] [--out tests/bench/PREVIEW.md] [--no-write]

For each size (tests/bench/run.py's synthetic manuscripts: ×1 is the real book, about 50
pages; ×43 is about 1,000 pages) it starts `oic-book serve` as an author does (the PDF is rebuilt in
the background after each save), opens ch1.html in headless Chromium (Debian's, through
Playwright), then saves the first chapter N times, each time with a new word, and
measures the time from just before the write to the moment the reloaded page shows the
word (polled on every animation frame). The server's own "updated in" lines give the part
spent checking, rendering and writing.

Targets (issue 14): 0.5 s at 24 pages (measured on the real book, which is longer now),
1.5 s at about 1,000 pages.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from run import machine, make_project

TARGETS = {1: 0.5, 43: 1.5}  # seconds, by size
_UPDATED = re.compile(r"(\d+) page\(s\) updated in (\d+\.\d+) s")


def start_preview(project: Path) -> tuple[subprocess.Popen, str, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "oic_book", "serve", "-C", str(project), "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    arrivals: list[float] = []  # when each line came (perf_counter)
    started = threading.Event()

    def read() -> None:
        for line in process.stderr:
            arrivals.append(time.perf_counter())
            lines.append(line.rstrip("\n"))
            if "http://" in line:
                started.set()

    threading.Thread(target=read, daemon=True).start()
    if not started.wait(300):
        process.kill()
        raise SystemExit("bench: the preview did not start:\n" + "\n".join(lines))
    url = re.search(r"http://\S+/", next(line for line in lines if "http://" in line))[0]
    process.arrivals = arrivals  # type: ignore[attr-defined]
    return process, url, lines


def measure(size: int, edits: int, workdir: Path, browser) -> dict:
    project = make_project(size, workdir / f"preview-x{size}")
    chapter = project / "manuscript" / "chapters" / "01-history.md"
    original = chapter.read_text(encoding="utf-8")
    process, url, lines = start_preview(project)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "ch1.html")
        page.wait_for_selector("#oic-preview")
        times = []
        written = []  # from the write to the server's "updated" line
        for number in range(edits):
            time.sleep(1.5)  # as between two saves; the PDF build goes on meanwhile
            word = f"өлшеуіш{number}сөз{size}"
            updates_before = len([line for line in lines if _UPDATED.search(line)])
            start = time.perf_counter()
            chapter.write_text(original + f"\n\nСақталған {word}.\n", encoding="utf-8")
            page.wait_for_function(
                f"document.body !== null && document.body.innerText.includes('{word}')",
                polling="raf",
                timeout=60_000,
            )
            times.append(time.perf_counter() - start)
            # the server's line for this save: when it came, from the write
            deadline = time.monotonic() + 5
            while len([x for x in lines if _UPDATED.search(x)]) <= updates_before:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            done = [at for line, at in zip(lines, process.arrivals) if _UPDATED.search(line)]
            if len(done) > updates_before:
                written.append(done[updates_before] - start)
        server = [float(m[2]) for line in lines if (m := _UPDATED.search(line))][1:]
        pages = len(list((project / "dist" / "preview" / "site").glob("*.html")))
        page.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    return {
        "size": size,
        "times": times,
        "server": server,
        "written": written,
        "html_pages": pages,
    }


def report(results: list[dict]) -> str:
    info = machine()
    out = ["# Live preview: from a save to the updated page", ""]
    out += [f"- {k}: {v}" for k, v in info.items()]
    out += [
        "",
        (
            "`python tests/bench/preview.py` (part of `make bench`): `oic-book serve` on tests/bench/run.py's "
            "synthetic books (×1 is the real book, ×43 about 1,000 printed pages: RESULTS.md), with the PDF rebuilt in the background as an author has it; "
            "headless Chromium shows ch1.html; the first chapter is saved with a new word, "
            "and the time runs from just before the write until the reloaded page shows the "
            "word. *server* is the preview's own time to check, render and write (its "
            "terminal line); *save→pages written* adds the time to notice the save; the rest "
            "of *median* is the event to the browser and its reload."
        ),
        "",
        (
            "| size | web pages | saves | median s | max s | server median s "
            "| server max s | save→pages written, median s | target s | met |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        target = TARGETS.get(r["size"])
        worst = max(r["times"])
        met = "–" if target is None else ("yes" if worst <= target else "NO")
        out.append(
            f"| ×{r['size']} | {r['html_pages']} | {len(r['times'])} | "
            f"{statistics.median(r['times']):.3f} | {worst:.3f} | "
            f"{statistics.median(r['server']) if r['server'] else float('nan'):.3f} | "
            f"{max(r['server']) if r['server'] else float('nan'):.3f} | "
            f"{statistics.median(r['written']) if r['written'] else float('nan'):.3f} | "
            f"{target if target else '–'} | {met} |"
        )
    out += [
        "",
        "Each save, in seconds: "
        + "; ".join(
            f"×{r['size']}: " + ", ".join(f"{t:.3f}" for t in r["times"]) for r in results
        ),
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,43")
    parser.add_argument("--edits", type=int, default=6)
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "bench" / "PREVIEW.md")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    from browser import chromium  # tests/browser.py: Debian's Chromium via Playwright

    results = []
    with tempfile.TemporaryDirectory(prefix="oic-preview-") as tmp, chromium() as browser:
        for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
            print(f"bench: preview ×{size} …", file=sys.stderr, flush=True)
            results.append(measure(size, args.edits, Path(tmp), browser))
    text = report(results)
    print(text)
    if not args.no_write:
        args.out.write_text(text, encoding="utf-8")
        print(f"bench: wrote {args.out}", file=sys.stderr)
    for r in results:
        if max(r["times"]) > TARGETS.get(r["size"], float("inf")):
            print(f"bench: preview ×{r['size']}: target NOT met", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
