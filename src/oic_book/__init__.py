"""oic-book: builds a Kazakh book as a print PDF, an EPUB 3 and a web edition from one manuscript."""

from __future__ import annotations

__version__ = "0.1.0"

# The editions `oic-book build --format` can make; the default is all of them.
EDITIONS = ("pdf", "epub", "web")
