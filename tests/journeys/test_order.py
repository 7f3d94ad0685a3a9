"""Journeys of issue 15 (part 2): a signing in order with a signer on behalf of a company and copy
recipients. Signer 2's link waits for signer 1; the owner watches the turn move; a copy recipient
allowed to read along proves who they are and reads the document; the copy recipient gets the
signed file's link by e-mail and downloads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from signing.models import CopyRecipient, Document, Signer, Signing, SigningEvent
from tests.browser.helpers import identify, pdf_file
from tests.journeys.steps import (
    EE_SIGNER,
    LT_SIGNER,
    LV_SIGNER,
    account_of,
    log_in,
    make_owner,
    open_invitation,
    sign_at_dokobit,
    signers_fill,
)

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

TITLE = "Supply agreement"
COPY_EMAIL = "carol.copy@example.test"
READER_EMAIL = "rita.reader@example.test"
COPY_LINK = re.compile(r"https?://[^\s]+/copy/[A-Za-z0-9_-]+/")


def upload_in_order(page, tmp_path: Path) -> Document:
    """The owner uploads for LT_SIGNER (on behalf of a company) then EE_SIGNER, in order, with a copy."""
    page.get_by_test_id("dashboard-upload").click()
    expect(page).to_have_url(re.compile(r"/documents/new/$"))
    page.get_by_label("Document").set_input_files(str(pdf_file(tmp_path, "supply.pdf")))
    page.get_by_label("Title").fill(TITLE)
    # The group field is asked for only when signing in ordered groups.
    group_field = page.locator("[name='signers-0-order_group']")
    expect(group_field).to_be_hidden()
    page.get_by_label("Signing order").select_option("groups")
    expect(group_field).to_be_visible()
    page.get_by_label("Signing order").select_option("sequential")
    expect(group_field).to_be_hidden()
    signers_fill(page, [LT_SIGNER, EE_SIGNER])
    first = page.locator("[data-signer-row]").nth(0)
    first.get_by_label("Company").fill("UAB Tiekimas")
    first.get_by_label("Position").fill("Director")
    first.get_by_label("Structural subdivision").fill("Purchasing")
    copy_row = page.get_by_test_id("copy-row-1")
    copy_row.get_by_label("Name").fill("Carol Copy")
    copy_row.get_by_label("E-mail").fill(COPY_EMAIL)
    page.watch.check("upload-filled")
    page.get_by_test_id("upload-submit").click()
    expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]+/$"), timeout=60_000)
    expect(page.get_by_test_id("signing-status")).to_have_text("Waiting for signatures", timeout=60_000)
    return Document.objects.get(title=TITLE)


def test_in_order_signing_with_a_company_signer_and_a_copy_recipient(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    document = upload_in_order(owner, tmp_path)
    assert document.signing_order == "sequential"
    first_signer, second_signer = document.signers.order_by("position")
    assert (first_signer.order_group, second_signer.order_group) == (1, 2)
    assert (first_signer.company, first_signer.company_position, first_signer.structural_subdivision) == (
        "UAB Tiekimas",
        "Director",
        "Purchasing",
    )

    # The owner's page: the order, whose turn it is, the company, the copy recipient.
    expect(owner.get_by_test_id("signing-order")).to_have_text("One after another")
    expect(owner.get_by_test_id("signing-turn")).to_have_text(LT_SIGNER.full_name)
    expect(owner.get_by_test_id("signer-company-1")).to_have_text("On behalf of: Director, Purchasing, UAB Tiekimas")
    expect(owner.get_by_test_id("signer-status-1")).to_have_text("Waiting")
    expect(owner.get_by_test_id("signer-status-2")).to_have_text("Not their turn yet")
    expect(owner.get_by_test_id("copy-recipients")).to_contain_text(COPY_EMAIL)
    # Signer 2 cannot be re-sent an invitation they were never sent; signer 1 cannot move earlier.
    second_row = owner.locator(f"tr:has-text('{EE_SIGNER.email}')")
    expect(second_row.get_by_role("button", name="Resend invitation")).to_have_count(0)
    expect(owner.get_by_test_id("signer-earlier-1")).to_be_hidden()
    expect(owner.get_by_test_id("signer-earlier-2")).to_be_visible()
    owner.watch.check("in-order-document")

    # A second copy recipient, added on the document page, may read the document along (after eID).
    owner.get_by_text("Add a copy recipient").click()
    form = owner.locator("form[action$='/copies/add/']")
    form.get_by_label("Name", exact=True).fill("Rita Reader")
    form.get_by_label("E-mail").fill(READER_EMAIL)
    form.get_by_label("Language").select_option("en")
    form.get_by_label("May read it while it is being signed").check()
    form.get_by_label("Country").select_option(LV_SIGNER.country)
    form.get_by_label("Personal code").fill(LV_SIGNER.code)
    owner.watch.check("add-reader")
    form.get_by_role("button", name="Add copy recipient").click()
    expect(owner.get_by_role("status")).to_contain_text("The copy recipient was added.")
    expect(owner.get_by_test_id("copy-may-view")).to_have_count(1)
    owner.watch.check("reader-added")
    (shared,) = stack.wait_for_mail(READER_EMAIL)
    reader_link = COPY_LINK.search(shared.get_body(preferencelist=("plain",)).get_content()).group(0)
    reader = people.open("reader")
    reader.goto(reader_link)
    expect(reader.get_by_test_id("identify-for-copy")).to_be_visible()
    expect(reader.get_by_text(TITLE)).to_have_count(0)
    reader.watch.check("reader-identify")
    identify(reader, LV_SIGNER.identity)
    expect(reader.get_by_test_id("copy-document-title")).to_have_text(TITLE)
    expect(reader.get_by_test_id("copy-read-only")).to_contain_text("You sign nothing")
    preview = reader.get_by_test_id("preview-page").first
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("img => img.naturalWidth") > 0
    expect(reader.get_by_test_id("sign-button")).to_have_count(0)
    reader.watch.check("reader-reads")

    # Only the first signer is invited; the company is in their e-mail.
    (invitation,) = stack.wait_for_mail(LT_SIGNER.email)
    assert (
        "You sign on behalf of: Director, Purchasing, UAB Tiekimas"
        in invitation.get_body(preferencelist=("plain",)).get_content()
    )
    assert stack.mails_to(EE_SIGNER.email) == []

    # Signer 2's link (not sent yet, say forwarded by a colleague) says whose turn it is.
    early = people.open("signer-ee-early")
    early.goto(reverse("signing:signer-landing", kwargs={"token": second_signer.link_token}))
    expect(early.get_by_test_id("signer-waiting")).to_have_text("It is not your turn to sign yet")
    expect(early.get_by_test_id("signer-waiting-after")).to_have_text(
        f"You will be asked to sign after {LT_SIGNER.full_name}."
    )
    expect(early.get_by_text(TITLE)).to_have_count(0)
    expect(early.get_by_test_id("identity-start")).to_have_count(0)
    early.watch.check("not-your-turn")

    # Signer 2 with an account finds it in their inbox: after signer 1, and not to be chosen yet.
    account_of(EE_SIGNER)
    inbox = people.open("signer-ee-inbox")
    log_in(inbox, EE_SIGNER)
    inbox.get_by_test_id("nav-inbox").click()
    waiting_row = inbox.locator("[data-testid=inbox-row]", has_text=TITLE)
    expect(waiting_row.get_by_test_id("inbox-turn")).to_have_text(f"After {LT_SIGNER.full_name}")
    expect(waiting_row.get_by_test_id("inbox-choose")).to_have_count(0)
    inbox.watch.check("inbox-not-your-turn")

    # Signer 1 signs; Dokobit's page names the company.
    first = people.open("signer-lt")
    open_invitation(first, stack, LT_SIGNER, title=TITLE)
    expect(first.get_by_test_id("signer-on-behalf-of")).to_have_text("Director, Purchasing, UAB Tiekimas")
    first.get_by_test_id("sign-button").click()
    frame = first.frame_locator("#isign-gateway")
    expect(frame.get_by_test_id("dokobit-signer-company")).to_have_text(
        "On behalf of: Director, Purchasing, UAB Tiekimas"
    )
    first.get_by_test_id("sign-cancel").click()
    sign_at_dokobit(first)

    # The owner's open page follows: the turn moves to signer 2, who now gets the e-mail.
    expect(owner.get_by_test_id("signing-turn")).to_have_text(EE_SIGNER.full_name, timeout=30_000)
    expect(owner.get_by_test_id("signer-status-1")).to_have_text("Signed")
    expect(owner.get_by_test_id("signer-status-2")).to_have_text("Waiting")
    owner.watch.check("turn-moved")
    assert len(stack.wait_for_mail(EE_SIGNER.email)) == 1
    assert SigningEvent.objects.filter(document=document, kind="invitation_sent").count() == 2
    inbox.reload()
    expect(waiting_row.get_by_test_id("inbox-turn")).to_have_text("Your turn")
    expect(waiting_row.get_by_test_id("inbox-choose")).to_be_visible()
    inbox.watch.check("inbox-your-turn")

    second = people.open("signer-ee")
    open_invitation(second, stack, EE_SIGNER, title=TITLE)
    sign_at_dokobit(second)
    expect(owner.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    owner.watch.check("signed")
    signing = Signing.objects.get(document=document)
    assert signing.status == Signing.Status.COMPLETED
    signed_bytes = signing.signed_file.open("rb").read()

    # The copy recipient: a link by e-mail (no attachment), a page, the signed file.
    (copy_mail,) = stack.wait_for_mail(COPY_EMAIL)
    assert not any(part.get_filename() for part in copy_mail.walk())
    copy_link = COPY_LINK.search(copy_mail.get_body(preferencelist=("plain",)).get_content()).group(0)
    carol = people.open("copy-recipient")
    carol.goto(copy_link)
    expect(carol.get_by_test_id("copy-document-title")).to_have_text(TITLE)
    expect(carol.get_by_test_id("copy-intro")).to_contain_text("Everyone has signed it.")
    carol.watch.check("copy-page")
    with carol.expect_download() as download:
        carol.get_by_test_id("copy-download-signed").click()
    assert Path(download.value.path()).read_bytes() == signed_bytes
    recipient = CopyRecipient.objects.get(document=document, email=COPY_EMAIL)
    assert SigningEvent.objects.filter(kind="copy_sent", copy_recipient=recipient).count() == 1
    assert Signer.objects.filter(document=document, status="signed").count() == 2
