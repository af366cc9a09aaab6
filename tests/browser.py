"""Headless Chromium for the browser tests: Debian's chromium package, driven by Playwright.

Playwright's own browser downloads are never used; the tests need /usr/bin/chromium. Without
it a browser test is skipped, or fails when HEATSHIELD_TEST_REQUIRE_BROWSER=1 (as in CI).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("HEATSHIELD_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"A browser is required (HEATSHIELD_TEST_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


def require_chromium() -> Path:
    """The Chromium executable, or skip (fail when required) with the reason it is missing."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is missing; install Debian's chromium package")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        _unavailable(f"the playwright package is not installed: {exc}")
    return CHROMIUM


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium, closed (with Playwright's driver) when the block ends."""
    from playwright.async_api import async_playwright

    executable = require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()
