"""The whole signing flow in a real browser against the emulated gateways."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import SIGNER_LINK, fill_signer, identify, pdf_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signer_link(email: str) -> str:
    for message in mail.outbox:
        if email in message.to:
            return SIGNER_LINK.search(message.body).group(0)
    raise AssertionError(f"no invitation to {email}")


def test_upload_two_signers_sign_and_owner_sees_it_live(page, browser, portal_live, screenshot, make_user, tmp_path):
    make_user(country_code="LT", personal_code="30303039914", first_name="QUALIFIED OK1", last_name="TESTNUMBER")
    page.goto("/login/")
    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.get_by_test_id("dashboard-upload").click()
    page.get_by_label("Document").set_input_files(str(pdf_file(tmp_path)))
    page.get_by_label("Title").fill("Lease contract")
    fill_signer(
        page,
        0,
        name="Mobile",
        surname="Tester",
        country="LT",
        code="50001018865",
        email="lt@example.test",
        purpose="signature",
    )
    page.get_by_role("button", name="Add another signer").click()
    fill_signer(
        page,
        1,
        name="Mary",
        surname="Tester",
        country="EE",
        code="60001019906",
        email="ee@example.test",
        purpose="visa",
    )
    screenshot("upload-form")
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-progress")).to_be_visible()
    screenshot("upload-progress")
    expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]+/$"), timeout=60_000)
    expect(page.get_by_test_id("signing-status")).to_have_text("Waiting for signatures", timeout=60_000)
    screenshot("document-page")
    owner_page = page

    # A third person with a forwarded link sees nothing.
    context = browser.new_context(base_url=portal_live.url, locale="en-GB")
    stranger = context.new_page()
    stranger.set_default_timeout(15_000)
    stranger.goto(signer_link("lt@example.test"))
    identify(stranger, "lv-smartid")
    expect(stranger.get_by_test_id("signer-unavailable")).to_be_visible()
    expect(stranger.get_by_text("Lease contract")).to_have_count(0)
    context.close()

    for email, identity in [("lt@example.test", "lt-mobile"), ("ee@example.test", "ee-mobile")]:
        context = browser.new_context(base_url=portal_live.url, locale="en-GB")
        signer_page = context.new_page()
        signer_page.set_default_timeout(15_000)
        signer_page.goto(signer_link(email))
        identify(signer_page, identity)
        expect(signer_page.get_by_test_id("signer-document-title")).to_have_text("Lease contract")
        expect(signer_page.get_by_test_id("requester")).to_have_text("QUALIFIED OK1 TESTNUMBER")
        # The document is shown as page images, not a PDF viewer, and can be read on a phone.
        preview = signer_page.get_by_test_id("preview-page")
        expect(preview).to_have_count(1)
        expect(preview).to_have_attribute("alt", "Page 1 of 1")
        ARTIFACTS.mkdir(exist_ok=True)
        signer_page.screenshot(path=str(ARTIFACTS / f"signing-flow-{identity}-document.png"), full_page=True)
        signer_page.set_viewport_size({"width": 390, "height": 844})
        preview.scroll_into_view_if_needed()
        expect(preview).to_have_js_property("complete", True)
        assert preview.evaluate("img => img.naturalWidth") > 0
        assert preview.bounding_box()["width"] <= 390
        signer_page.screenshot(path=str(ARTIFACTS / f"signing-flow-{identity}-document-phone.png"), full_page=True)
        signer_page.get_by_test_id("sign-button").click()
        expect(signer_page).to_have_url(re.compile(r"/sign/$"))
        signer_page.screenshot(path=str(ARTIFACTS / f"signing-flow-{identity}-dokobit-frame.png"), full_page=True)
        signer_page.frame_locator("#isign-gateway").get_by_test_id("dokobit-sign-button").click()
        expect(signer_page).to_have_url(re.compile(r"/done/$"), timeout=30_000)
        expect(signer_page.get_by_test_id("signer-result")).to_have_text("Thank you, you have signed")
        context.close()

    # The owner's page turned to signed without a reload.
    expect(owner_page.get_by_test_id("signer-status-1")).to_have_text("Signed", timeout=30_000)
    expect(owner_page.get_by_test_id("signer-status-2")).to_have_text("Signed")
    expect(owner_page.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    screenshot("owner-signed")
    with owner_page.expect_download() as download:
        owner_page.get_by_test_id("download-signed").click()
    assert download.value.suggested_filename.endswith("-signed.pdf")
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
