"""Journeys of the organisation's e-seal (issue 17): its admin turns it on in the settings, a document
signed by everyone is sealed, one sent with no signers is sealed instead, and a member can neither
see nor change the setting."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from identity.models import User
from organisations.models import Membership, Organisation, Role, SealMode
from organisations.services import organisation_create
from signing.models import Document, Signing, SigningEvent
from signing.trust_models import SealStatus
from tests.browser.helpers import pdf_file
from tests.journeys.steps import LT_SIGNER, LV_SIGNER, log_in, make_owner, open_invitation, sign_at_dokobit, upload

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

ORGANISATION = "UAB Šiaurės Žvaigždė"


def admin_in_organisation(people) -> tuple[Page, Organisation]:
    """The owner, admin of a new organisation, logged in and working in it."""
    organisation = organisation_create(
        creator=make_owner(), name=ORGANISATION, registration_code="300000001", country_code="LT"
    )
    admin = people.open("admin")
    log_in(admin)
    admin.get_by_test_id("space-select").select_option(label=ORGANISATION)
    expect(admin.get_by_test_id("current-space")).to_contain_text(f"You are working in {ORGANISATION}")
    return admin, organisation


def turn_seal_on(admin: Page, mode_label: str, *, visible: bool) -> None:
    admin.get_by_test_id("nav-settings").click()
    seal = admin.get_by_test_id("seal-settings")
    expect(seal.get_by_test_id("seal-containers-note")).to_contain_text("Containers (ASiC-E, BDOC, EDOC, ADOC)")
    seal.get_by_label(mode_label).check()
    seal.get_by_label("Seal name").fill(ORGANISATION)
    seal.get_by_label("Seal purpose").select_option("confirmation")
    if visible:
        seal.get_by_label("Show the seal on a page").check()
        seal.get_by_label("Place on the page").select_option("bottom_right")
        seal.get_by_label("Text in the seal's box").fill(f"Issued by {ORGANISATION}")
    admin.watch.check("seal-settings")
    admin.get_by_test_id("settings-save").click()
    expect(admin.get_by_role("status")).to_contain_text("The settings were saved.")
    expect(admin.get_by_test_id("seal-settings").get_by_label(mode_label)).to_be_checked()


def wait_until_sealed(page: Page) -> None:
    """The seal is added by a task after completion: the open page shows it when it is there,
    without a reload (its status keeps being asked for while the seal is under way)."""
    expect(page.get_by_test_id("seal-status")).to_have_text("Sealed", timeout=60_000)


def downloaded(page: Page) -> bytes:
    with page.expect_download() as download:
        page.get_by_test_id("download-signed").click()
    return Path(download.value.path()).read_bytes()


def test_an_admin_turns_the_seal_on_and_a_document_signed_by_everyone_is_sealed(stack, people, tmp_path):
    admin, organisation = admin_in_organisation(people)
    turn_seal_on(admin, "Sealed after all signers have signed", visible=True)
    organisation.refresh_from_db()
    assert (organisation.seal_mode, organisation.seal_position) == (SealMode.AFTER_SIGNERS, "bottom_right")

    admin.goto("/dashboard/")
    document = upload(admin, tmp_path, title="Certificate of origin", signers=[LT_SIGNER])
    assert document.organisation_id == organisation.pk
    signer = people.open("signer")
    open_invitation(signer, stack, LT_SIGNER, title="Certificate of origin")
    sign_at_dokobit(signer)

    expect(admin.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    wait_until_sealed(admin)
    expect(admin.get_by_test_id("timeline")).to_contain_text("E-seal added")
    admin.watch.check("sealed-document")
    signing = Signing.objects.get(document=document)
    assert signing.seal_status == SealStatus.SEALED
    event = SigningEvent.objects.get(signing=signing, kind=SigningEvent.Kind.SEALED)
    assert event.actor is None
    assert event.payload == {"name": ORGANISATION, "purpose": "confirmation", "visible": True}
    data = downloaded(admin)
    assert hashlib.sha256(data).hexdigest() == signing.signed_sha256
    assert data.count(b"/Type /Sig") + data.count(b"/Type/Sig") >= 2  # the signer's signature and the seal
    if stack.setup == "services":
        assert "signing.tasks.signing_organisation_seal_task" in stack.log("worker", tail=400_000)


def test_instead_of_signers_a_document_sent_with_no_signers_is_sealed_and_downloadable(stack, people, tmp_path):
    admin, _organisation = admin_in_organisation(people)
    turn_seal_on(admin, "Sealed instead of signers (documents sent with no signers)", visible=False)

    admin.goto("/dashboard/")
    admin.get_by_test_id("dashboard-upload").click()
    expect(admin.get_by_test_id("seal-instead-note")).to_contain_text("send it with no signers")
    expect(admin.locator("[data-signer-row]")).to_have_count(0)
    admin.get_by_label("Document").set_input_files(str(pdf_file(tmp_path, "statement.pdf")))
    admin.get_by_label("Title").fill("Account statement 2026")
    admin.watch.check("upload-no-signers")
    admin.get_by_test_id("upload-submit").click()
    expect(admin).to_have_url(re.compile(r"/documents/[0-9a-f-]+/$"), timeout=60_000)
    expect(admin.locator(".messages")).to_contain_text("The document was uploaded and is being sealed.")
    expect(admin.get_by_test_id("signing-status")).to_have_text("Signed", timeout=60_000)
    wait_until_sealed(admin)
    expect(admin.get_by_test_id("timeline")).to_contain_text("E-seal added")
    admin.watch.check("sealed-instead")

    document = Document.objects.get(title="Account statement 2026")
    signing = Signing.objects.get(document=document)
    assert (signing.status, signing.seal_status) == (Signing.Status.COMPLETED, SealStatus.SEALED)
    assert not document.signers.exists()
    data = downloaded(admin)
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == signing.signed_sha256
    # Validated like any completed document: the report names the seal.
    for _ in range(30):
        admin.reload()
        verdict = admin.get_by_test_id("document-report-verdict")
        if verdict.count() and "All signatures are valid" in verdict.inner_text():
            break
        admin.wait_for_timeout(1000)
    admin.get_by_test_id("open-report").click()
    expect(admin.get_by_test_id("report-signer")).to_have_text(ORGANISATION)
    admin.watch.check("sealed-instead-report")


def test_a_member_can_neither_see_nor_change_the_seal_settings(stack, people):
    organisation = organisation_create(
        creator=make_owner(), name=ORGANISATION, registration_code="300000001", country_code="LT"
    )
    member_user = User.objects.create_user(
        country_code=LV_SIGNER.country,
        personal_code=LV_SIGNER.code,
        first_name=LV_SIGNER.name,
        last_name=LV_SIGNER.surname,
        email=LV_SIGNER.email,
        language="en",
    )
    Membership.objects.create(organisation=organisation, user=member_user, role=Role.MEMBER)

    member = people.open("member")
    log_in(member, LV_SIGNER)
    member.get_by_test_id("space-select").select_option(label=ORGANISATION)
    expect(member.get_by_test_id("current-space")).to_contain_text("as Member")
    expect(member.get_by_test_id("nav-settings")).to_have_count(0)
    member.watch.check("member-dashboard")

    url = f"/organisations/{organisation.uuid}/settings/"
    member.goto(url)
    expect(member.get_by_role("main")).to_contain_text("Only the organisation's admins can do this.")
    expect(member.get_by_test_id("seal-settings")).to_have_count(0)
    member.watch.allow_console_error(r"403")
    member.watch.check("member-settings-refused")

    # A forged form post from the member's own logged-in browser, with a valid CSRF token.
    token = next(c["value"] for c in member.context.cookies() if c["name"] == "csrftoken")
    answer = member.request.post(
        f"{stack.url}{url}",
        form={"csrfmiddlewaretoken": token, "name": organisation.name, "seal_mode": "instead", "seal_name": "Forged"},
        headers={"Referer": f"{stack.url}{url}", "X-CSRFToken": token},
    )
    assert answer.status == 403
    assert "Only the organisation&#x27;s admins can do this." in answer.text()
    organisation.refresh_from_db()
    assert (organisation.seal_mode, organisation.seal_name) == (SealMode.OFF, "")
