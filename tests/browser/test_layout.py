"""Every page fits a 375 px phone without sideways scrolling, also with long names and e-mails."""

from __future__ import annotations

import itertools
import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from signing.signers import SignerData
from tests.browser.helpers import PHONE, SIGNER_LINK, both, identify
from tests.factories import SignerDataFactory
from tests.signing.conftest import upload_document
from tests.signing.helpers import EE_CODE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_SIGNERS = [
    SignerDataFactory(email="mobile.tester@example.test"),
    SignerData(
        first_name="Maximiliana-Konstantina Aleksandra",
        last_name="Vaitkevičiūtė-Jankauskienė-Žemaitytė",
        country_code="EE",
        personal_code=EE_CODE,
        email="maximiliana.konstantina.vaitkeviciute@a-very-long-subdomain.example-company.test",
        signing_purpose="visa",
        language="et",
    ),
    SignerData(
        first_name="Bartholomew",
        last_name="Featherstonehaugh",
        country_code="LT",
        personal_code="39001010006",
        email="bartholomew.featherstonehaugh.the.third@example.test",
        signing_purpose="signature",
        language="lt",
    ),
]


def test_public_pages_fit_a_phone(page):
    page.set_viewport_size(PHONE)
    for path, name in [("/", "home"), ("/login/", "login"), ("/register/", "register")]:
        page.goto(path)
        both(page, name)


def test_owner_pages_fit_a_phone(page, make_user):
    user = make_user(
        country_code="LT",
        personal_code="30303039914",
        first_name="QUALIFIED OK1",
        last_name="TESTNUMBER",
        email="a.rather.long.owner.address@example-company.test",
    )
    page.set_viewport_size(PHONE)
    page.goto("/login/")
    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    document = upload_document(
        user, signers=LONG_SIGNERS, title="Lease contract for the flat at Gedimino prospektas 1-23, Vilnius"
    )

    both(page, "dashboard")
    # both() leaves the page at 375 px: each of the dashboard's actions is a finger-sized target,
    # clear of the others (they ran together as a line of small links after the upload button).
    actions = ["dashboard-upload", "dashboard-documents", "dashboard-templates", "dashboard-bulk"]
    boxes = [page.get_by_test_id(action).bounding_box() for action in actions]
    assert all(box is not None and box["height"] >= 44 for box in boxes), boxes
    for one, other in itertools.combinations(boxes, 2):
        side_by_side = one["x"] + one["width"] + 8 <= other["x"] or other["x"] + other["width"] + 8 <= one["x"]
        one_above_other = one["y"] + one["height"] + 4 <= other["y"] or other["y"] + other["height"] + 4 <= one["y"]
        assert side_by_side or one_above_other, (one, other)
    page.goto(reverse("signing:document-list"))
    both(page, "document-list")
    page.goto(reverse("signing:document-new"))
    both(page, "upload-form")
    page.goto(reverse("identity:profile"))
    both(page, "profile")
    page.goto(reverse("identity:profile_delete"))
    both(page, "profile-delete")

    page.goto(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
    expect(page.get_by_test_id("signing-status")).to_have_text("Waiting for signatures", timeout=30_000)
    both(page, "document")
    for details in page.locator("main details").all():
        details.locator("summary").first.click()
    both(page, "document-everything-open")


def test_signer_pages_fit_a_phone(page, make_user):
    owner = make_user(country_code="LT", personal_code="30303039914", first_name="Olivia", last_name="Owner")
    upload_document(owner, signers=LONG_SIGNERS, title="Lease contract for the flat at Gedimino prospektas 1-23")
    link = next(SIGNER_LINK.search(m.body).group(0) for m in mail.outbox if "mobile.tester@example.test" in m.to)
    page.set_viewport_size(PHONE)
    page.goto(reverse("signing:signer-landing", kwargs={"token": "a-link-that-was-never-sent"}))
    both(page, "signer-unavailable")
    page.goto(link)
    both(page, "signer-identify")
    identify(page, "lt-mobile")
    expect(page.get_by_test_id("sign-button")).to_be_visible()
    both(page, "signer-document")
    page.get_by_test_id("sign-button").click()
    expect(page.get_by_test_id("dokobit-frame")).to_be_visible()
    both(page, "signer-sign")
    page.goto(link.rstrip("/") + "/done/")
    expect(page.get_by_test_id("signer-result")).to_be_visible()
    both(page, "signer-done")
