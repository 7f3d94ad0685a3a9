"""Buttons, confirmations, Try again, the profile link and the favicon, as a person sees them."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from signing.models import Signer, Signing
from signing.signers import SignerData
from tests.browser.helpers import SIGNER_LINK, identify
from tests.factories import SignerDataFactory
from tests.signing.conftest import upload_document
from tests.signing.helpers import EE_CODE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRIMARY = "rgb(11, 92, 173)"
DANGER = "rgb(176, 0, 32)"
WHITE = "rgb(255, 255, 255)"
SIGNERS = [
    SignerDataFactory(email="lt@example.test", signing_purpose="signature"),
    SignerData(
        first_name="Mary",
        last_name="Tester",
        country_code="EE",
        personal_code=EE_CODE,
        email="ee@example.test",
        signing_purpose="signature",
        language="et",
    ),
]


def logged_in_context(browser, portal_live, user, *, javascript: bool = True):
    """A browser context holding ``user``'s session, as after an eID login."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=portal_live.url, locale="en-GB", java_script_enabled=javascript)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": portal_live.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def style(locator, prop: str) -> str:
    return locator.evaluate("(element, prop) => getComputedStyle(element)[prop]", prop)


@pytest.fixture
def owner(make_user):
    return make_user(country_code="LT", personal_code="30303039914", first_name="Olivia", last_name="Owner")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_cancel_the_signing_asks_first(browser, portal_live, owner, javascript, request):
    document = upload_document(owner, signers=SIGNERS)
    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING
    context, page = logged_in_context(browser, portal_live, owner, javascript=javascript)
    try:
        page.goto(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
        cancel = page.get_by_test_id("cancel-signing")
        assert (style(cancel, "backgroundColor"), style(cancel, "color")) == (DANGER, WHITE)

        cancel.click()
        confirm = page.get_by_test_id("cancel-signing-confirm")
        expect(confirm).to_be_visible()
        expect(page.get_by_text("This cannot be undone.")).to_be_visible()
        page.screenshot(path=str(_artifact(request, "asked")), full_page=True)
        signing.refresh_from_db()
        assert signing.status == Signing.Status.PENDING  # one click cancelled nothing

        confirm.click()
        expect(page.get_by_test_id("signing-status")).to_have_text("Cancelled")
        for n in (1, 2):
            expect(page.get_by_test_id(f"signer-status-{n}")).to_have_text("Not signed (signing cancelled)")
        page.screenshot(path=str(_artifact(request, "cancelled")), full_page=True)
        signing.refresh_from_db()
        assert signing.status == Signing.Status.CANCELLED
    finally:
        context.close()


def test_remove_a_signer_asks_first_and_keep_changes_nothing(browser, portal_live, owner, request):
    document = upload_document(owner, signers=SIGNERS)
    context, page = logged_in_context(browser, portal_live, owner)
    try:
        page.goto(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
        page.get_by_test_id("signer-remove-2").click()
        expect(page.get_by_text("Remove Mary Tester from this signing? Their link will stop working.")).to_be_visible()
        assert Signer.objects.get(email="ee@example.test").status == Signer.Status.PENDING
        page.screenshot(path=str(_artifact(request, "asked")), full_page=True)

        page.get_by_role("link", name="No, keep it").click()
        expect(page.get_by_test_id("signer-remove-confirm-2")).to_be_hidden()
        assert Signer.objects.get(email="ee@example.test").status == Signer.Status.PENDING

        page.get_by_test_id("signer-remove-2").click()
        page.get_by_test_id("signer-remove-confirm-2").click()
        expect(page.locator("table.signers")).not_to_contain_text("Mary Tester")
        expect(page.locator("table.signers")).to_contain_text("Mobile Tester")
        assert Signer.objects.get(email="ee@example.test").status == Signer.Status.REMOVED
    finally:
        context.close()


def test_buttons_have_the_portal_look(browser, portal_live, owner):
    context, page = logged_in_context(browser, portal_live, owner)
    try:
        page.goto(reverse("signing:document-new"))
        submit = page.get_by_test_id("upload-submit")
        assert (style(submit, "backgroundColor"), style(submit, "color")) == (PRIMARY, WHITE)
        add = page.get_by_role("button", name="Add another signer")
        assert (style(add, "backgroundColor"), style(add, "color")) == (WHITE, PRIMARY)
        # Keyboard focus is clearly visible.
        page.keyboard.press("Tab")
        for _ in range(40):
            if page.evaluate("document.activeElement.dataset.testid") == "upload-submit":
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.testid") == "upload-submit"
        assert style(submit, "outlineStyle") == "solid"
        assert style(submit, "outlineWidth") == "3px"
    finally:
        context.close()


def test_try_again_shows_only_after_a_failure_and_starts_afresh(page, portal_live, owner, screenshot):
    upload_document(owner, signers=SIGNERS)
    link = SIGNER_LINK.search(mail.outbox[0].body).group(0)
    for url in ("/register/", link, "/login/"):
        page.goto(url)
        expect(page.get_by_test_id("identity-start")).to_be_visible()
        expect(page.get_by_test_id("identity-retry")).to_be_hidden()
        expect(page.get_by_test_id("identity-message")).to_be_hidden()
    screenshot("login-fresh")

    # The widget reports an error: the message and Try again appear, and Try again starts anew.
    page.get_by_test_id("identity-start").click()
    page.get_by_test_id("dokobit-identity-select").select_option("lt-smartid")
    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-fail").click()
    expect(page.get_by_test_id("identity-message")).to_be_visible()
    expect(page.get_by_test_id("identity-retry")).to_be_visible()
    expect(page.get_by_test_id("identity-start")).to_be_hidden()
    screenshot("failed")

    page.get_by_test_id("identity-retry").click()
    expect(page.get_by_test_id("identity-message")).to_be_hidden()
    expect(page.get_by_test_id("identity-retry")).to_be_hidden()
    identify_in_open_widget(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def identify_in_open_widget(page, identity: str) -> None:
    page.get_by_test_id("dokobit-identity-select").select_option(identity)
    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-approve").click()


def test_profile_link_and_no_missing_files(page, portal_live, owner):
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    page.goto("/login/")
    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.get_by_test_id("profile-link").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.get_by_test_id("profile-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    icon = page.evaluate("document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).ok
    favicon = page.request.get("/favicon.ico")
    assert favicon.ok
    assert favicon.headers["content-type"].startswith("image/")
    assert missing == []


def _artifact(request, step: str):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    return ARTIFACTS / f"{name}-{step}.png"
