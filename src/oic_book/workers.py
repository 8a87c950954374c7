"""The build's worker processes: spawned (not forked), talked to over pipes, and never
outliving the build.

Spawned, so that a worker holds only what it needs: a forked one shares the parent's
memory only until either side writes to it, and then holds its own copy (tests/bench/RESULTS.md
measured 2.35 GB in all at 1,032 pages with a forked EPUB process, 1.46 GB spawned).

A worker runs `serve(connection)`, which answers the parent's messages until it receives
None, with the parent's temporary folder (`tempfile.tempdir`, the build's private one)
and its list of `mimetypes` files. A worker ends with the build however the build ends
(`processes.child_setup`: a signal ends it, and Linux kills it when its parent dies);
leaving `Workers` stops every worker, and kills those that do not stop, with anything they
started (each worker leads its own process group).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import mimetypes
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from typing import Self, TypeVar

from .processes import child_setup, signals_held

T = TypeVar("T")

log = logging.getLogger("oic_book")


class WorkerFailed(RuntimeError):
    """A worker process raised an exception, or died."""


class Worker:
    """One spawned process and the pipe to it."""

    def __init__(self, serve: Callable, name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.name = name
        inherited = (tempfile.tempdir, list(mimetypes.knownfiles or ()))
        self.process = context.Process(
            target=_run, args=(serve, inherited, child), name=name, daemon=True
        )
        with signals_held():  # a signal while it starts is the build's, acted on after
            self.process.start()
        child.close()

    def send(self, message: object) -> None:
        self.connection.send(message)

    def receive(self) -> object:
        """The worker's next message; re-raises what the worker raised."""
        try:
            message = self.connection.recv()
        except (EOFError, OSError) as exc:
            raise WorkerFailed(
                f"{self.name} stopped (exit code {self.process.exitcode})"
            ) from exc
        if isinstance(message, _Failure):
            raise message.error
        return message

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to finish; kill it if it does not within `timeout` seconds."""
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.connection.send(None)
            self.process.join(timeout)
        self.kill()  # if it did not stop

    def kill(self) -> None:
        """Kill the worker and whatever it started (its process group), and wait."""
        # Only while it is not reaped (its number cannot belong to another process); the
        # process itself first: a worker still starting has no group of its own yet.
        if self.process.exitcode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.join()
        self.connection.close()
        self.process.close()


class Workers:
    """Worker processes started on demand; all of them stopped on leaving the block.

    Leaving it by an exception kills them instead of waiting for their work.
    """

    def __init__(self, serve: Callable, name: str) -> None:
        self.serve, self.name = serve, name
        self.started: list[Worker] = []

    def start(self) -> Worker:
        worker = Worker(self.serve, f"{self.name}-{len(self.started) + 1}")
        self.started.append(worker)
        return worker

    def kill_all(self) -> None:
        """Kill every worker started so far (their work is not wanted any more)."""
        for worker in self.started:
            worker.kill()
        self.started = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        for worker in self.started:
            if kind is None:
                worker.stop()
            else:
                worker.kill()
        self.started = []


@contextmanager
def in_background(name: str, function: Callable[..., T], *args) -> Iterator[Callable[[], T]]:
    """Run `function(*args)` in a spawned process; yield a call that waits for its result
    (and logs how long the process worked, as "`name`made").

    `function` is sent by name: it must be a module's top-level function. Leaving the
    block by an exception or an interruption kills the process; either way no process
    outlives the block.
    """
    with Workers(_serve_call, name) as workers:
        worker = workers.start()
        worker.send((function, args))

        def result() -> T:
            value, seconds = worker.receive()
            log.info("%-8s %6.2f s (in its own process)", f"{name}made", seconds)
            return value

        yield result


def _serve_call(connection: Connection) -> None:
    """A worker that makes one call: `(function, args)` → `(result, seconds)`."""
    while (job := connection.recv()) is not None:
        function, args = job
        start = time.perf_counter()
        value = function(*args)
        connection.send((value, time.perf_counter() - start))


def ready(workers: list[Worker], timeout: float | None = None) -> Iterator[Worker]:
    """The workers that have a message waiting (or have died), as soon as any has."""
    by_connection = {worker.connection: worker for worker in workers}
    for connection in wait(list(by_connection), timeout):
        yield by_connection[connection]


class _Failure:
    """An exception raised in a worker, on its way to the parent."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _run(serve: Callable, inherited: tuple, connection: Connection) -> None:
    """The worker's main function: `serve` until the parent says stop."""
    # A signal ends it, and it ends with the build however the build ends (its signal
    # mask, held while it was started, is reset there).
    child_setup()
    # A process group of its own: Ctrl-C reaches the build, which decides and stops its
    # workers; and killing the group ends what a worker started too (pagefind, say).
    os.setpgid(0, 0)
    tempfile.tempdir, mimetypes.knownfiles = inherited
    try:
        serve(connection)
    except BaseException as exc:  # noqa: BLE001 -- the parent raises it
        with contextlib.suppress(OSError):  # the parent may be gone
            connection.send(_Failure(_picklable(exc)))
    finally:
        connection.close()
        # No heap teardown: the laid-out pages are many small objects (tests/bench/RESULTS.md).
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _picklable(exc: BaseException) -> BaseException:
    import pickle
    import traceback

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 -- whatever fails, the parent gets the message
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return WorkerFailed(text)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a stage builds a large tree of objects that it
    keeps (the merged PDF, its structure tree): each full collection would scan all of
    them again, so the cost grows faster than the book (PDF/UA at 1,015 pages: 13.3 s →
    11.9 s, tests/bench/RESULTS.md). What is freed meanwhile is freed by reference
    counting; cycles wait for the collector's next run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def release_memory() -> None:
    """Give the memory freed so far back to the system (glibc keeps what `free` returns
    for later, where it still counts in the process's size)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def tune_gc() -> None:
    """Garbage collection for a worker that builds large trees of objects and drops them.

    The objects of the imported modules are moved out of the collector's reach
    (`gc.freeze`), and full collections run far less often: they scanned every box of the
    layout again and again (16–17 % of a build's time, tests/bench/RESULTS.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
