"""The build's worker processes never outlive it, and never hang it.

Workers are spawned (`oic_book.workers`); these tests use the small jobs of
`failing_workers`, which a spawned process can import by name.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import failing_workers
import pytest

from oic_book import workers


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_leaving_by_an_exception_at_once_kills_a_worker_still_starting():
    """A build that fails while its workers still import their modules must not wait
    for them: they would wait for a job that never comes."""
    start = time.monotonic()
    with (
        pytest.raises(RuntimeError, match="manuscript"),
        workers.Workers(failing_workers.serve_forever, "test") as pool,
    ):
        worker = pool.start()
        pid = worker.process.pid
        raise RuntimeError("a problem in the manuscript")
    assert time.monotonic() - start < 10
    assert not _alive(pid)
    assert not multiprocessing.active_children()


def test_an_exception_in_a_worker_is_raised_in_the_build():
    with (
        pytest.raises(OSError, match="disk full"),
        workers.in_background("test", failing_workers.epub_disk_full, 1, 2) as result,
    ):
        result()
    assert not multiprocessing.active_children()


def test_a_result_comes_back_with_its_time(caplog):
    caplog.set_level("INFO", logger="oic_book")
    with workers.in_background("sum", failing_workers.add, 2, 3) as result:
        assert result() == 5
    assert "summade" in caplog.text
    assert not multiprocessing.active_children()


def test_what_a_killed_worker_started_is_killed_with_it(tmp_path):
    """A worker leads its own process group: killing it ends its children too (the web
    edition's search indexer, say)."""
    pid_file = tmp_path / "grandchild"
    with (
        pytest.raises(RuntimeError),
        workers.in_background("test", failing_workers.start_a_sleeper, str(pid_file)),
    ):
        for _ in range(300):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.05)
        raise RuntimeError("interrupted")
    grandchild = int(pid_file.read_text())
    for _ in range(100):
        if not _alive(grandchild):
            break
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_a_worker_dies_with_its_parent(tmp_path):
    """If the build itself is killed (SIGKILL: no cleanup), Linux ends its workers."""
    pid_file = tmp_path / "worker"
    parent = multiprocessing.get_context("spawn").Process(
        target=failing_workers.start_worker_and_wait, args=(str(pid_file),)
    )
    parent.start()
    for _ in range(600):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    assert _alive(worker)
    os.kill(parent.pid, 9)
    parent.join()
    for _ in range(100):
        if not _alive(worker):
            break
        time.sleep(0.05)
    assert not _alive(worker)


def test_gc_paused_restores_the_collector_as_it_was():
    import gc

    from oic_book.workers import gc_paused

    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), gc_paused():
        assert not gc.isenabled()
        1 / 0  # noqa: B018
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
