"""Steps several journeys share: an owner who logs in and uploads, a signer who follows their e-mail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from identity.models import User
from signing.models import Document
from tests.browser.helpers import fill_signer, identify, pdf_file


@dataclass(frozen=True)
class Person:
    """An emulator test identity (dokobit_emulator/identity_people.py) with the e-mail they read."""

    identity: str
    country: str
    code: str
    name: str
    surname: str
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.surname}"


OWNER = Person("lt-smartid", "LT", "30303039914", "QUALIFIED OK1", "TESTNUMBER", "owner@example.test")
LT_SIGNER = Person("lt-mobile", "LT", "50001018865", "MOBILE", "TESTNUMBER", "mobile.lt@example.test")
EE_SIGNER = Person("ee-mobile", "EE", "60001019906", "MARY ÄNN", "O’CONNEŽ-ŠUSLIK TESTNUMBER", "mary.ee@example.test")
LV_SIGNER = Person("lv-smartid", "LV", "030303-10012", "OK", "TESTNUMBER", "ok.lv@example.test")


def make_owner(**extra) -> User:
    return User.objects.create_user(
        country_code=OWNER.country,
        personal_code=OWNER.code,
        first_name=OWNER.name,
        last_name=OWNER.surname,
        email=OWNER.email,
        language="en",
        **extra,
    )


def account_of(person: Person) -> User:
    """An account (no owner rights needed) for a person who logs in with eID, in English."""
    return User.objects.create_user(
        country_code=person.country,
        personal_code=person.code,
        first_name=person.name,
        last_name=person.surname,
        email=person.email,
        language="en",
    )


def log_in(page: Page, person: Person = OWNER) -> None:
    page.goto("/login/")
    page.watch.check("login")
    identify(page, person.identity)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_test_id("user-name")).to_have_text(person.full_name)
    page.watch.check("dashboard")


def signers_fill(
    page: Page, signers: list[Person], *, purposes: list[str] | None = None, languages: list[str] | None = None
) -> None:
    """Fill the upload form's signer rows with ``signers``, adding rows as needed."""
    purposes = purposes or ["signature"] * len(signers)
    for n, (person, purpose) in enumerate(zip(signers, purposes, strict=True)):
        if n:
            page.get_by_role("button", name="Add another signer").click()
        fill_signer(
            page,
            n,
            name=person.name,
            surname=person.surname,
            country=person.country,
            code=person.code,
            email=person.email,
            purpose=purpose,
        )
        if languages:
            page.locator("[data-signer-row]").nth(n).get_by_label("Language").select_option(languages[n])


def upload(
    page: Page,
    tmp_path: Path,
    *,
    title: str,
    signers: list[Person],
    purposes: list[str] | None = None,
    languages: list[str] | None = None,
    on_decline: str = "",
    long_term: bool = False,
    order: str = "",
):
    """The owner uploads a PDF for ``signers`` from the dashboard; returns the stored Document.

    ``languages`` picks each signer's language (default: the form's, the owner's); ``on_decline``
    the label of the choice for a decline (default: the form's, "End the signing"); ``long_term``
    ticks long-term validity; ``order`` picks the signing order ("sequential", "groups").
    """
    page.get_by_test_id("dashboard-upload").click()
    expect(page).to_have_url(re.compile(r"/documents/new/$"))
    page.watch.check("upload-form")
    page.get_by_label("Document").set_input_files(str(pdf_file(tmp_path, "contract.pdf")))
    page.get_by_label("Title").fill(title)
    if long_term:
        page.get_by_label("Keep the signatures verifiable for years (long-term validity)").check()
    if order:
        page.get_by_label("Signing order").select_option(order)
    signers_fill(page, signers, purposes=purposes, languages=languages)
    if on_decline:
        page.get_by_test_id("on-decline").get_by_label(on_decline).check()
    page.watch.check("upload-filled")
    page.get_by_test_id("upload-submit").click()
    expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]+/$"), timeout=60_000)
    expect(page.get_by_test_id("signing-status")).to_have_text("Waiting for signatures", timeout=60_000)
    page.watch.check("document")
    document = Document.objects.get(title=title)
    assert document.file.read()[:5] == b"%PDF-"
    return document


def open_invitation(page: Page, stack, person: Person, *, title: str) -> None:
    """The signer opens the link of their newest invitation and proves who they are."""
    page.goto(stack.signer_link(person.email))
    page.watch.check("link")
    identify(page, person.identity)
    expect(page.get_by_test_id("signer-document-title")).to_have_text(title)
    preview = page.get_by_test_id("preview-page").first
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("img => img.naturalWidth") > 0
    page.watch.check("document")


def sign_at_dokobit(page: Page) -> None:
    """From the signer's document page: Sign, then Sign in Dokobit's frame, back to the portal."""
    page.get_by_test_id("sign-button").click()
    expect(page).to_have_url(re.compile(r"/sign/$"))
    frame = page.frame_locator("#isign-gateway")
    expect(frame.get_by_test_id("dokobit-sign-button")).to_be_visible()
    page.watch.check("dokobit-page")
    frame.get_by_test_id("dokobit-sign-button").click()
    expect(page).to_have_url(re.compile(r"/done/$"), timeout=30_000)
    # With workers the postback is processed a moment after the signer is back: the page follows
    # the status and shows the result when it arrives, without a reload by the person.
    expect(page.get_by_test_id("signer-result")).to_have_text("Thank you, you have signed", timeout=30_000)
    page.watch.check("done")
