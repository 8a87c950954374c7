"""Smoke test of the benchmark script (`make bench`): it runs and reports sane numbers."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_run", ROOT / "tests" / "bench" / "run.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_synthetic_manuscript_keeps_labels_unique(tmp_path):
    bench = _bench()
    project = bench.make_project(3, tmp_path / "x3")
    chapters = sorted((project / "manuscript" / "chapters").glob("*.md"))
    originals = sorted((ROOT / "manuscript" / "chapters").glob("*.md"))
    assert len(chapters) == 3 * len(originals)
    definitions = [
        label
        for path in chapters
        for label in re.findall(r"(?m)^\[\^([^\]]+)\]:", path.read_text(encoding="utf-8"))
    ]
    assert definitions and len(definitions) == len(set(definitions))
    text = "".join(path.read_text(encoding="utf-8") for path in chapters)
    assert "{term}`" in text and "{index}`" in text


def test_bench_reports_a_table(tmp_path, capsys):
    bench = _bench()
    out = tmp_path / "RESULTS.md"
    assert bench.main(["--sizes", "1", "--repeat", "1", "--no-check", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.strip() in capsys.readouterr().out
    header = next(line for line in text.splitlines() if line.startswith("| size"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    row = next(line for line in text.splitlines() if line.startswith("| ×1 "))
    cells = dict(zip(columns, (c.strip() for c in row.strip("|").split("|"))))
    for column in (
        "pages",
        "full s",
        "incremental s",
        "peak PSS MiB",
        "peak RSS sum MiB",
        "layout s",
        "pdf s",
        "single pass s",
        "EPUB s",
    ):
        assert float(cells[column]) > 0, column
    # The workers count: the tree's memory is more than one Python process with WeasyPrint.
    assert float(cells["peak PSS MiB"]) > 100
    assert "## Targets" in text and "CPU:" in text and "WeasyPrint:" in text


def test_tree_memory_counts_the_children():
    bench = _bench()
    code = "import time; b = bytearray(60_000_000); time.sleep(5)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(1.0)
        alone, _ = bench.tree_memory(child.pid)
        pss, _ = bench.tree_memory(os.getpid())
        assert alone > 50_000  # KiB: the child's 60 MB
        assert pss >= alone
    finally:
        child.kill()
        child.wait()
