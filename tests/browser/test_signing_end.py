"""The end of a signing in Chromium: the owner's open page turns final live, and a signer fetches
the signed file from the completion e-mail in a fresh browser (issue 12, defects 8 and 2)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from signing.documents import document_create
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import identify
from tests.factories import SignerDataFactory
from tests.signing.bad_files import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^\s\"<>]+/sign/[A-Za-z0-9_\-]+/")
SIGNER_EMAIL = "lt@example.test"


def fresh_page(browser, portal_live, *, width: int = 1280, height: int = 900):
    context = browser.new_context(base_url=portal_live.url, locale="en-GB", viewport={"width": width, "height": height})
    new_page = context.new_page()
    new_page.set_default_timeout(15_000)
    return context, new_page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"signing-end-{name}.png"), full_page=True)


def mail_link(*, to: str, subject_part: str) -> str:
    for message in mail.outbox:
        if to in message.to and subject_part in message.subject:
            return LINK.search(message.body).group(0)
    raise AssertionError(f"no e-mail to {to} about {subject_part!r}")


def sent_for_signing(make_user, settings):
    """A document of the owner we log in as, sent to the emulator with one signer (the last to sign)."""
    settings.SIGNING_UPLOAD_POLL_INTERVAL = 0.2
    owner = make_user(
        country_code="LT", personal_code="30303039914", first_name="QUALIFIED OK1", last_name="TESTNUMBER"
    )
    return document_create(
        owner=owner,
        uploaded_file=ContentFile(make_pdf(), name="lease.pdf"),
        title="Lease contract",
        signers=[SignerDataFactory(email=SIGNER_EMAIL, signing_purpose="signature")],
    )


def wait_until_completed(document) -> None:
    for _ in range(150):
        if document.signings.get().status == "completed":
            return
        time.sleep(0.2)
    raise AssertionError("the signing never completed")


def test_owner_page_turns_final_live_and_signer_downloads_from_the_completion_mail(
    page, browser, portal_live, screenshot, make_user, settings
):
    document = sent_for_signing(make_user, settings)

    page.goto("/login/")
    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto(f"/documents/{document.uuid}/")
    expect(page.get_by_test_id("signing-status")).to_have_text("Waiting for signatures", timeout=30_000)
    expect(page.get_by_role("button", name="Resend invitation")).to_be_visible()
    # Remove and Cancel open a confirmation step first: their first control is a <summary>.
    for name in ["Remove", "Cancel the signing"]:
        expect(page.get_by_text(name, exact=True)).to_be_visible()
    expect(page.get_by_text("Add a signer")).to_be_visible()
    expect(page.get_by_test_id("download-signed")).to_be_hidden()
    screenshot("owner-open")

    # The only signer signs in another browser while the owner's page stays open.
    context, signer_page = fresh_page(browser, portal_live)
    signer_page.goto(mail_link(to=SIGNER_EMAIL, subject_part="asks you to sign"))
    identify(signer_page, "lt-mobile")
    signer_page.get_by_test_id("sign-button").click()
    signer_page.frame_locator("#isign-gateway").get_by_test_id("dokobit-sign-button").click()
    expect(signer_page).to_have_url(re.compile(r"/done/$"), timeout=30_000)
    context.close()

    # No reload: the page shows the end, offers the file and nothing that no longer applies.
    expect(page.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    expect(page.get_by_test_id("download-signed")).to_be_visible()
    for name in ["Resend invitation", "Add and invite"]:
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    for name in ["Remove", "Cancel the signing"]:
        expect(page.get_by_text(name, exact=True)).to_have_count(0)
    expect(page.get_by_text("Add a signer")).to_have_count(0)
    expect(page.locator("[data-owner-action]")).to_have_count(0)
    expect(page.get_by_test_id("copy-expiry")).to_have_count(0)
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Signer signed: Mobile Tester")
    expect(timeline).to_contain_text("Signing completed")
    screenshot("owner-final")
    page.set_viewport_size({"width": 375, "height": 812})
    screenshot("owner-final-phone")
    with page.expect_download() as owner_download:
        page.get_by_test_id("download-signed").click()
    owner_bytes = Path(owner_download.value.path()).read_bytes()
    assert owner_bytes[:5] == b"%PDF-"

    # The signer, in a browser that never saw the portal, follows the completion e-mail.
    context, later = fresh_page(browser, portal_live, width=375, height=812)
    later.goto(mail_link(to=SIGNER_EMAIL, subject_part="has been signed"))
    expect(later.get_by_test_id("identify-for-signed-file")).to_be_visible()
    expect(later.get_by_text("Lease contract")).to_have_count(0)
    shot(later, "signer-identify-phone")
    identify(later, "lt-mobile")
    expect(later.get_by_test_id("signer-completed")).to_be_visible()
    expect(later.get_by_test_id("signer-document-title")).to_have_text("Lease contract")
    shot(later, "signer-completed-phone")
    later.set_viewport_size({"width": 1280, "height": 900})
    shot(later, "signer-completed")
    with later.expect_download() as signer_download:
        later.get_by_test_id("signer-download-signed").click()
    assert signer_download.value.suggested_filename.endswith("-signed.pdf")
    assert Path(signer_download.value.path()).read_bytes() == owner_bytes
    context.close()


def test_someone_else_with_the_completion_mail_gets_no_file(browser, portal_live, make_user, settings):
    document = sent_for_signing(make_user, settings)
    link = mail_link(to=SIGNER_EMAIL, subject_part="asks you to sign")
    context, signer_page = fresh_page(browser, portal_live)
    signer_page.goto(link)
    identify(signer_page, "lt-mobile")
    signer_page.get_by_test_id("sign-button").click()
    signer_page.frame_locator("#isign-gateway").get_by_test_id("dokobit-sign-button").click()
    expect(signer_page).to_have_url(re.compile(r"/done/$"), timeout=30_000)
    context.close()
    wait_until_completed(document)

    context, stranger = fresh_page(browser, portal_live)
    stranger.goto(link)
    identify(stranger, "lv-smartid")
    expect(stranger.get_by_test_id("signer-unavailable")).to_be_visible()
    expect(stranger.get_by_test_id("signer-download-signed")).to_have_count(0)
    response = stranger.request.get(link + "signed/")
    assert response.status == 403
    assert response.body()[:5] != b"%PDF-"
    context.close()
