"""Speed fixes for WeasyPrint 70 and pydyf 0.13 (profiles in tests/bench/RESULTS.md).

Two are caches for work that grows with pages × references; they leave the PDF's bytes
as they were (checked byte for byte at 24, 206 and 1032 pages). The third draws a dot
leader as one run of text instead of one text box per dot: the same glyphs at the same
places, the same text, a fraction of the boxes (the contents of a 1,000-page book cost
two and a half times as much per page as its chapters, and twice the memory; the dots
may move by a hundredth of a point, as the viewer adds up the advances).
On other versions they are not applied, and the build is only slower.
"""

from __future__ import annotations

import copy
import itertools
from math import inf


def apply() -> None:
    """Install the fixes, once."""
    _cache_page_references()
    _index_target_counters()
    _one_box_per_leader()
    _remember_footnote_areas()


def _remember_footnote_areas() -> None:
    """Lay the footnote area out once for each set of notes on a page.

    WeasyPrint 70 lays the whole footnote area of the page out again each time a note is
    added, moved to the next page or taken back (`LayoutContext._update_footnote_area`),
    to learn its height; with `footnote-policy: line` the same notes are laid out again
    and again as lines are tried. For a page of long source notes that was three
    quarters of the layout. The area belongs to one page, and its height and overflow
    depend only on the notes in it: they are kept on the area, by the notes it holds.
    This is WeasyPrint 70.0's method with that memory added; the area drawn on the page
    is still laid out by `make_page`, as before.
    """
    import weasyprint
    from weasyprint.formatting_structure import build
    from weasyprint.layout import LayoutContext, block_level_layout

    if not weasyprint.__version__.startswith("70."):
        return
    if getattr(LayoutContext._update_footnote_area, "oic_book", False):
        return
    original = LayoutContext._update_footnote_area

    def _update_footnote_area(self):
        area = self.current_footnote_area
        if area.height != "auto" and not self.in_column:
            self.page_bottom += area.margin_height()
        area.children = self.current_page_footnotes
        if not area.children:
            area.height = 0
            if not self.in_column:
                self.page_bottom -= area.margin_height()
            return False
        known = area.__dict__.setdefault("_oic_laid_out", {})
        key = tuple(map(id, area.children))
        if key not in known:
            laid = block_level_layout(
                self, build.create_anonymous_boxes(area.deepcopy()), -inf, None, area.page
            )[0]
            last = laid.children[-1]
            last_bottom = last.position_y + last.margin_height() - last.margin_bottom
            area_bottom = laid.position_y + laid.margin_height() - laid.margin_bottom
            known[key] = (laid.height, laid.margin_height(), last_bottom > area_bottom)
        height, margin_height, overflow = known[key]
        area.height = height
        if not self.in_column:
            self.page_bottom -= margin_height
        return overflow

    _update_footnote_area.oic_book = True
    _update_footnote_area.__wrapped__ = original
    LayoutContext._update_footnote_area = _update_footnote_area


def _one_box_per_leader() -> None:
    """After WeasyPrint 70 has filled a leader with copies of its text box, one per dot
    (`layout.leader.handle_leader`: every copy is a text box to draw, a marked-content
    sequence and a structure element of its own), replace the copies by one text box of
    as many dots at the first copy's place.

    The copies touch end to end (each is placed one width from the next), so the dots
    of one run fall where the copies were, as long as the run is exactly as wide as the
    copies together: if kerning or rounding made it otherwise, the copies are kept.
    """
    import weasyprint
    from weasyprint.layout import inline, leader

    if not weasyprint.__version__.startswith("70."):
        return
    if getattr(inline.handle_leader, "oic_book", False):
        return
    original = inline.handle_leader

    def handle_leader(context, line, containing_block):
        original(context, line, containing_block)
        index, leader_box = leader.leader_index(line)
        if index is None or len(leader_box.children) < 2:
            return
        copies = leader_box.children
        first = min(copies, key=lambda box: box.position_x)
        width = first.width
        placed = sorted(box.position_x for box in copies)
        if any(abs(b - a - width) > 1e-6 for a, b in itertools.pairwise(placed)):
            return
        run, _, _ = inline.split_text_box(
            context, first.copy_with_text(first.text * len(copies)), float("inf"), 0
        )
        if run is None or abs(run.width - width * len(copies)) > 1e-6 * max(1, run.width):
            return
        run.position_x, run.position_y = first.position_x, first.position_y
        leader_box.children = (run,)

    handle_leader.oic_book = True
    handle_leader.__wrapped__ = original
    inline.handle_leader = handle_leader


