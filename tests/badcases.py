"""Bad manuscripts for `oic-book check`: a minimal valid project plus one overlay per case.

Layout of `tests/bad/`:

* `_base/manuscript/…` — a tiny valid manuscript (one chapter, one footnote, one term);
* `<case>/manuscript/…` — only the files that differ from the base. A file whose name ends
  in `.escaped` is written with Python byte escapes decoded and the suffix dropped (that is
  how invalid UTF-8 is stored as text);
* `<case>/expected.txt` — the exact problem lines the CLI must print, in order. Header
  lines starting with `#` set options: `# args: check --strict` (the CLI arguments before
  `-C`), `# exit: 0` (default 1), `# delete: manuscript/book.yaml` (remove a base file),
  `# build: yes` (also run `build` and check that `dist/` is left alone),
  `# link: manuscript/chapters/01.md -> /etc/passwd` (make a symbolic link),
  `# grow: manuscript/chapters/01.md 11000000` (append lines of text up to that many bytes).

`python tests/badcases.py [case…]` prints what the CLI says for each case, for writing a
new `expected.txt`.
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad"
BASE = BAD / "_base"

# One problem line: path:line[:col]: severity: message [CODE]
PROBLEM_LINE = re.compile(r"^[^\s:][^:]*:\d+(?::\d+)?: (?:error|warning): .+ \[[A-Z]\d{3}\]$")


@dataclass
class Case:
    name: str
    args: list[str] = field(default_factory=lambda: ["check"])
    exit: int = 1
    delete: list[str] = field(default_factory=list)
    build: bool = False
    links: list[tuple[str, str]] = field(default_factory=list)
    grow: list[tuple[str, int]] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)


def cases() -> list[str]:
    return sorted(p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("_"))


def load(name: str) -> Case:
    case = Case(name)
    expected = BAD / name / "expected.txt"
    lines = expected.read_text(encoding="utf-8").splitlines() if expected.exists() else []
    for line in lines:
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            key, value = key.strip(), value.strip()
            if key == "args":
                case.args = value.split()
            elif key == "exit":
                case.exit = int(value)
            elif key == "delete":
                case.delete.append(value)
            elif key == "build":
                case.build = value == "yes"
            elif key == "link":
                link, _, target = value.partition(" -> ")
                case.links.append((link.strip(), target.strip()))
            elif key == "grow":
                path, _, size = value.rpartition(" ")
                case.grow.append((path.strip(), int(size)))
            else:
                raise ValueError(f"{expected}: unknown option {key!r}")
        elif line.strip():
            case.expected.append(line)
    return case


def make_project(name: str, destination: Path) -> Path:
    """The base manuscript with the case laid over it, plus the real styles (fonts)."""
    shutil.copytree(BASE / "manuscript", destination / "manuscript")
    shutil.copytree(ROOT / "styles", destination / "styles")
    overlay = BAD / name
    for source in sorted(overlay.rglob("*")):
        if not source.is_file() or source.name == "expected.txt":
            continue
        target = destination / source.relative_to(overlay)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".escaped":
            target = target.with_suffix("")
            target.write_bytes(codecs.escape_decode(source.read_bytes())[0])
        else:
            shutil.copyfile(source, target)
    case = load(name)
    for relative in case.delete:
        (destination / relative).unlink()
    for relative, target in case.links:
        (destination / relative).unlink(missing_ok=True)
        (destination / relative).symlink_to(target)
    for relative, size in case.grow:
        with open(destination / relative, "a", encoding="utf-8") as out:
            line = "Мәтін жолы.\n"
            out.write(line * (size // len(line.encode()) + 1))
    return destination


def subprocess_env() -> dict[str, str]:
    """The environment for a child `python -m oic_book`: this checkout's sources first,
    whatever the virtualenv's editable install points at."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout=120):
    """`python -m oic_book ARGS` in a subprocess; returns the CompletedProcess."""
    full_env = {**subprocess_env(), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "oic_book", *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )


def problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if PROBLEM_LINE.match(line)]


if __name__ == "__main__":  # pragma: no cover - a helper for writing fixtures
    import tempfile

    for name in sys.argv[1:] or cases():
        case = load(name)
        with tempfile.TemporaryDirectory() as tmp:
            project = make_project(name, Path(tmp))
            result = run_cli(*case.args, "-C", str(project))
        print(f"== {name} (exit {result.returncode})")
        print(result.stderr, end="")
