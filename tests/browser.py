"""Headless Chromium for the tests that need a real browser: Debian's /usr/bin/chromium
(tests/tools.sh installs it), driven by Playwright for Python, which downloads no browser.

    from browser import chromium
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})

The conftest's session fixture `browser` shares one instance between tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = os.environ.get("OIC_CHROMIUM", "/usr/bin/chromium")
# The machines reach no network but the package registries: Chromium's own background
# connections (updates, sync, safe browsing) would only fail, many at a time.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser (playwright.sync_api.Browser), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
