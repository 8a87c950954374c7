"""Interruption and child processes: a build stopped at any moment leaves nothing behind.

SIGINT, SIGTERM and SIGHUP become an `Interrupted` exception in the main thread, so that
every `finally` runs: temporary files in the output folder are removed, the build's
temporary folder with them, and child processes are ended. The forked children (the EPUB
maker, the readers of a long manuscript) reset those signals to their default action,
and ask Linux to end them if the build dies without a word (SIGKILL).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


class Interrupted(KeyboardInterrupt):
    """The build was stopped by a signal; the exit code is 128 + its number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_received: int | None = None


def _stop(signum, frame) -> None:
    global _received
    if _received is not None:
        # The first signal is being acted on: its cleanup must not itself be cut short
        # (a second Ctrl-C would leave the temporary files it was removing).
        return
    _received = signum
    raise Interrupted(signum)


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into `Interrupted` in the block (main thread only);
    the previous handlers are put back after it."""
    global _received
    _received = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _stop) for number in SIGNALS}
    hook, sys.unraisablehook = sys.unraisablehook, _quiet_when_interrupted
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for number, handler in previous.items():
            signal.signal(number, handler)


def _quiet_when_interrupted(unraisable) -> None:
    # An `Interrupted` raised inside a finaliser is dropped by Python, which would print
    # it with a traceback; `raise_if_interrupted` raises it again where it can propagate.
    if not isinstance(unraisable.exc_value, Interrupted):
        sys.__unraisablehook__(unraisable)


def raise_if_interrupted() -> None:
    """Raise `Interrupted` if a signal has come in.

    The handler raises it at once, but Python prints and drops an exception raised while
    a finaliser or an at-fork callback runs (logging has one): the pipeline asks again at
    each stage, so that no signal is lost.
    """
    if _received is not None:
        raise Interrupted(_received)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold the signals back while a few files are put in place together, so that the
    output folder has all the old files or all the new ones; a signal that came in the
    meantime is acted on at the end."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def signal_pending() -> bool:
    """Whether SIGINT, SIGTERM or SIGHUP has come in (held back, or already received)."""
    return _received is not None or bool(signal.sigpending() & set(SIGNALS))


_working = False  # in a child: running the function it was started for


def _exit_child(signum, frame) -> None:
    for number in SIGNALS:
        signal.signal(number, signal.SIG_DFL)  # a second signal ends it outright
    if _working:
        # An exception, not the default action: what the child runs (`subprocess.run` of
        # Pagefind, for one) ends its own children on the way out.
        raise SystemExit(128 + signum)
    os._exit(128 + signum)


def child_setup() -> None:
    """In a forked child: a signal ends it (and what it started), and it ends with the
    parent, however the parent ends."""
    global _received
    _received = None
    for number in SIGNALS:
        signal.signal(number, _exit_child)
    sys.unraisablehook = sys.__unraisablehook__
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pipe's end still stops the child
        pass


def _run_child(send, function, args) -> None:
    global _working
    child_setup()
    _working = True
    try:
        outcome = (True, function(*args))
    except SystemExit as exc:  # stopped by a signal: what it started is ended; leave
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, raised there
        outcome = (False, exc)
    finally:
        _working = False
    try:
        send.send(outcome)
    except Exception as exc:  # noqa: BLE001 - cannot be pickled, or the parent is gone
        try:
            send.send((False, RuntimeError(f"{type(outcome[1]).__name__}: {exc}")))
        except Exception:  # noqa: BLE001, S110 - the parent has stopped listening
            pass
    # No interpreter teardown in a forked child: the parent owns the files and the logs.
    os._exit(0)


@contextmanager
def in_background(function: Callable[..., T], *args) -> Iterator[Callable[[], T]]:
    """Run `function(*args)` in a forked process; yield a call that waits for the result.

    Fork, not spawn: the child starts at once with everything imported, and shares the
    parent's memory until either writes to it. Leaving the block, by an exception or an
    interruption too, ends the child and waits for it: no process outlives the build.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_child, args=(send, function, args), daemon=True)

    def result() -> T:
        try:
            ok, value = receive.recv()
        except EOFError:
            raise RuntimeError(
                f"the background process ended without a result (exit {child.exitcode})"
            ) from None
        if not ok:
            raise value
        return value

    finished = False
    try:
        with signals_held():  # a signal during the fork is the parent's, acted on after it
            child.start()
        send.close()
        yield result
        finished = True
    finally:
        if child.ident is not None:  # started
            if not finished and child.is_alive():
                child.terminate()
            child.join(10)
            if child.is_alive():
                child.kill()
                child.join()
        send.close()
        receive.close()
