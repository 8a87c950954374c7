"""`python -m oic_book` is the `oic-book` command."""

from __future__ import annotations

from .cli import run

run()
