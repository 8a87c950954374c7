"""Interruption and child processes: a build stopped at any moment leaves nothing behind.

SIGINT, SIGTERM and SIGHUP become an `Interrupted` exception in the main thread, so that
every `finally` runs: temporary files in the output folder are removed, the build's
temporary folder with them, and child processes are ended (`workers`). A child process
(`child_setup`: the readers of a long manuscript, the layout and EPUB workers) exits at
once on those signals, and asks Linux to end it if the build dies without a word
(SIGKILL).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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


def _exit_child(signum, frame) -> None:
    # At once, with no cleanup of its own: the parent owns the files and the temporary
    # folder, and kills what a child started with it (workers lead their process group).
    os._exit(128 + signum)


def child_setup() -> None:
    """In a child process: a signal ends it at once, and it ends with the parent, however
    the parent ends."""
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
