"""`oic-book serve` (the live preview), run as a user runs it, with a real browser: a save
reloads the open page with the new text; manuscript problems are shown in the page as
`path:line: …` over the last good text; the PDF is built in the background and linked;
only the build output is served; Ctrl-C leaves no process behind.

Correctness only: the timing targets are measured by `make bench` (tests/bench/preview.py).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import HTTPError

import pytest
from badcases import subprocess_env
from conftest import ROOT

FIXTURE = Path(__file__).parent / "web" / "manuscript"
CHAPTER = Path("manuscript/chapters/01-first.md")


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "manuscript")
    shutil.copytree(ROOT / "styles", tmp_path / "styles")
    return tmp_path


@contextmanager
def preview(project: Path, *options: str) -> Iterator[tuple[subprocess.Popen, str, list[str]]]:
    """`oic-book serve` on a free port; yields the process, its URL and its stderr lines."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oic_book",
            "serve",
            "-C",
            str(project),
            "--port",
            "0",
            *options,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in process.stderr:
            lines.append(line.rstrip("\n"))
            if "http://" in line:
                started.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert started.wait(60), "\n".join(lines)
        url = re.search(r"http://\S+/", next(line for line in lines if "http://" in line))[0]
        yield process, url, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_line(lines: list[str], text: str, timeout: float = 20) -> bool:
    """Whether a line holding `text` arrives on stderr within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not any(text in line for line in lines):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _append(project: Path, text: str) -> None:
    path = project / CHAPTER
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + "ch1.html")
    page.wait_for_selector("#oic-preview")
    page.evaluate("window.notReloaded = true")
    return context, page


def test_a_save_reloads_the_open_page_with_the_new_text(browser, project):
    with preview(project, "--no-pdf") as (_, url, _lines):
        context, page = _open(browser, url)
        _append(project, "\nСақталған жаңа сөйлем ақжелкен.\n")
        page.wait_for_function(
            "document.querySelector('main').innerText.includes('ақжелкен')", timeout=20_000
        )
        assert page.evaluate("window.notReloaded") is None  # a new page, not a patch
        assert page.locator("#oic-preview-problems").is_hidden()
        context.close()


def test_problems_show_in_the_page_over_the_last_good_text(browser, project):
    with preview(project, "--no-pdf") as (_, url, lines):
        context, page = _open(browser, url)
        before = page.locator("main").inner_text()
        _append(project, "\nСілтемесі жоқ ескертпе.[^missing]\n")
        problems = page.locator("#oic-preview-problems")
        problems.wait_for(state="visible", timeout=20_000)
        message = (
            "manuscript/chapters/01-first.md:21: error: footnote [^missing] has no definition"
        )
        assert message in problems.inner_text()
        # and in the terminal: the page may get it first, so wait for the line to be read
        assert _wait_for_line(lines, message), lines
        assert page.evaluate("window.notReloaded")  # the last good page stays
        assert page.locator("main").inner_text() == before
        page.reload()  # even when loaded again
        assert page.locator("main").inner_text() == before
        page.evaluate("window.notReloaded = true")
        path = project / CHAPTER
        path.write_text(path.read_text(encoding="utf-8").replace("[^missing]", ""), "utf-8")
        page.wait_for_function(
            "document.querySelector('main').innerText.includes('Сілтемесі жоқ')",
            timeout=20_000,
        )
        assert page.locator("#oic-preview-problems").is_hidden()
        context.close()


def test_the_pdf_is_built_in_the_background_then_linked_with_its_page_numbers(browser, project):
    with preview(project) as (_, url, _lines):
        context, page = _open(browser, url)
        page.wait_for_selector("#oic-preview[data-pdf=ready]", timeout=120_000)
        link = page.locator("#oic-preview-pdf a")
        with urllib.request.urlopen(url + link.get_attribute("href")) as response:
            assert response.read(5) == b"%PDF-"
        # The pages now carry the print page numbers of that PDF.
        assert page.locator("a.pagebreak").count() >= 1
        _append(project, "\nТағы бір сөйлем.\n")
        page.wait_for_selector("#oic-preview[data-pdf=building]", timeout=20_000)
        assert page.locator("a.pagebreak").count() == 0  # none from an older layout
        context.close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except HTTPError as error:
        return error.code


def _raw_status(url: str, target: str) -> int:
    host, port = re.match(r"http://([^:/]+):(\d+)/", url).groups()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.0\r\n\r\n".encode())
        return int(connection.recv(100).split()[1])


def test_it_serves_the_build_output_only_on_the_loopback(project):
    (project / "secret.txt").write_text("not for the browser")
    with preview(project, "--no-pdf") as (_, url, _lines):
        assert url.startswith("http://127.0.0.1:")
        assert _status(url + "ch1.html") == 200
        assert _status(url + "styles/web.css") == 200  # the site's copy
        for target in (
            "/manuscript/book.yaml",
            "/../manuscript/book.yaml",
            "/../../secret.txt",
            "/%2e%2e/%2e%2e/secret.txt",
            "/..%2f..%2fsecret.txt",
            "/.site/index.html",
        ):
            assert _raw_status(url, target) == 404, target


def _processes_mentioning(text: str) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    found.add(int(entry.name))
            except OSError:
                pass
    return found - {os.getpid()}


def test_ctrl_c_stops_the_server_and_the_background_build(browser, project):
    with preview(project) as (process, url, lines):
        context, page = _open(browser, url)
        _append(project, "\nЖаңа сөйлем.\n")  # a PDF build is running now
        page.wait_for_selector("#oic-preview[data-pdf=building]", timeout=20_000)
        time.sleep(0.5)
        children = _processes_mentioning(str(project)) - {process.pid}
        assert children, "no background build was running"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        context.close()
    deadline = time.monotonic() + 5
    while _processes_mentioning(str(project)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _processes_mentioning(str(project))
    assert "oic-book serve: stopped" in lines
