"""A runtime fix for a WeasyPrint line-breaking bug that splits a word which fits.

The bug (checked on WeasyPrint 70.0 with Pango 1.50): when the rest of a text box
ends with a collapsible space because an inline element (``<a>``, ``<em>``...) follows,
and that rest is only a little narrower than the line, the line is cut after its first
word (hyphenated if it can be), even though the whole rest fits. In the print book,
"қысқартулармен" came out as "қыс‐" / "қартулар‐" / "мен": a line holding only
"қартулар‐", although "қартулармен қатар ... кездесетін" fits.

Where: ``weasyprint.text.line_break.split_first_line``, "Step #2" (text/line_break.py,
lines 308-317 in 70.0). Pango keeps the trailing space on the line (it hangs, as CSS
asks) and reports no second line, but the line's logical width includes that space.
The test ``resume_index is None and first_line_width <= max_width`` then fails by the
width of a space, and "Step #3" (lines 322-329) concludes that "the line can't be split
earlier": it throws the whole line away (``first_line_text = ''``) and hyphenates the
first word, or, without ``hyphens: auto``, keeps that word alone on the line. When
the text box goes on past the space (no inline element after it), Pango wraps after
the space and measures the line without it, which is why plain text is not affected.

The fix wraps the ``split_first_line`` that ``weasyprint.layout.inline`` calls (from
``split_text_box``). After the original has run, and only if it split the text although
the text ends with collapsible spaces, has no other line break, and without those
spaces fits in the available width on one line, the call is repeated with an unbounded
width, which returns the whole text as one line: what Step #2 would have returned had it
not counted the trailing spaces. The inline layout already ignores trailing spaces when
it checks for overflow (``trailing_whitespace_size``) and removes them from the end of
the line (``remove_last_whitespace``), so such a line is handled exactly like one whose
text box goes on after the space. Why it is safe:

* CSS Text 3 removes collapsible spaces at the end of a line, so they must not decide
  whether the words before them fit; the fix changes nothing else;
* every other call is left alone, and the result of the original is returned unless
  the condition above holds (checked with one extra Pango layout, only for a text box
  that was split and ends with a space);
* ``preferred.py`` (min/max-content widths) and SVG text keep their own imports of the
  unpatched function.

`apply()` is idempotent. ``tests/test_linebreaks.py`` renders the paragraph above, and
its test marked UPSTREAM fails once WeasyPrint no longer needs the fix.
"""

from __future__ import annotations

import inspect

__all__ = ["apply", "is_applied"]

#: The WeasyPrint version the fix was written for and checked on.
CHECKED_ON = "70.0"

_EXPECTED_PARAMETERS = [
    "text",
    "style",
    "context",
    "max_width",
    "justification_spacing",
    "is_line_start",
    "minimum",
]


def _fits_without_trailing_spaces(text, style, context, max_width, justification_spacing):
    """Tell whether `text` without its trailing spaces is one line no wider than `max_width`."""
    from weasyprint.text.line_break import create_layout, line_size

    stripped = text.rstrip(" ")
    if not stripped or stripped == text:
        return False
    layout = create_layout(stripped, style, context, None, justification_spacing)
    first_line, second_line_index = layout.get_first_line()
    width, _ = line_size(first_line, style)
    return second_line_index is None and width <= max_width


def _make_split_first_line(original):
    def split_first_line(
        text,
        style,
        context,
        max_width,
        justification_spacing,
        is_line_start=True,
        minimum=False,
    ):
        result = original(
            text,
            style,
            context,
            max_width,
            justification_spacing,
            is_line_start=is_line_start,
            minimum=minimum,
        )
        resume_index = result[2]
        if (
            resume_index is not None
            and max_width is not None
            and max_width != float("inf")
            and text.endswith(" ")
            and style["white_space"] in ("normal", "pre-line")
            and "\n" not in text
            and _fits_without_trailing_spaces(
                text, style, context, max_width, justification_spacing
            )
        ):
            # The whole text belongs on this line; its trailing spaces hang.
            return original(
                text,
                style,
                context,
                float("inf"),
                justification_spacing,
                is_line_start=is_line_start,
                minimum=minimum,
            )
        return result

    split_first_line.oic_book = True
    split_first_line.__wrapped__ = original
    split_first_line.__doc__ = original.__doc__
    return split_first_line


def is_applied() -> bool:
    """Tell whether `apply()` has patched WeasyPrint in this process."""
    from weasyprint.layout import inline

    return getattr(inline.split_first_line, "oic_book", False)


def apply() -> None:
    """Patch WeasyPrint's line breaking so a text box's trailing space never splits a word.

    Call it before laying anything out (`pdf.layout` is the place). Calling it again
    changes nothing. Raises `RuntimeError` if `split_first_line` no longer has the
    signature of WeasyPrint 70, rather than patching a function it was not checked on.
    """
    from weasyprint.layout import inline

    if is_applied():
        return
    original = inline.split_first_line
    parameters = list(inspect.signature(original).parameters)
    if parameters != _EXPECTED_PARAMETERS:
        raise RuntimeError(
            "oic_book.weasyprint_fixes.linebreak was checked on WeasyPrint "
            f"{CHECKED_ON}; split_first_line now takes {parameters}: review the fix"
        )
    inline.split_first_line = _make_split_first_line(original)
