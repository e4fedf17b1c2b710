"""Debian's chromium driven by Playwright, launched the same way by every browser test."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 15_000

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="Debian's chromium (/usr/bin/chromium) is not installed")


@contextmanager
def launched_chromium(extra_args: tuple[str, ...] = ()) -> Iterator:
    """A headless chromium for the duration of the block (tests wrap it in a module fixture)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


def wait_for_status(page, status: str) -> None:
    """Wait until the test application's `#status` element reads `status`.

    Null-safe on purpose: after a redirect the predicate can run on the new document before its
    `#status` element is parsed, and a predicate that throws ends the wait with an error."""
    page.wait_for_function("status => document.getElementById('status')?.textContent === status", arg=status)
