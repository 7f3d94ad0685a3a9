"""What a person does in the browser, shared by the browser tests and the journeys."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

# A signer's personal portal link in an invitation.
SIGNER_LINK = re.compile(r"https?://[^\s\"<>]+/sign/[A-Za-z0-9_\-]+/")


def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_file(tmp_path: Path, name: str = "lease.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf_bytes())
    return path


def identify(page: Page, identity: str, *, at_control_code: Callable[[], None] | None = None) -> None:
    """Run the emulated Identity Gateway widget with one test identity up to the control code, and approve."""
    page.get_by_test_id("identity-start").click()
    expect(page.get_by_test_id("dokobit-identity-widget")).to_be_visible()
    page.get_by_test_id("dokobit-identity-select").select_option(identity)
    page.get_by_test_id("dokobit-identity-continue").click()
    expect(page.get_by_test_id("dokobit-control-code")).to_be_visible()
    if at_control_code is not None:
        at_control_code()
    page.get_by_test_id("dokobit-identity-approve").click()


def fill_signer(page: Page, n: int, *, name, surname, country, code, email, purpose) -> None:
    """Fill the ``n``-th signer row of the upload form."""
    row = page.locator("[data-signer-row]").nth(n)
    row.get_by_label("Name", exact=True).fill(name)
    row.get_by_label("Surname").fill(surname)
    row.get_by_label("Country").select_option(country)
    row.get_by_label("Personal code").fill(code)
    row.get_by_label("E-mail").fill(email)
    row.get_by_label("Signing purpose").select_option(purpose)


def identify_step(page, screenshot, identity: str, *, step: str) -> None:
    """Run the widget with one test identity, with a screenshot at the control code."""
    identify(page, identity, at_control_code=lambda: screenshot(f"{step}-control-code"))


PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def check(page, name: str, *, viewport: dict = PHONE) -> None:
    """The page at ``viewport`` scrolls only up and down; a screenshot of it is kept."""
    from tests.browser.conftest import ARTIFACTS

    page.set_viewport_size(viewport)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-{viewport['width']}-{name}.png"), full_page=True)
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{name} is {scroll_width} px wide at {inner_width} px"


def both(page, name: str) -> None:
    check(page, name, viewport=DESKTOP)
    check(page, name)