def _cache_page_references() -> None:
    """Cache pydyf's `PDF.page_references` until a page is added.

    pydyf rebuilds the tuple of every page's reference on each access, and WeasyPrint's
    PDF/UA tagging reads it once per tagged element: pages × elements. The tuple only
    changes when `add_page` extends the page list, so its length is the cache key.
    """
    import pydyf

    prop = pydyf.PDF.__dict__.get("page_references")
    if not isinstance(prop, property) or getattr(prop.fget, "oic_book", False):
        return
    original = prop.fget

    def page_references(self):
        count = len(self.pages["Kids"])
        cached = self.__dict__.get("_oic_page_references")
        if cached is None or cached[0] != count:
            cached = (count, original(self))
            self.__dict__["_oic_page_references"] = cached
        return cached[1]

    page_references.oic_book = True
    pydyf.PDF.page_references = property(page_references)


def _index_target_counters() -> None:
    """Let `TargetCollector.cache_target_page_counters` find the boxes that wait for an
    anchor through an index, instead of scanning every `target-counter()` box.

    WeasyPrint 70 scans all of `counter_lookup_items` for each targeted anchor placed on a
    page: anchors × references. Those items are only added while boxes are built
    (`collecting`), and an item's `missing_target_counters` never changes afterwards, so
    an index by anchor name, rebuilt whenever the number of items changes, visits the
    same items in the same order, with the same effects.
    """
    import weasyprint
    from weasyprint.css import targets

    collector = targets.TargetCollector
    if not weasyprint.__version__.startswith("70."):
        return
    if getattr(collector.cache_target_page_counters, "oic_book", False):
        return

    def waiting_for(self, anchor_name):
        index = self.__dict__.get("_oic_waiting")
        if index is None or index[0] != len(self.counter_lookup_items):
            by_anchor: dict[str, list] = {}
            for (_, css_token), item in self.counter_lookup_items.items():
                if css_token == "content":
                    for name in item.missing_target_counters:
                        by_anchor.setdefault(name, []).append(item)
            index = (len(self.counter_lookup_items), by_anchor)
            self.__dict__["_oic_waiting"] = index
        return index[1].get(anchor_name, ())

    # The body of WeasyPrint 70's method, with the scan replaced by `waiting_for`.
    def cache_target_page_counters(
        self, anchor_name, page_counter_values, page_maker_index, page_maker
    ):
        if self.collecting:
            return
        item = self.target_lookup_items.get(anchor_name)
        if item and item.state == "up-to-date":
            item.page_maker_index = page_maker_index
            if item.cached_page_counter_values != page_counter_values:
                item.cached_page_counter_values = copy.deepcopy(page_counter_values)
                for waiting in waiting_for(self, anchor_name):
                    missing_counters = waiting.missing_target_counters.get(anchor_name)
                    if missing_counters is None:
                        continue
                    if waiting.page_maker_index is None or waiting.page_maker_index >= len(
                        page_maker
                    ):
                        waiting.pending = True
                        continue
                    for counter_name in missing_counters:
                        if page_counter_values.get(counter_name) is not None:
                            remake_state = page_maker[waiting.page_maker_index][-1]
                            remake_state["content_changed"] = True
                            waiting.parse_again(waiting.cached_page_counter_values)
                            break

    cache_target_page_counters.oic_book = True
    collector.cache_target_page_counters = cache_target_page_counters
