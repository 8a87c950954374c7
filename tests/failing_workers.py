"""Worker main functions that fail, for tests of what a failed build leaves behind.

Workers are spawned processes (`oic_book.workers`): a monkeypatch in the test process does
not reach them, so a test hands the build one of these instead; the worker imports it by
name.
"""

from __future__ import annotations


def serve_epub_disk_full(connection) -> None:
    """An EPUB worker whose writing fails, as on a full disk."""
    connection.recv()
    raise OSError("disk full")


def serve_epub_interrupted(connection) -> None:
    """An EPUB worker interrupted while it works."""
    connection.recv()
    raise KeyboardInterrupt
