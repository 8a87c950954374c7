"""Tests for the render-time typography: fixture snippets and idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oic_book.kazakh.typography import NB_HYPHEN, NBSP, typeset

FIXTURES = Path(__file__).parent / "fixtures" / "typography.md"
_ESCAPES = {"⍽": NBSP, "⸗": NB_HYPHEN}
_SEGMENT = "¦"


def _unescape(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    for mark, char in _ESCAPES.items():
        text = text.replace(mark, char)
    return text.split(_SEGMENT)


def _read_fixtures(path: Path) -> list[tuple[str, list[str], list[str]]]:
    """Parse title / "." / input / "." / expected / "." blocks."""
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith("%")
    ]
    cases = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        title = lines[i]
        assert lines[i + 1] == ".", f"missing '.' after {title!r}"
        parts: list[list[str]] = [[], []]
        i += 2
        for part in parts:
            while lines[i] != ".":
                part.append(lines[i])
                i += 1
            i += 1
        cases.append((title, _unescape(parts[0]), _unescape(parts[1])))
    return cases


CASES = _read_fixtures(FIXTURES)


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_fixture(source: list[str], expected: list[str]) -> None:
    assert typeset(source) == expected


@pytest.mark.parametrize("expected", [c[2] for c in CASES], ids=[c[0] for c in CASES])
def test_fixture_output_is_stable(expected: list[str]) -> None:
    assert typeset(expected) == expected


def test_fixture_file_has_cases() -> None:
    assert len(CASES) >= 30


_CHARS = 'аИЫҰқНӘXіж.т%м "«»“”-–—()№,5019 \n' + NBSP + NB_HYPHEN
segments = st.lists(st.text(alphabet=_CHARS, max_size=20), max_size=5)


@settings(max_examples=2000)
@given(segments)
def test_idempotent(source: list[str]) -> None:
    once = typeset(source)
    assert len(once) == len(source)
    assert typeset(once) == once


@given(st.lists(st.text(alphabet="абвгАБВ ,;!", max_size=20), max_size=5))
def test_ordinary_text_unchanged(source: list[str]) -> None:
    assert typeset(source) == source
