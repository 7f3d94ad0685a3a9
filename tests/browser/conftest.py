"""Playwright (sync) on Debian's chromium against the live server, with Dokobit emulated inside it.

Reusable by every browser test: ``browser`` (module), ``portal_live`` (settings pointed at the
live server and its emulator), ``page`` (a fresh context per test) and ``screenshot``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import chromium_path, require

# Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    # Module scope: one Playwright loop at a time, so other suites can start their own.
    require(chromium_path() is not None, "Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Never a downloaded browser: the system's chromium only.
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def portal_live(live_server, settings):
    """The live server, with the portal's origin and both gateways pointed at it."""
    base = live_server.url
    settings.PORTAL_BASE_URL = base
    settings.PORTAL_ORIGIN = base
    settings.CSRF_TRUSTED_ORIGINS = [base]
    settings.DOKOBIT_IDENTITY_URL = f"{base}/dokobit-emulator/identity"
    settings.DOKOBIT_IDENTITY_TOKEN = settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN
    settings.DOKOBIT_GATEWAY_URL = f"{base}/dokobit-emulator/gateway"
    settings.DOKOBIT_GATEWAY_TOKEN = settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN
    return live_server


@pytest.fixture
def page(browser, portal_live):
    context = browser.new_context(base_url=portal_live.url, locale="en-GB")
    new_page = context.new_page()
    new_page.set_default_timeout(15_000)
    yield new_page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """``screenshot("step")`` saves test-artifacts/<test>-<n>-<step>.png."""
    counter = {"n": 0}
    name = re.sub(r"[^\w.-]+", "_", request.node.name)

    def take(step: str) -> None:
        counter["n"] += 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{counter['n']:02d}-{step}.png"), full_page=True)

    return take
