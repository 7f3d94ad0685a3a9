"""Journeys of a signing: the owner uploads for several signers, each signer identifies, reads,
cancels and signs, the owner watches it live and changes the signers, everyone downloads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from signing.models import Signer, Signing, SigningEvent
from tests.browser.helpers import identify
from tests.journeys.steps import (
    EE_SIGNER,
    LT_SIGNER,
    LV_SIGNER,
    log_in,
    make_owner,
    open_invitation,
    sign_at_dokobit,
    upload,
)

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

TITLE = "Lease contract"


def test_several_signers_sign_while_the_owner_watches_and_everyone_downloads(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    document = upload(owner, tmp_path, title=TITLE, signers=[LT_SIGNER, EE_SIGNER], purposes=["signature", "visa"])
    signing = Signing.objects.get(document=document)
    assert signing.status == Signing.Status.PENDING
    if stack.setup == "services":
        # The upload reached Dokobit through the Celery worker, not in the web process.
        assert "signing.tasks.signing_send_task" in stack.log("worker", tail=200_000)
        assert "signing.tasks.signing_send_task" not in stack.log("web", tail=200_000)
        assert "beat: Starting" in stack.log("beat")
    assert [(s.email, s.status, s.signing_purpose) for s in document.signers.order_by("position")] == [
        (LT_SIGNER.email, "pending", "signature"),
        (EE_SIGNER.email, "pending", "visa"),
    ]
    for person in (LT_SIGNER, EE_SIGNER):
        (invitation,) = stack.wait_for_mail(person.email)
        assert TITLE in invitation.get_body(preferencelist=("plain",)).get_content()

    # A stranger with a forwarded link sees nothing of the document.
    stranger = people.open("stranger")
    # The refusal is a 403 page, which Chromium also reports in the console.
    stranger.watch.allow_console_error(r"status of 403 \(Forbidden\) \(at [^)]*/sign/[^/]+/\)$")
    stranger.goto(stack.signer_link(LT_SIGNER.email))
    identify(stranger, "lv-smartid")
    expect(stranger.get_by_test_id("signer-unavailable")).to_be_visible()
    expect(stranger.get_by_text(TITLE)).to_have_count(0)
    stranger.watch.check("refused")

    # The first signer reads, cancels on Dokobit's page, then on the portal's, then signs.
    first = people.open("signer-lt")
    open_invitation(first, stack, LT_SIGNER, title=TITLE)
    expect(first.get_by_test_id("requester")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    expect(first.get_by_test_id("signing-purpose")).to_have_text("Signature")
    with first.expect_download() as original:
        first.get_by_test_id("signer-download").click()
    assert Path(original.value.path()).read_bytes() == document.file.open("rb").read()

    first.get_by_test_id("sign-button").click()
    frame = first.frame_locator("#isign-gateway")
    frame.get_by_test_id("dokobit-cancel-button").click()
    expect(frame.get_by_test_id("dokobit-signing-result")).to_contain_text("Nothing was signed")
    first.watch.check("cancelled-at-dokobit")
    assert Signer.objects.get(email=LT_SIGNER.email).status == Signer.Status.PENDING
    first.get_by_test_id("sign-cancel").click()
    expect(first.get_by_test_id("signer-document-title")).to_have_text(TITLE)
    first.watch.check("back-from-signing-page")
    assert SigningEvent.objects.filter(kind="signer_left", signer__email=LT_SIGNER.email).exists()
    assert Signer.objects.get(email=LT_SIGNER.email).status == Signer.Status.PENDING
    sign_at_dokobit(first)

    # The owner's open page follows without a reload.
    expect(owner.get_by_test_id("signer-status-1")).to_have_text("Signed", timeout=30_000)
    expect(owner.get_by_test_id("signer-status-2")).to_have_text("Waiting")
    expect(owner.get_by_test_id("signing-status")).to_have_text("Partially signed", timeout=30_000)
    owner.watch.check("partly-signed")

    second = people.open("signer-ee", locale="et-EE")
    open_invitation(second, stack, EE_SIGNER, title=TITLE)
    second.locator("#language-select").select_option("en")
    expect(second.locator("html")).to_have_attribute("lang", "en")
    second.watch.check("document-en")
    sign_at_dokobit(second)

    expect(owner.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    expect(owner.get_by_test_id("signer-status-2")).to_have_text("Signed")
    expect(owner.get_by_test_id("download-signed")).to_be_visible()
    # A finished signing offers no more changes.
    for action in ("Resend invitation", "Remove", "Cancel the signing"):
        expect(owner.get_by_role("button", name=action)).to_have_count(0)
    expect(owner.get_by_test_id("cancel-signing")).to_have_count(0)
    expect(owner.get_by_text("Add a signer")).to_have_count(0)
    owner.watch.check("signed-live")

    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED
    assert signing.completed_at is not None
    assert all(s.status == "signed" and s.signed_at for s in document.signers.all())
    signed_bytes = signing.signed_file.open("rb").read()
    assert signed_bytes[:5] == b"%PDF-"
    assert signed_bytes != document.file.open("rb").read()
    assert SigningEvent.objects.filter(document=document, kind="completed").count() == 1
    stack.wait_for_mail("owner@example.test")

    with owner.expect_download() as download:
        owner.get_by_test_id("download-signed").click()
    assert download.value.suggested_filename.endswith("-signed.pdf")
    assert Path(download.value.path()).read_bytes() == signed_bytes

    # Every signer gets the same signed file from their own link, in a browser that never saw the portal.
    for person in (LT_SIGNER, EE_SIGNER):
        later = people.open(f"later-{person.identity}")
        later.goto(stack.signer_link(person.email))
        later.watch.check("link-after-completion")
        identify(later, person.identity)
        expect(later.get_by_test_id("signer-document-title")).to_have_text(TITLE)
        later.watch.check("completed")
        with later.expect_download() as copy:
            later.get_by_test_id("signer-download-signed").click()
        assert Path(copy.value.path()).read_bytes() == signed_bytes


def test_owner_adds_removes_resends_and_cancels(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    document = upload(owner, tmp_path, title=TITLE, signers=[LT_SIGNER])
    stack.wait_for_mail(LT_SIGNER.email)

    # Add a signer: a new row, a new invitation.
    owner.get_by_text("Add a signer").click()
    form = owner.locator("form[action$='/signers/add/']")
    form.get_by_label("Name", exact=True).fill(EE_SIGNER.name)
    form.get_by_label("Surname").fill(EE_SIGNER.surname)
    form.get_by_label("Country").select_option(EE_SIGNER.country)
    form.get_by_label("Personal code").fill(EE_SIGNER.code)
    form.get_by_label("E-mail").fill(EE_SIGNER.email)
    owner.watch.check("add-form")
    form.get_by_role("button", name="Add and invite").click()
    expect(owner.get_by_role("status")).to_contain_text("The signer was added and invited.")
    expect(owner.get_by_test_id("signer-status-2")).to_have_text("Waiting")
    owner.watch.check("added")
    added = Signer.objects.get(document=document, email=EE_SIGNER.email)
    assert added.status == Signer.Status.PENDING
    assert SigningEvent.objects.filter(document=document, kind="signer_added", signer=added).exists()
    stack.wait_for_mail(EE_SIGNER.email)

    # Resend: the same link again.
    first_link = stack.signer_link(LT_SIGNER.email)
    owner.locator(f"tr:has-text('{LT_SIGNER.email}')").get_by_role("button", name="Resend invitation").click()
    expect(owner.get_by_role("status")).to_contain_text("The invitation was sent again.")
    owner.watch.check("resent")
    stack.wait_for_mail(LT_SIGNER.email, count=2)
    assert stack.signer_link(LT_SIGNER.email) == first_link
    assert Signer.objects.get(document=document, email=LT_SIGNER.email).invitation_count == 2

    # Remove, after confirming: the row goes, the link stops working.
    removed_link = stack.signer_link(EE_SIGNER.email)
    owner.get_by_test_id("signer-remove-2").click()
    owner.watch.check("remove-question")
    assert Signer.objects.get(pk=added.pk).status == Signer.Status.PENDING
    owner.get_by_test_id("signer-remove-confirm-2").click()
    expect(owner.get_by_role("status")).to_contain_text("The signer was removed.")
    expect(owner.get_by_text(EE_SIGNER.email)).to_have_count(0)
    owner.watch.check("removed")
    assert Signer.objects.get(pk=added.pk).status == Signer.Status.REMOVED
    gone = people.open("removed-signer")
    gone.watch.allow_console_error(r"status of 403 \(Forbidden\) \(at [^)]*/sign/[^/]+/\)$")
    gone.goto(removed_link)
    expect(gone.get_by_test_id("signer-unavailable")).to_be_visible()
    gone.watch.check("refused")

    # Cancel, after confirming.
    owner.get_by_test_id("cancel-signing").click()
    owner.watch.check("cancel-question")
    assert Signing.objects.get(document=document).status == Signing.Status.PENDING
    owner.get_by_test_id("cancel-signing-confirm").click()
    expect(owner.get_by_role("status")).to_contain_text("The signing was cancelled.")
    expect(owner.get_by_test_id("signing-status")).to_have_text("Cancelled")
    expect(owner.get_by_test_id("cancel-signing")).to_have_count(0)
    owner.watch.check("cancelled")
    assert Signing.objects.get(document=document).status == Signing.Status.CANCELLED
    assert SigningEvent.objects.filter(document=document, kind="cancelled").count() == 1

    # The remaining signer's link no longer leads to signing: refused at once, before any eID.
    late = people.open("late-signer")
    late.watch.allow_console_error(r"status of 403 \(Forbidden\) \(at [^)]*/sign/[^/]+/\)$")
    late.goto(first_link)
    expect(late.get_by_test_id("signer-unavailable")).to_be_visible()
    expect(late.get_by_test_id("identity-start")).to_have_count(0)
    expect(late.get_by_test_id("sign-button")).to_have_count(0)
    late.watch.check("after-cancel")


def test_a_signer_cancels_on_the_portal_page_without_javascript_too(stack, people, tmp_path):
    """The portal's own Cancel on the signing page is a plain form; it must work in any browser."""
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    document = upload(owner, tmp_path, title=TITLE, signers=[LV_SIGNER])
    signer = people.open("signer-lv")
    open_invitation(signer, stack, LV_SIGNER, title=TITLE)
    signer.get_by_test_id("sign-button").click()
    expect(signer).to_have_url(re.compile(r"/sign/$"))
    signer.watch.check("signing-page")
    signer.get_by_test_id("sign-cancel").click()
    expect(signer.get_by_test_id("signer-document-title")).to_have_text(TITLE)
    signer.watch.check("back")
    assert SigningEvent.objects.filter(document=document, kind="signer_left").count() == 1
    assert Signer.objects.get(document=document).status == Signer.Status.PENDING
