"""A long list is read page by page: the owner's documents and a signer's inbox history, at 1280 and 375 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from signing.models import Signing
from tests.browser.helpers import both, identify
from tests.factories import SignerDataFactory
from tests.signing.helpers import make_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PER_PAGE = 20


def test_the_owner_pages_through_documents_and_a_signer_through_history(page, make_user):
    code = "30303039914"  # the emulator's lt-smartid test identity
    owner = make_user(country_code="LT", personal_code=code, first_name="QUALIFIED OK1", last_name="TESTNUMBER")
    # Each document waits for the owner's own signature too, so it is in his inbox as well.
    himself = {"country_code": "LT", "personal_code": code, "email": "owner@example.test"}
    for n in range(PER_PAGE + 1):
        make_document(owner, title=f"Contract {n:02d}", signers=[SignerDataFactory(**himself)])
    page.goto("/login/")
    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.goto("/documents/")
    nav = page.get_by_role("navigation", name="Pages")
    expect(nav).to_contain_text("Page 1 of 2")
    # Newest first: the oldest document waits on the second page.
    expect(page.get_by_text("Contract 20")).to_be_visible()
    expect(page.get_by_text("Contract 00")).to_have_count(0)
    both(page, "documents-page-1")
    # A finger-sized target on a phone (both() leaves the page at 375 px).
    box = nav.get_by_role("link", name="Next").bounding_box()
    assert box is not None
    assert box["height"] >= 44, box
    nav.get_by_role("link", name="Next").click()
    expect(nav).to_contain_text("Page 2 of 2")
    expect(page.get_by_text("Contract 00")).to_be_visible()
    expect(nav.get_by_role("link", name="Next")).to_have_count(0)
    both(page, "documents-page-2")
    nav.get_by_role("link", name="Previous").click()
    expect(nav).to_contain_text("Page 1 of 2")

    # The same person's finished signings, in the inbox's history tab: its links stay on the tab.
    Signing.objects.filter(document__owner=owner).update(status=Signing.Status.CANCELLED)
    page.goto("/inbox/?tab=history")
    expect(page.get_by_test_id("inbox-tab-history")).to_have_attribute("aria-current", "page")
    expect(nav).to_contain_text("Page 1 of 2")
    nav.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/inbox/\?tab=history&page=2$"))
    expect(nav).to_contain_text("Page 2 of 2")
    expect(page.get_by_test_id("inbox-tab-history")).to_have_attribute("aria-current", "page")
    both(page, "inbox-history-page-2")
