"""Prototype (not used by the build): two output-preserving fixes for quadratic spots in
WeasyPrint 70 and pydyf, measured in bench/RESULTS.md ("Where the time goes").

Usage: `import weasyprint_patches; weasyprint_patches.apply()` before laying out.
"""

import copy

import pydyf
from weasyprint.css import targets

_orig_refs = pydyf.PDF.page_references.fget


def _page_references(self):
    kids = self.pages["Kids"]
    cache = self.__dict__.get("_oic_refs")
    if cache is None or cache[0] != len(kids):
        cache = (len(kids), _orig_refs(self))
        self.__dict__["_oic_refs"] = cache
    return cache[1]


def _cache_target_page_counters(
    self, anchor_name, page_counter_values, page_maker_index, page_maker
):
    if self.collecting:
        return
    item = self.target_lookup_items.get(anchor_name)
    if item and item.state == "up-to-date":
        item.page_maker_index = page_maker_index
        if item.cached_page_counter_values != page_counter_values:
            item.cached_page_counter_values = copy.deepcopy(page_counter_values)
            index = self.__dict__.get("_oic_index")
            if index is None or index[0] != len(self.counter_lookup_items):
                by_anchor = {}
                for (_, css_token), citem in self.counter_lookup_items.items():
                    if css_token != "content":
                        continue
                    for name in citem.missing_target_counters:
                        by_anchor.setdefault(name, []).append(citem)
                index = (len(self.counter_lookup_items), by_anchor)
                self.__dict__["_oic_index"] = index
            for item in index[1].get(anchor_name, ()):
                missing_counters = item.missing_target_counters.get(anchor_name)
                if missing_counters is None:
                    continue
                if item.page_maker_index is None or item.page_maker_index >= len(page_maker):
                    item.pending = True
                    continue
                for counter_name in missing_counters:
                    counter_value = page_counter_values.get(counter_name)
                    if counter_value is not None:
                        remake_state = page_maker[item.page_maker_index][-1]
                        remake_state["content_changed"] = True
                        item.parse_again(item.cached_page_counter_values)
                        break


def apply():
    pydyf.PDF.page_references = property(_page_references)
    targets.TargetCollector.cache_target_page_counters = _cache_target_page_counters
