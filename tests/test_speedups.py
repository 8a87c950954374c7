"""The WeasyPrint/pydyf caches of `weasyprint_speedups` are active in a build.

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
