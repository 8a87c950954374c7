"""`oic-book serve`: the live preview of the web edition.

    save ─► watch ─► check (changed files only) ─► render the web pages ─► write the changed
    ones ─► tell the browser (server-sent events) ─► it reloads
                └─► PDF + EPUB: `oic-book build` in a child process, restarted by a newer save

WeasyPrint is not on the path from a save to the reload: the PDF is built in the background,
and its state (building, ready, failed) is shown in the page. Its layout also gives the
print page numbers: the pages are written again with them when it is ready, and until
then the preview shows none (never numbers from an older layout).

The server binds to 127.0.0.1 unless told otherwise, and serves only the preview's own
output folder (`dist/preview/site/`), never the project's other files. Ctrl-C stops the
watcher, the server and the background build.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .editions import web
from .errors import BuildError
from .manuscript import check
from .project import Project

log = logging.getLogger("oic_book")

PREVIEW_DIR = "preview"  # inside the output folder (dist/)
CLIENT_PATH = "/__preview/client.js"
EVENTS_PATH = "/__preview/events"
KEEPALIVE_SECONDS = 15


@dataclass
class State:
    """What the open pages are told: the version of the pages on disk, the manuscript's
    problems, and the state of the background PDF. Guarded by `changed`."""

    version: int = 0
    problems: list[str] = field(default_factory=list)
    errors: int = 0
    pdf: str = "waiting"  # waiting | building | ready | failed
    pdf_message: str = ""
    serial: int = 0  # bumped on every change, so that waiters wake
    changed: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, **values: object) -> None:
        with self.changed:
            for name, value in values.items():
                setattr(self, name, value)
            self.serial += 1
            self.changed.notify_all()

    def as_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "problems": self.problems,
                "errors": self.errors,
                "pdf": self.pdf,
                "pdfMessage": self.pdf_message,
                "pdfHref": web.PDF_NAME,
            },
            ensure_ascii=False,
        )


class Preview:
    """The preview of one project: its pages on disk, the state, the background build."""

    def __init__(self, project: Path, out_dir: Path, pdf: bool = True) -> None:
        self.project = project.resolve()
        self.root = out_dir.resolve() / PREVIEW_DIR
        self.site = self.root / "site"  # the only folder the server serves
        self.build_dir = self.root / "build"  # the background build's output
        self.files = Project.at(self.project)
        self.cache = check.CheckCache()
        self.memo: dict = {}  # the web pages as last rendered (render.render_web_pages)
        self.state = State()
        self.written: dict[str, bytes] = {}  # what the site holds, by path
        self.pdf_enabled = pdf
        self.pdf_process: subprocess.Popen | None = None
        self.pdf_generation = 0
        self.lock = threading.Lock()  # one update at a time
        self.search = SearchIndexer(self.site)

    # --- the fast path: a save → new pages -------------------------------------------

    def update(self) -> bool:
        """Check the manuscript and write the pages that changed; True if they did.

        With problems that are errors the pages on disk are left as they were (the last
        good ones) and the problems are published for the open pages to show.
        """
        with self.lock:
            start = time.perf_counter()
            book, problems = check.check_project(self.project, cache=self.cache)
            found = [problem.format() for problem in problems.sorted()]
            for line in found:
                print(line, file=sys.stderr)
            if book is None:
                self.state.publish(problems=found, errors=len(problems.errors))
                print(
                    f"oic-book serve: {len(problems.errors)} error(s); the last good pages "
                    "stay in the browser",
                    file=sys.stderr,
                )
                return False
            files = web.site_files(book, None, self.files, web.DOWNLOADS, self.memo)
            changed = self.write(files)
            self.state.publish(
                version=self.state.version + (1 if changed else 0),
                problems=found,
                errors=0,
            )
            elapsed = time.perf_counter() - start
            print(
                f"oic-book serve: {len(changed)} page(s) updated in {elapsed:.2f} s",
                file=sys.stderr,
            )
        self.search.request()
        if self.pdf_enabled:
            self.start_pdf()
        return True

    def write(self, files: dict[str, bytes]) -> list[str]:
        """Write the files that differ from what the site holds, remove the ones gone;
        each file is renamed into place whole, so the server never sends half a page."""
        changed = [name for name, data in files.items() if self.written.get(name) != data]
        for name in changed:
            _write_file(self.site / name, files[name])
        for name in set(self.written) - set(files):
            if name not in (web.PDF_NAME, web.EPUB_NAME):
                (self.site / name).unlink(missing_ok=True)
                changed.append(name)
        self.written = {**{n: d for n, d in self.written.items() if n in files}, **files}
        return changed

    # --- the slow path: the PDF in the background -------------------------------------

    def start_pdf(self) -> None:
        """(Re)start the background build of the PDF and EPUB for the text as it is now."""
        self.stop_pdf()
        self.pdf_generation += 1
        generation = self.pdf_generation
        command = [
            sys.executable,
            "-m",
            "oic_book",
            "build",
            "-q",
            "-C",
            str(self.project),
            "-o",
            str(self.build_dir),
        ]
        # A session of its own: Ctrl-C in the terminal is for the server, which then ends
        # the build and its workers together (stop_pdf).
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        # Below the server's priority, and its workers with it: the next save must not
        # wait for the cores.
        _lower_priority(process.pid)
        self.pdf_process = process
        self.state.publish(pdf="building", pdf_message="")
        threading.Thread(
            target=self._wait_pdf, args=(process, generation), daemon=True, name="pdf"
        ).start()

    def _wait_pdf(self, process: subprocess.Popen, generation: int) -> None:
        _, err = process.communicate()
        if generation != self.pdf_generation:
            return  # a newer save restarted it
        if process.returncode != 0:
            lines = [line for line in (err or "").splitlines() if line.strip()]
            message = lines[-1] if lines else f"exit {process.returncode}"
            self.state.publish(pdf="failed", pdf_message=message[:300])
            print(f"oic-book serve: PDF failed: {message}", file=sys.stderr)
            return
        with self.lock:
            if generation != self.pdf_generation:
                return
            built = self.build_dir / web.SITE_DIR
            # The pages of that build carry the print page numbers; the text is the same
            # (a newer save would have restarted the build).
            files = {
                path.relative_to(built).as_posix(): path.read_bytes()
                for path in built.rglob("*")
                if path.is_file() and path.relative_to(built).parts[0] != "pagefind"
            }
            self.write(files)
            self.state.publish(version=self.state.version + 1, pdf="ready", pdf_message="")
        print("oic-book serve: PDF ready, with its page numbers", file=sys.stderr)
        self.search.request()

    def stop_pdf(self) -> None:
        """End the background build, its worker processes too."""
        self.pdf_generation += 1  # whatever it was building is not wanted any more
        process, self.pdf_process = self.pdf_process, None
        if process is None or process.poll() is not None:
            return
        _kill_group(process)


class SearchIndexer:
    """Pagefind over the preview's pages, in a thread, off the path of the reload: one
    run at a time, and one more if pages changed during a run."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.wanted = threading.Event()
        self.stopped = threading.Event()
        self.process: subprocess.Popen | None = None
        self.thread = threading.Thread(target=self._run, daemon=True, name="search")
        self.thread.start()

    def request(self) -> None:
        self.wanted.set()

    def _run(self) -> None:
        while not self.stopped.is_set():
            if not self.wanted.wait(timeout=0.5):
                continue
            self.wanted.clear()
            try:
                command = [str(web.pagefind_executable()), "--site", str(self.site), "--silent"]
            except BuildError as exc:
                print(f"oic-book serve: no search: {exc}", file=sys.stderr)
                return
            self.process = subprocess.Popen(
                [*command, "--keep-index-url"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _lower_priority(self.process.pid)
            self.process.wait()

    def stop(self) -> None:
        self.stopped.set()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.thread.join(timeout=5)


def _lower_priority(pid: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 10)
    except OSError:  # a process that has ended, or a system that does not allow it
        pass


def _kill_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process's group (its forked workers too), SIGKILL if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
    # Workers forked by the build share its group; any left are ended with it.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


# --- the server ----------------------------------------------------------------------


def client_script() -> bytes:
    return resources.files("oic_book.editions").joinpath("webassets", "preview.js").read_bytes()


class Handler(SimpleHTTPRequestHandler):
    """Serves the preview's site folder, the reload script and the event stream."""

    preview: Preview
    client: bytes

    def log_message(self, format: str, *args) -> None:
        log.debug("serve: " + format, *args)

    def end_headers(self) -> None:
        # Pages are never cached; stylesheets, fonts and images are asked for again on
        # each reload but answered "304 Not Modified" when unchanged, so a reload does
        # not load and decode the fonts anew.
        html = self.path.split("?")[0].endswith((".html", "/")) or self.path.startswith("/__")
        self.send_header("Cache-Control", "no-store" if html else "no-cache")
        super().end_headers()

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == EVENTS_PATH:
            return self.events()
        if path == CLIENT_PATH:
            return self.send_bytes(self.client, "text/javascript; charset=utf-8")
        # Hidden names are the preview's temporary files.
        if any(part.startswith(".") for part in path.split("/")):
            return self.send_error(HTTPStatus.NOT_FOUND)
        if path.endswith("/"):
            path += "index.html"
        if path.endswith(".html"):
            return self.send_page(path)
        return super().do_GET()

    def send_bytes(self, data: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_page(self, path: str) -> None:
        """A page of the site, with the preview's script added before </body>."""
        version = self.preview.state.version  # read before the file: never older than it
        file = Path(self.translate_path(path))
        try:
            data = file.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return self.send_error(HTTPStatus.NOT_FOUND)
        tag = f'<script src="{CLIENT_PATH}" data-version="{version}"></script>\n</body>'
        data = data.replace(b"</body>", tag.encode(), 1)
        self.send_bytes(data, "text/html; charset=utf-8")

    def _news(self, seen: int) -> bool:
        return self.preview.state.serial != seen or self.server.stopping  # type: ignore[attr-defined]

    def events(self) -> None:
        """Server-sent events: the state now, then each time it changes."""
        state = self.preview.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.end_headers()
        seen = -1
        try:
            while not self.server.stopping:  # type: ignore[attr-defined]
                with state.changed:
                    state.changed.wait_for(partial(self._news, seen), timeout=KEEPALIVE_SECONDS)
                    if state.serial != seen:
                        seen = state.serial
                        message = f"event: state\ndata: {state.as_json()}\n\n"
                    else:
                        message = ": keep-alive\n\n"
                self.wfile.write(message.encode("utf-8"))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


class Server(ThreadingHTTPServer):
    daemon_threads = True
    stopping = False


def make_server(preview: Preview, host: str, port: int) -> Server:
    handler = partial(_handler_class(preview), directory=str(preview.site))
    try:
        return Server((host, port), handler)
    except OSError as exc:
        raise BuildError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _handler_class(preview: Preview) -> type[Handler]:
    return type("PreviewHandler", (Handler,), {"preview": preview, "client": client_script()})


def serve(
    project: Path,
    out_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    pdf: bool = True,
) -> int:
    """Build the preview, serve it and rebuild on every save until Ctrl-C (or SIGTERM)."""
    from watchfiles import watch

    preview = Preview(project, out_dir, pdf=pdf)
    preview.site.mkdir(parents=True, exist_ok=True)
    server = make_server(preview, host, port)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C stops the preview even when started with SIGINT ignored (as a shell's
    # background job): KeyboardInterrupt ends the watch loop below.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="http")
    try:
        preview.update()
        thread.start()
        host_shown, port_shown = server.server_address[:2]
        print(
            f"oic-book serve: http://{host_shown}:{port_shown}/ (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        watched = [preview.project / "manuscript", preview.project / "styles"]
        for _changes in watch(
            *[path for path in watched if path.exists()],
            stop_event=stop,
            debounce=400,
            step=20,
            rust_timeout=500,
            yield_on_timeout=False,
            raise_interrupt=False,
        ):
            preview.update()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        server.stopping = True
        with preview.state.changed:
            preview.state.changed.notify_all()
        server.shutdown() if thread.is_alive() else None
        server.server_close()
        preview.stop_pdf()
        preview.search.stop()
        print("oic-book serve: stopped", file=sys.stderr)
    return 0
