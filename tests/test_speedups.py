"""The WeasyPrint/pydyf speed fixes of `weasyprint_fixes.speedups` are active in a build.

They were checked to leave the PDF byte-identical at 24, 206 and 1032 pages; on another
WeasyPrint version they are skipped (the build is only slower), which this test shows.
"""

from __future__ import annotations

import pydyf
import weasyprint
from weasyprint.css import targets

from oic_book.weasyprint_fixes import speedups as weasyprint_speedups


def test_speedups_are_installed_once(built):
    weasyprint_speedups.apply()  # a second call changes nothing
    assert getattr(pydyf.PDF.page_references.fget, "oic_book", False)
    installed = getattr(targets.TargetCollector.cache_target_page_counters, "oic_book", False)
    assert installed == weasyprint.__version__.startswith("70.")


def test_page_references_follow_added_pages():
    weasyprint_speedups.apply()
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        assert len(pdf.page_references) == len(pdf.pages["Kids"]) // 3
    assert pdf.page_references == tuple(
        f"{number} 0 R".encode("ascii") for number in pdf.pages["Kids"][::3]
    )


def _leaders(html: str) -> list:
    """Lay `html` out; the leader boxes of its first page, as (children, line width)."""
    from weasyprint.layout import inline

    found = []
    document = weasyprint.HTML(string=html).render()
    stack = [document.pages[0]._page_box]
    while stack:
        box = stack.pop()
        if getattr(box, "is_leader", False):
            found.append(box.children)
        stack.extend(getattr(box, "children", ()))
    assert inline.handle_leader  # the layout went through the (patched) module
    return found


LEADER_HTML = (
    "<style>a { display: block } a::after { content: leader('.') ' ' '12' }</style>"
    + "".join(f"<a>Entry {n}</a>" for n in range(5))
)


def test_a_leader_is_one_run_of_dots_where_the_copies_were():
    """The dots of one run sit where WeasyPrint 70's copies, one box per dot, sat."""
    from weasyprint.layout import inline

    weasyprint_speedups.apply()
    patched = inline.handle_leader
    assert getattr(patched, "oic_book", False)
    try:
        inline.handle_leader = patched.__wrapped__
        copies = _leaders(LEADER_HTML)
    finally:
        inline.handle_leader = patched
    runs = _leaders(LEADER_HTML)
    assert len(runs) == len(copies) == 5
    for run, dots in zip(runs, copies, strict=True):
        assert len(dots) > 10 and len(run) == 1
        (box,) = run
        assert box.text == "." * len(dots)
        assert abs(box.position_x - min(d.position_x for d in dots)) < 1e-6
        assert abs(box.width - sum(d.width for d in dots)) < 1e-6
        assert box.position_y == dots[0].position_y
