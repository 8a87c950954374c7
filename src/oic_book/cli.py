"""The `oic-book` command: `build` and `check`.

A problem in the manuscript is printed as `path:line: severity: message [code]`, one per
line, all of them in one run; a Python traceback appears only with `-v`.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from . import EDITIONS, __version__
from .errors import BookError, BuildError, shorten
from .processes import SIGNALS, Interrupted, stopping_on_signals


def _options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """The options every command takes.

    They are given to the main parser and again to each subcommand, so that they work
    before or after it (`oic-book -q build`, `oic-book build -q`). The subcommand's copies
    default to SUPPRESS: otherwise argparse would let their defaults overwrite a value
    given before the subcommand.
    """

    def default(value):
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "-C",
        "--project",
        type=Path,
        default=default(Path(".")),
        help="project folder holding manuscript/ and styles/ (default: current folder)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        default=default(False),
        help="treat warnings as errors (exit 1)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default(False), help="print only problems"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="the builder's debug lines, and tracebacks on failure",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oic-book",
        description="Build the Kazakh book on the OIC as a print PDF, an EPUB 3 and a web edition.",
    )
    parser.add_argument("--version", action="version", version=f"oic-book {__version__}")
    _options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _options(common, suppress=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build",
        parents=[common],
        help="check the manuscript, then write the PDF, the EPUB and the web edition",
    )
    build.add_argument(
        "-o", "--out", type=Path, default=None, help="output folder (default: PROJECT/dist)"
    )
    build.add_argument(
        "-f",
        "--format",
        action="append",
        choices=EDITIONS,
        dest="formats",
        help="build only this edition (repeatable; default: all). The EPUB still takes "
        "its page numbers from the print layout.",
    )
    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="live preview: serve the web edition, rebuild it on every save, reload the browser",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: any)")
    serve.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="output folder; the preview goes to OUT/preview (default: PROJECT/dist)",
    )
    serve.add_argument(
        "--no-pdf", action="store_true", help="do not build the PDF and EPUB in the background"
    )
    check = commands.add_parser(
        "check", parents=[common], help="check the manuscript and report every problem"
    )
    check.add_argument("--spell", action="store_true", help="also spell-check with hunspell-kk")
    return parser


def _configure_logging(args) -> None:
    """Progress lines on stderr; -v shows the builder's debug lines, -q only problems.

    The libraries' own loggers (WeasyPrint, fontTools) stay at ERROR whatever the level:
    at DEBUG they print thousands of lines about every font and box.
    """
    level = logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.ERROR)
    logging.getLogger("oic_book").setLevel(level)


def _not_a_project(project: Path) -> str | None:
    """Why `project` is not a project folder, or None if it is one."""
    if (project / "manuscript").is_dir() or (project / "manuscript" / "book.yaml").exists():
        return None
    return (
        f"oic-book: no project here: looked for manuscript/book.yaml in "
        f"{shorten(os.path.abspath(project), 160)}; run it in a project folder, or pass -C DIR"
    )


def _report(problems) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (README: 0 built, 1 manuscript
    problems, 2 the environment, 3 a bug in the builder, 128 + N stopped by signal N)."""
    with stopping_on_signals():
        try:
            return _main(argv)
        except Interrupted as exc:  # while the outcome was printed: the cleanup has run
            return exc.exit_code


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args)
    hint = _not_a_project(args.project)
    if hint:
        print(hint, file=sys.stderr)
        return 2
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "serve":
            return _serve(args)
        return _build(args)
    except (BookError, BuildError) as exc:
        if isinstance(exc, BookError):
            _report(exc.problems)
            errors = sum(p.severity == "error" for p in exc.problems)
            warnings = len(exc.problems) - errors
            print(
                f"oic-book: {errors} error(s), {warnings} warning(s); nothing was written",
                file=sys.stderr,
            )
        else:
            print(
                f"oic-book: build failed: {shorten(str(exc), 240)}; nothing was written",
                file=sys.stderr,
            )
        if args.verbose:
            raise
        return exc.exit_code
    except Interrupted as exc:
        print(f"oic-book: interrupted ({exc}); nothing was written", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # raised by other code than our signal handler
        print("oic-book: interrupted; nothing was written", file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:  # the machine: disk, permissions, memory
        if args.verbose:
            raise
        print(f"oic-book: {_environment_problem(exc)}; nothing was written", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not a manuscript problem: say so, briefly
        if args.verbose:
            raise
        print(
            f"oic-book: internal error: {type(exc).__name__}: {shorten(str(exc), 200)} "
            "(run with -v for the traceback)",
            file=sys.stderr,
        )
        return 3


def _environment_problem(exc: BaseException) -> str:
    """One line naming what the machine refused: the path and the reason."""
    if isinstance(exc, MemoryError):
        return "out of memory"
    assert isinstance(exc, OSError)
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename:
        return f"{shorten(str(exc.filename), 160)}: {shorten(reason, 100)}"
    return shorten(reason, 240)


def run() -> None:
    """The console entry point: `main`, then exit without tearing the heap down.

    After a large build the laid-out pages are gigabytes of small objects; freeing them
    one by one at exit took seconds (tests/bench/RESULTS.md), for nothing.
    """
    code = main()
    for number in SIGNALS:  # nothing left to stop; a signal now must not print a trace
        signal.signal(number, signal.SIG_IGN)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _check(args) -> int:
    from .manuscript.check import check_project

    _, problems = check_project(args.project, spell=args.spell)
    _report(problems.sorted())
    failing = problems.errors or (args.strict and problems.warnings)
    if not args.quiet:
        print(
            f"oic-book: {len(problems.errors)} error(s), {len(problems.warnings)} warning(s)",
            file=sys.stderr,
        )
    return 1 if failing else 0


def _build(args) -> int:
    from .build import build

    out = args.out or args.project / "dist"
    result = build(
        args.project, out, strict=args.strict, formats=tuple(args.formats or EDITIONS)
    )
    _report(result.warnings)
    if not args.quiet:
        written = ", ".join(os.path.relpath(path) for path in result.written)
        print(f"oic-book: wrote {written} ({result.pages} pages)", file=sys.stderr)
    return 0


def _serve(args) -> int:
    from .serve import serve

    out = args.out or args.project / "dist"
    return serve(args.project, out, host=args.host, port=args.port, pdf=not args.no_pdf)
