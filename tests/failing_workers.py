"""Jobs that fail, for tests of what a failed build leaves behind.

The EPUB is made in a spawned process (`oic_book.workers.in_background`), which imports
the job by name: a monkeypatch in the test process does not reach it, so a test hands
the build one of these (importable) functions instead.
"""

from __future__ import annotations


def epub_disk_full(*args) -> bytes:
    """An EPUB whose making fails, as on a full disk."""
    raise OSError("disk full")


def epub_interrupted(*args) -> bytes:
    """An EPUB process interrupted while it works."""
    raise KeyboardInterrupt


def serve_forever(connection) -> None:
    """A worker that waits for a job for ever (the parent must kill it)."""
    while connection.recv() is not None:
        pass


def add(a: int, b: int) -> int:
    return a + b


def start_a_sleeper(pid_file: str) -> None:
    """Start a long sleep as a child, note its number, and wait for it."""
    import subprocess
    from pathlib import Path

    child = subprocess.Popen(["sleep", "60"])
    Path(pid_file).write_text(str(child.pid))
    child.wait()


def start_worker_and_wait(pid_file: str) -> None:
    """A stand-in for a build: start a worker, note its number, and wait."""
    import time
    from pathlib import Path

    from oic_book import workers

    with workers.Workers(serve_forever, "orphan") as pool:
        worker = pool.start()
        Path(pid_file).write_text(str(worker.process.pid))
        time.sleep(60)
