"""Journeys of the signer's inbox (issue 16): a person with three documents waiting from two owners
logs in and finds exactly those three, signs two in one Dokobit batch, declines the third with a
reason from its inbox row, the owners see both outcomes live, another person sees none of them, and
every signer of the completed signing downloads the final file from their inbox (one of them after
taking the one-click account offered after signing by link).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from identity.models import User
from signing.models import Signer, Signing
from tests.journeys.steps import (
    EE_SIGNER,
    LT_SIGNER,
    LV_SIGNER,
    Person,
    account_of,
    log_in,
    make_owner,
    open_invitation,
    sign_at_dokobit,
    upload,
)

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

SECOND_OWNER = Person(
    "fi-fictional", "FI", "131052-308T", "FIKTIIVINEN", "TESTIHENKILÖ (FICTIONAL)", "fi.owner@example.test"
)


def download_bytes(page, test_id: str, *, row: str) -> bytes:
    with page.expect_download() as download:
        page.locator("[data-testid=inbox-row]", has_text=row).get_by_test_id(test_id).click()
    return Path(download.value.path()).read_bytes()


def test_three_waiting_two_signed_in_one_batch_owners_see_it_live_and_every_signer_downloads(stack, people, tmp_path):
    make_owner()
    account_of(SECOND_OWNER)
    account_of(LT_SIGNER)
    account_of(LV_SIGNER)

    first_owner = people.open("first-owner")
    log_in(first_owner)
    lease = upload(first_owner, tmp_path, title="Lease", signers=[LT_SIGNER])
    first_owner.goto("/dashboard/")
    annex = upload(first_owner, tmp_path, title="Annex", signers=[LT_SIGNER])
    second_owner = people.open("second-owner")
    log_in(second_owner, SECOND_OWNER)
    offer = upload(second_owner, tmp_path, title="Offer", signers=[LT_SIGNER, EE_SIGNER])
    first_owner.goto(f"/documents/{lease.uuid}/")
    expect(first_owner.get_by_test_id("signing-status")).to_have_text("Waiting for signatures")

    # The person logs in with eID and finds exactly their three documents, from both owners.
    person = people.open("person")
    log_in(person, LT_SIGNER)
    expect(person.get_by_test_id("nav-inbox-count")).to_have_text("3")
    person.get_by_test_id("nav-inbox").click()
    expect(person).to_have_url(re.compile(r"/inbox/$"))
    expect(person.get_by_test_id("inbox-title")).to_have_text(["Offer", "Annex", "Lease"])
    expect(person.get_by_test_id("inbox-sender")).to_have_text(
        [SECOND_OWNER.full_name, "QUALIFIED OK1 TESTNUMBER", "QUALIFIED OK1 TESTNUMBER"]
    )
    person.watch.check("inbox")

    # Two of them in one batch: Dokobit's sequence page shows one after the other.
    person.get_by_label("Choose “Lease”").check()
    person.get_by_label("Choose “Offer”").check()
    person.get_by_test_id("inbox-sign-selected").click()
    expect(person).to_have_url(re.compile(r"/inbox/sign/dokobit/$"))
    frame = person.frame_locator("#isign-gateway")
    expect(frame.get_by_test_id("dokobit-sequence-position")).to_have_text("Document 1 of 2")
    expect(frame.get_by_test_id("dokobit-signing-name")).to_have_text("Offer")
    person.watch.check("batch-first")
    frame.get_by_test_id("dokobit-sign-button").click()
    expect(frame.get_by_test_id("dokobit-sequence-position")).to_have_text("Document 2 of 2")
    expect(frame.get_by_test_id("dokobit-signing-name")).to_have_text("Lease")
    frame.get_by_test_id("dokobit-sign-button").click()

    # Back in the inbox by itself: the outcome per document, the third still waiting.
    expect(person).to_have_url(re.compile(r"/inbox/$"), timeout=30_000)
    expect(person.get_by_test_id("batch-outcome-row")).to_have_text(["Lease: Signed", "Offer: Signed"])
    expect(person.get_by_test_id("inbox-title")).to_have_text(["Annex"])
    expect(person.get_by_test_id("nav-inbox-count")).to_have_text("1")
    person.watch.check("after-batch")
    lt_signers = Signer.objects.filter(email=LT_SIGNER.email)
    assert {s.document.title: s.status for s in lt_signers} == {
        "Lease": "signed",
        "Offer": "signed",
        "Annex": "pending",
    }

    # The owners' open pages follow without a reload.
    expect(first_owner.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    expect(first_owner.get_by_test_id("download-signed")).to_be_visible()
    first_owner.watch.check("lease-signed-live")
    expect(second_owner.get_by_test_id("signer-status-1")).to_have_text("Signed", timeout=30_000)
    expect(second_owner.get_by_test_id("signer-status-2")).to_have_text("Waiting")
    expect(second_owner.get_by_test_id("signing-status")).to_have_text("Partially signed")
    second_owner.watch.check("offer-partly-signed-live")

    # The third one: declined with a reason from its inbox row; its owner sees it live.
    first_owner.goto(f"/documents/{annex.uuid}/")
    expect(first_owner.get_by_test_id("signer-status-1")).to_have_text("Waiting")
    person.locator("[data-testid=inbox-row]", has_text="Annex").get_by_test_id("inbox-decline").click()
    expect(person.get_by_test_id("decline-title")).to_have_text("Decline to sign")
    person.watch.check("decline-form")
    person.get_by_label("Why do you decline?").fill("The annex names the wrong flat.")
    person.get_by_test_id("decline-submit").click()
    # Back in the inbox, which confirms it; the owner's open page follows.
    expect(person).to_have_url(re.compile(r"/inbox/$"))
    expect(person.get_by_role("status")).to_contain_text("You declined to sign “Annex”.")
    person.watch.check("declined")
    expect(first_owner.get_by_test_id("signer-status-1")).to_have_text("Declined", timeout=30_000)
    expect(first_owner.get_by_test_id("signer-reason-1")).to_have_text("Reason: The annex names the wrong flat.")
    first_owner.watch.check("annex-declined-live")
    expect(person.get_by_test_id("inbox-empty")).to_be_visible()
    expect(person.get_by_test_id("nav-inbox-count")).to_have_count(0)

    # The completed Lease: its signed file from the inbox's history, the owner's bytes.
    person.get_by_test_id("inbox-tab-history").click()
    expect(person.get_by_test_id("inbox-title")).to_have_text(["Offer", "Annex", "Lease"])
    declined_row = person.locator("[data-testid=inbox-row]", has_text="Annex")
    expect(declined_row.get_by_test_id("inbox-outcome")).to_have_text("Declined")
    expect(declined_row).to_contain_text("No signed file")
    person.watch.check("history")
    lease_signed = Signing.objects.get(document=lease).signed_file.open("rb").read()
    assert download_bytes(person, "inbox-download-signed", row="Lease") == lease_signed

    # Another person: an empty inbox, and the person's signer pages refuse them.
    other = people.open("other-person")
    log_in(other, LV_SIGNER)
    other.get_by_test_id("nav-inbox").click()
    expect(other.get_by_test_id("inbox-empty")).to_be_visible()
    expect(other.get_by_test_id("nav-inbox-count")).to_have_count(0)
    for title in ("Lease", "Annex", "Offer"):
        expect(other.get_by_text(title)).to_have_count(0)
    other.watch.check("empty-inbox")
    other.get_by_test_id("inbox-tab-history").click()
    expect(other.get_by_test_id("inbox-empty")).to_be_visible()
    annex_signer = lt_signers.get(document__title="Annex")
    other.watch.allow_console_error(r"status of 403 \(Forbidden\) \(at [^)]*/sign/[^/]+/\)$")
    other.goto(f"/sign/{annex_signer.uuid}/")
    expect(other.get_by_test_id("signer-unavailable")).to_be_visible()
    expect(other.get_by_text("Annex")).to_have_count(0)
    other.watch.check("refused")

    # The Offer's second signer has no account: signs by the e-mailed link, takes the account
    # offered in one click (no second eID), and downloads the final file from their inbox.
    second = people.open("second-signer")
    open_invitation(second, stack, EE_SIGNER, title="Offer")
    sign_at_dokobit(second)
    expect(second.get_by_test_id("account-offer")).to_be_visible()
    second.watch.check("account-offer")
    second.get_by_test_id("account-offer-accept").click()
    expect(second).to_have_url(re.compile(r"/inbox/$"))
    expect(second.get_by_test_id("user-name")).to_have_text(EE_SIGNER.full_name)
    expect(second.get_by_role("status")).to_contain_text("Your account is ready")
    second.watch.check("account-made")
    assert User.objects.filter(email=EE_SIGNER.email, country_code="EE").count() == 1
    expect(second_owner.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    second.get_by_test_id("inbox-tab-history").click()
    expect(second.get_by_test_id("inbox-download-signed")).to_be_visible(timeout=30_000)
    second.watch.check("history")
    offer_signed = Signing.objects.get(document=offer).signed_file.open("rb").read()
    assert offer_signed[:5] == b"%PDF-"
    assert download_bytes(second, "inbox-download-signed", row="Offer") == offer_signed

    # And the first signer gets the same final Offer from their history.
    person.reload()
    assert download_bytes(person, "inbox-download-signed", row="Offer") == offer_signed
