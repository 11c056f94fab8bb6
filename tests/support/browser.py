"""A real headless Chromium for the tests: Debian's `chromium`, driven by Playwright (which cannot
fetch its own browser here). `.ci/run` installs it."""

from __future__ import annotations

import shutil
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import async_playwright

# Without the background-networking flags, Chromium reaches for Google's hosts at every start.
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@asynccontextmanager
async def chromium(**context_options):
    """A new browser context in a launched Chromium, closed afterwards."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("these tests need Debian's chromium (apt-get install chromium; .ci/run installs it)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield await launched.new_context(**context_options)
        finally:
            await launched.close()
