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
