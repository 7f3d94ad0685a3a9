"""Journeys of staff: log in with eID or a password, and every admin action on documents and accounts,
including renewing Dokobit's copy while a signing is half done and finishing it afterwards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from identity.models import User
from signing.models import Signer, Signing, SigningEvent
from tests.browser.helpers import identify
from tests.journeys.steps import EE_SIGNER, LT_SIGNER, log_in, make_owner, open_invitation, sign_at_dokobit, upload

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

TITLE = "Supply agreement"
# The EE Smart-ID test person is the staff member; the LT one owns the documents.
STAFF_IDENTITY = "ee-smartid"


def make_staff() -> User:
    return User.objects.create_user(
        country_code="EE",
        personal_code="30303039914",
        first_name="QUALIFIED OK1",
        last_name="TESTNUMBER",
        email="staff@example.test",
        is_staff=True,
        is_superuser=True,
    )


def run_action(page: Page, *, select: list[str], action: str) -> None:
    """On an admin change list: tick the rows whose text contains each of ``select``, run ``action``."""
    for text in select:
        page.locator("#result_list tbody tr", has_text=text).locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def admin_messages(page: Page):
    return page.locator("ul.messagelist")


def test_staff_eid_login_every_document_action_and_reupload_then_finish(stack, people, tmp_path):
    make_owner()
    staff_user = make_staff()
    owner = people.open("owner")
    log_in(owner)
    document = upload(owner, tmp_path, title=TITLE, signers=[LT_SIGNER, EE_SIGNER])
    first_signing = Signing.objects.get(document=document)
    stack.wait_for_mail(EE_SIGNER.email)

    # The first signer signs before anything else happens.
    early = people.open("signer-lt")
    open_invitation(early, stack, LT_SIGNER, title=TITLE)
    sign_at_dokobit(early)
    expect(owner.get_by_test_id("signing-status")).to_have_text("Partially signed", timeout=30_000)

    staff = people.open("staff")
    documents = reverse("admin:signing_document_changelist")
    staff.goto(documents)
    expect(staff).to_have_url(re.compile(re.escape(reverse("admin:login")) + r"\?next="))
    staff.watch.check("admin-login")
    identify(staff, STAFF_IDENTITY)
    expect(staff).to_have_url(re.compile(re.escape(documents) + "$"))
    expect(staff.locator("#user-tools")).to_contain_text("QUALIFIED OK1")
    staff.watch.check("documents")

    run_action(staff, select=[TITLE], action="Sync status with Dokobit now")
    expect(admin_messages(staff)).to_contain_text("Done for 1 document(s).")
    staff.watch.check("synced")
    assert SigningEvent.objects.filter(document=document, kind="synced", actor=staff_user).exists()

    run_action(staff, select=[TITLE], action="Resend invitations to pending signers")
    expect(admin_messages(staff)).to_contain_text("Done for 1 document(s).")
    staff.watch.check("resent")
    stack.wait_for_mail(EE_SIGNER.email, count=2)
    assert len(stack.mails_to(LT_SIGNER.email)) == 1  # who signed is not asked again
    assert Signer.objects.get(document=document, email=EE_SIGNER.email).invitation_count == 2

    run_action(staff, select=[TITLE], action="Re-upload to Dokobit now (renew the copy)")
    expect(admin_messages(staff)).to_contain_text("Dokobit copy renewed for 1 document(s).")
    staff.watch.check("reuploaded")
    first_signing.refresh_from_db()
    renewed = Signing.objects.get(previous=first_signing)
    assert first_signing.status == Signing.Status.REPLACED
    assert renewed.is_open
    assert Signer.objects.get(document=document, email=LT_SIGNER.email).status == Signer.Status.SIGNED
    owner.reload()
    expect(owner.get_by_test_id("signing-status")).to_have_text("Partially signed")
    owner.watch.check("renewed")
    assert SigningEvent.objects.filter(document=document, kind="reuploaded", actor=staff_user).exists()

    run_action(staff, select=[TITLE], action="Process failed Dokobit notifications again")
    expect(admin_messages(staff)).to_contain_text("Done for 1 document(s).")
    staff.watch.check("reprocessed")

    # The second signer finishes on the renewed copy, from the link they had all along.
    late = people.open("signer-ee")
    open_invitation(late, stack, EE_SIGNER, title=TITLE)
    sign_at_dokobit(late)
    expect(owner.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    owner.watch.check("signed")
    renewed.refresh_from_db()
    assert renewed.status == Signing.Status.COMPLETED
    assert all(s.status == "signed" for s in document.signers.all())
    with owner.expect_download() as download:
        owner.get_by_test_id("download-signed").click()
    signed = Path(download.value.path()).read_bytes()
    assert signed == renewed.signed_file.open("rb").read()
    # Both signatures are in the one file: the first from the old copy, the second from the renewed one.
    assert signed.count(b"/Type /Sig") + signed.count(b"/Type/Sig") >= 2

    # Cancel, on a second document.
    owner.goto("/dashboard/")
    owner.watch.check("dashboard-again")
    other = upload(owner, tmp_path, title="Second agreement", signers=[EE_SIGNER])
    staff.goto(documents)
    staff.watch.check("documents-two")
    run_action(staff, select=["Second agreement"], action="Cancel the signing")
    expect(admin_messages(staff)).to_contain_text("Done for 1 document(s).")
    staff.watch.check("cancelled")
    assert Signing.objects.get(document=other).status == Signing.Status.CANCELLED
    assert SigningEvent.objects.filter(document=other, kind="cancelled", actor=staff_user).exists()
    owner.reload()
    expect(owner.get_by_test_id("signing-status")).to_have_text("Cancelled")
    owner.watch.check("cancelled-by-staff")


def test_staff_password_login_and_every_account_action(stack, people):
    owner_user = make_owner()
    # The staff account `make run` creates for local use.
    assert "username: admin" in stack.manage("create_demo_admin")
    owner = people.open("owner")
    log_in(owner)

    staff = people.open("staff")
    staff.goto(reverse("admin:login"))
    staff.watch.check("admin-login")
    staff.get_by_label("Username").fill("admin")
    staff.get_by_label("Password").fill("portal-demo-admin")
    staff.locator("#login-form").get_by_role("button", name="Log in").click()
    expect(staff).to_have_url(re.compile(re.escape(reverse("admin:index")) + "$"))
    staff.watch.check("admin-index")

    users = reverse("admin:identity_user_changelist")
    staff.goto(users)
    staff.watch.check("users")

    run_action(staff, select=["QUALIFIED OK1"], action="Log the selected accounts out everywhere")
    expect(admin_messages(staff)).to_contain_text("All sessions of 1 account(s) were ended.")
    staff.watch.check("sessions-ended")
    owner.reload()
    expect(owner.get_by_test_id("user-name")).to_have_count(0)
    owner.watch.check("logged-out-by-staff")

    log_in(owner)
    run_action(staff, select=["QUALIFIED OK1"], action="Deactivate the selected accounts")
    expect(admin_messages(staff)).to_contain_text("1 account(s) deactivated.")
    staff.watch.check("deactivated")
    owner_user.refresh_from_db()
    assert not owner_user.is_active
    owner.reload()
    expect(owner.get_by_test_id("user-name")).to_have_count(0)
    owner.watch.check("deactivated-page")

    run_action(staff, select=["QUALIFIED OK1"], action="Activate the selected accounts")
    expect(admin_messages(staff)).to_contain_text("1 account(s) activated.")
    staff.watch.check("activated")
    owner_user.refresh_from_db()
    assert owner_user.is_active
    log_in(people.open("owner-again"))
