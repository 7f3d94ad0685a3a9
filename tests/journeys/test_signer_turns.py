"""Journeys of the signer's and the company's rough edges (issues 15, 16).

- A signing in order: the next signer's inbox lists the document as waiting for the first signer,
  with no count in the navigation and no way to decline; the decline address itself says it is not
  their turn. The owner's open page follows the first signature: whose turn, Resend, Earlier and
  Later move without a reload. The next signer then sees the count, declines from the inbox and
  lands back in the inbox with a confirmation.
- The header of an organisation's admin with documents waiting: one row at 1280 px in English,
  Finnish and Russian; on a phone it folds behind "Menu".
- A bulk send in an organisation where members see only their own and shared documents: a viewer
  reads the counts, not the people.
- The only member of an organisation that still holds something is told to hand it over before
  deleting the account; once it holds nothing, the account and the organisation go.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bulk.models import BulkRow, BulkSend
from identity.models import User
from organisations.models import DocumentVisibility, Membership, Organisation, Role
from organisations.services import organisation_create
from signing.models import Signer
from tests.journeys.steps import (
    EE_SIGNER,
    LT_SIGNER,
    LV_SIGNER,
    OWNER,
    account_of,
    log_in,
    make_owner,
    open_invitation,
    sign_at_dokobit,
    upload,
)

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

TITLE = "Framework agreement"


def test_turns_in_the_inbox_and_on_the_owners_open_page(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    upload(owner, tmp_path, title=TITLE, signers=[LT_SIGNER, EE_SIGNER, LV_SIGNER], order="sequential")
    # Only the first signer can be re-sent the invitation; the first can only move later.
    expect(owner.get_by_test_id("signing-turn")).to_have_text(LT_SIGNER.full_name)
    expect(owner.get_by_test_id("signer-resend-1")).to_be_visible()
    expect(owner.get_by_test_id("signer-resend-2")).to_be_hidden()
    expect(owner.get_by_test_id("signer-earlier-1")).to_be_hidden()
    expect(owner.get_by_test_id("signer-later-1")).to_be_visible()
    expect(owner.get_by_test_id("signer-earlier-2")).to_be_visible()
    owner.watch.check("in-order")

    # The second signer's inbox: listed as after the first, but nothing to do yet.
    account_of(EE_SIGNER)
    second = people.open("signer-ee")
    log_in(second, EE_SIGNER)
    expect(second.get_by_test_id("nav-inbox-count")).to_have_count(0)
    second.get_by_test_id("nav-inbox").click()
    row = second.locator("[data-testid=inbox-row]", has_text=TITLE)
    expect(row.get_by_test_id("inbox-turn")).to_have_text(f"After {LT_SIGNER.full_name}")
    expect(row.get_by_test_id("inbox-decline")).to_have_count(0)
    expect(row.get_by_test_id("inbox-choose")).to_have_count(0)
    second.watch.check("inbox-not-yet")
    # The decline address, typed or kept from earlier, says it is not their turn (and shows no document).
    signer = Signer.objects.get(document__title=TITLE, country_code=EE_SIGNER.country)
    second.watch.allow_console_error(r"status of 403 \(Forbidden\) \(at [^)]*/decline/\?from=inbox\)$")
    second.goto(f"/signer/{signer.uuid}/decline/?from=inbox")
    expect(second.get_by_test_id("signer-waiting")).to_have_text("It is not your turn to sign yet")
    expect(second.get_by_test_id("signer-waiting-decline")).to_have_text(
        "You can decline this document once it is your turn to sign."
    )
    expect(second.get_by_label("Why do you decline?")).to_have_count(0)
    second.watch.check("decline-not-yet")
    second.get_by_test_id("back-to-inbox").click()
    expect(second).to_have_url(re.compile(r"/inbox/$"))

    # The first signer signs; the owner's open page follows without a reload.
    first = people.open("signer-lt")
    open_invitation(first, stack, LT_SIGNER, title=TITLE)
    sign_at_dokobit(first)
    expect(owner.get_by_test_id("signing-turn")).to_have_text(EE_SIGNER.full_name, timeout=30_000)
    expect(owner.get_by_test_id("signer-status-1")).to_have_text("Signed")
    expect(owner.get_by_test_id("signer-resend-2")).to_be_visible()
    expect(owner.get_by_test_id("signer-earlier-2")).to_be_hidden()
    expect(owner.get_by_test_id("signer-later-2")).to_be_visible()
    expect(owner.get_by_test_id("signer-resend-3")).to_be_hidden()
    expect(owner.get_by_test_id("signer-earlier-3")).to_be_visible()
    expect(owner.get_by_test_id("signer-later-3")).to_be_hidden()
    owner.watch.check("turn-moved-live")

    # Now the second signer has one document to act on, and declines it from the inbox.
    second.reload()
    expect(second.get_by_test_id("nav-inbox-count")).to_have_text("1")
    row.get_by_test_id("inbox-decline").click()
    expect(second.get_by_test_id("decline-title")).to_be_visible()
    second.get_by_label("Why do you decline?").fill("The annex is missing")
    second.watch.check("decline-form")
    second.get_by_test_id("decline-submit").click()
    expect(second).to_have_url(re.compile(r"/inbox/$"))
    expect(second.get_by_role("status")).to_have_text(
        f"You declined to sign “{TITLE}”. {OWNER.full_name} has been told."
    )
    expect(second.get_by_test_id("inbox-empty")).to_be_visible()
    expect(second.get_by_test_id("nav-inbox-count")).to_have_count(0)
    second.watch.check("declined-back-in-inbox")
    expect(owner.get_by_test_id("signer-status-2")).to_have_text("Declined", timeout=30_000)


def header_height(page) -> float:
    return page.locator(".site-header").bounding_box()["height"]


def test_the_header_of_a_busy_admin_fits_one_row_and_folds_on_a_phone(stack, people, tmp_path):
    owner_account = make_owner()
    organisation_create(
        creator=owner_account, name="Põhjala Logistika ja Kaubandus OÜ", registration_code="12345678", country_code="EE"
    )
    page = people.open("admin")
    log_in(page)
    # A document waits for their own signature: the inbox count is in the header.
    upload(page, tmp_path, title="Own lease", signers=[OWNER])
    page.get_by_test_id("space-select").select_option(label="Põhjala Logistika ja Kaubandus OÜ")
    expect(page.get_by_test_id("nav-settings")).to_be_visible()
    expect(page.get_by_test_id("nav-inbox-count")).to_have_text("1")
    for language, inbox in (("en", "Inbox"), ("fi", "Saapuneet"), ("ru", "Входящие")):
        page.locator("#language-select").select_option(language)
        expect(page.get_by_test_id("nav-inbox")).to_contain_text(inbox)
        page.set_viewport_size({"width": 1280, "height": 800})
        expect(page.get_by_test_id("menu-toggle")).to_be_hidden()
        # One row: the header is as tall as its tallest control (a select), not two rows of them.
        assert header_height(page) < 70, language
        for testid in ("space-select", "nav-inbox", "nav-members", "nav-settings", "nav-file-check", "profile-link"):
            expect(page.get_by_test_id(testid)).to_be_visible()
        page.screenshot(path=str(page.watch.artifacts / f"header-{language}-1280.png"))
        page.set_viewport_size({"width": 375, "height": 740})
        toggle = page.get_by_test_id("menu-toggle")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_test_id("nav-inbox")).to_be_hidden()
        assert header_height(page) < 80, language
        page.screenshot(path=str(page.watch.artifacts / f"header-{language}-375.png"))
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_test_id("nav-inbox")).to_be_visible()
        expect(page.get_by_test_id("profile-link")).to_be_visible()
        page.screenshot(path=str(page.watch.artifacts / f"header-{language}-375-open.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        toggle.click()
        page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("#language-select").select_option("en")
    expect(page.get_by_test_id("nav-inbox")).to_contain_text("Inbox")
    page.watch.check("header")


def bulk_with_rows(owner: User, organisation: Organisation) -> BulkSend:
    """A sent bulk send of ``organisation`` whose two rows failed before a copy was made (no document)."""
    bulk = BulkSend.objects.create(
        owner=owner,
        organisation=organisation,
        title_pattern="Employment terms {name}",
        file="bulk/terms.pdf",
        status=BulkSend.Status.SENT,
    )
    for line, (name, email) in enumerate((("Rasa", "rasa@example.test"), ("Tomas", "tomas@example.test")), start=2):
        row = BulkRow(
            bulk=bulk,
            line=line,
            first_name=name,
            last_name="Darbuotoja",
            email=email,
            status=BulkRow.Status.FAILED,
            error="Dokobit refused the e-mail address",
        )
        row.set_personal_code("LT", f"3900101000{line}")
        row.save()
    return bulk


def test_a_viewer_reads_a_bulk_sends_counts_not_its_people(stack, people):
    sender = make_owner()
    organisation = organisation_create(
        creator=sender, name="Baltic Staffing UAB", registration_code="304050607", country_code="LT"
    )
    Organisation.objects.filter(pk=organisation.pk).update(document_visibility=DocumentVisibility.OWN_AND_SHARED)
    Membership.objects.create(organisation=organisation, user=account_of(LV_SIGNER), role=Role.VIEWER)
    bulk = bulk_with_rows(sender, organisation)

    viewer = people.open("viewer")
    log_in(viewer, LV_SIGNER)
    viewer.get_by_test_id("space-select").select_option(label="Baltic Staffing UAB")
    expect(viewer.get_by_test_id("nav-members")).to_be_visible()
    viewer.goto(f"/bulk/{bulk.uuid}/summary/")
    expect(viewer.get_by_test_id("bulk-summary-counts")).to_contain_text("2 people")
    expect(viewer.get_by_test_id("bulk-rows-hidden")).to_have_text(
        "2 people are not listed: in this organisation, members see only their own documents and those shared "
        "with them."
    )
    expect(viewer.get_by_text("rasa@example.test")).to_have_count(0)
    expect(viewer.get_by_test_id("bulk-row")).to_have_count(0)
    viewer.watch.check("bulk-summary-viewer")

    admin = people.open("sender")
    log_in(admin)
    admin.goto(f"/bulk/{bulk.uuid}/summary/")
    expect(admin.get_by_test_id("bulk-row")).to_have_count(2)
    expect(admin.get_by_text("rasa@example.test")).to_be_visible()
    expect(admin.get_by_test_id("bulk-rows-hidden")).to_have_count(0)
    admin.watch.check("bulk-summary-sender")


def test_the_only_member_hands_over_before_deleting_the_account(stack, people):
    person = account_of(EE_SIGNER)
    organisation = organisation_create(creator=person, name="Solo Consult OÜ", registration_code="1", country_code="EE")
    bulk = bulk_with_rows(person, organisation)

    page = people.open("solo")
    log_in(page, EE_SIGNER)
    page.get_by_test_id("profile-link").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    page.watch.check("profile")
    page.get_by_test_id("profile-delete").click()
    expect(page.get_by_test_id("profile-delete-organisations")).to_contain_text(
        "If you are the only member of an organisation"
    )
    page.watch.check("delete-confirm")
    page.get_by_test_id("profile-delete-confirm").click()
    expect(page).to_have_url(re.compile(r"/profile/delete/$"))
    expect(page.get_by_role("status")).to_have_text(
        "You are the only member of “Solo Consult OÜ”, which still holds documents, templates or bulk sends. "
        "Hand it over first: invite a colleague, make them an admin, then delete your account."
    )
    page.watch.check("delete-refused")
    assert User.objects.filter(pk=person.pk).exists()
    assert Organisation.objects.filter(pk=organisation.pk).exists()

    # Once the organisation holds nothing, the account goes and takes it along.
    bulk.delete()
    page.get_by_test_id("profile-delete-confirm").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    page.watch.check("deleted")
    assert not User.objects.filter(pk=person.pk).exists()
    assert not Organisation.objects.filter(pk=organisation.pk).exists()
