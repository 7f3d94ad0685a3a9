"""A refusal by Dokobit, in Chromium: the owner's document page names the signer and the field
Dokobit refused (issue 13, finding 7), at desktop and phone width."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from signing.documents import document_create
from signing.signers import SignerData
from tests.browser.helpers import identify
from tests.signing.bad_files import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_reads_which_signer_and_field_dokobit_refused(page, portal_live, screenshot, make_user, settings):
    settings.SIGNING_UPLOAD_POLL_INTERVAL = 0.2
    owner = make_user(
        country_code="LT", personal_code="30303039914", first_name="QUALIFIED OK1", last_name="TESTNUMBER"
    )
    # A phone number Dokobit does not accept (not LT, EE or FI): signing/create answers code 10000.
    document = document_create(
        owner=owner,
        uploaded_file=ContentFile(make_pdf(), name="lease.pdf"),
        title="Lease contract",
        signers=[
            SignerData(
                first_name="Mary",
                last_name="Tester",
                country_code="LT",
                personal_code="50001018865",
                email="mary@example.test",
                signing_purpose="signature",
                language="en",
                phone="+1555000111",
            )
        ],
    )

    page.goto("/login/")
    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto(f"/documents/{document.uuid}/")
    reason = page.get_by_test_id("attention-reason")
    expect(reason).to_have_text("Dokobit refused the phone number of signer Mary Tester.", timeout=30_000)
    expect(reason).to_be_visible()
    screenshot("desktop")
    page.set_viewport_size({"width": 375, "height": 812})
    expect(reason).to_be_visible()
    screenshot("phone")
