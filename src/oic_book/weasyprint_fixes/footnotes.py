"""A runtime fix for WeasyPrint 70: a note moved off the page of its call.

The bug (WeasyPrint 70.0): when a line of a paragraph overflows the page and the
paragraph may be broken after it but not before it (orphans), `_linebox_layout`
(layout/block.py, "first try to report footnotes and see if we don't overflow") moves
the page's last notes to the next page to make room for that line, whatever their
`footnote-policy`. CSS GCPM's `footnote-policy: line` (the book's, styles/print.css)
says the reverse: a note that does not fit takes the line of its call with it. In the
2026 edition the note on Kazakhstan and the Abraham Accords went to page 29 while its
call stayed on page 28, to keep two lines of the next paragraph on page 28.

The fix: that path reports notes only when every note on the page allows it
(`footnote-policy: auto`); otherwise the line breaks as any other (orphans and widows
decide, and the paragraph moves to the next page). It is made by rewriting one
condition of WeasyPrint 70.0's own function, so the rest of it stays WeasyPrint's; on
another version the text is not found and nothing is changed.
`tests/test_weasyprint_fixes.py` has the canary: it fails once the condition is no
longer in WeasyPrint's source (the fix must then be checked again), and its layout test
fails if the bug comes back.
"""

from __future__ import annotations

import inspect
import textwrap

#: The condition in `weasyprint.layout.block._linebox_layout` (70.0), and what it becomes.
CONDITION = "report = not context.in_column and can_break_now and not could_break_before"
FIXED = (
    CONDITION + " and all(footnote.style['footnote_policy'] == 'auto'"
    " for footnote in context.current_page_footnotes)"
)


def apply() -> bool:
    """Install the fix, once; False if this WeasyPrint does not have the condition."""
    from weasyprint.layout import block

    if getattr(block._linebox_layout, "oic_book", False):
        return True
    source = textwrap.dedent(inspect.getsource(block._linebox_layout))
    if source.count(CONDITION) != 1:
        return False
    namespace: dict = {}
    code = compile(source.replace(CONDITION, FIXED), inspect.getsourcefile(block), "exec")
    # The module's own globals: the function calls what block.py's other functions call,
    # patched or not; only the new function lands in `namespace`.
    exec(code, vars(block), namespace)  # noqa: S102
    fixed = namespace["_linebox_layout"]
    fixed.oic_book = True
    fixed.__wrapped__ = block._linebox_layout
    block._linebox_layout = fixed
    return True
