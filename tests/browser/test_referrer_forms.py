"""Forms on pages that hold secrets in their URL still post in Chromium.

Chromium sends ``Origin: null`` with the form posts of a page served with ``Referrer-Policy:
no-referrer``, and Django's CSRF check refuses those; the test client sends no Origin at all, so only
a real browser shows it. These pages now use ``same-origin``: the token never leaves in a
cross-origin Referer, and their own forms carry the real Origin.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.helpers import SIGNER_LINK, identify
from tests.signing.conftest import upload_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signer_cancel_on_the_signing_page_goes_back_to_the_document(page, portal_live, screenshot, make_user):
    owner = make_user(country_code="LT", personal_code="30303039914", first_name="Olivia", last_name="Owner")
    document = upload_document(owner, title="Lease contract")  # sent to the emulated gateway on commit
    link = SIGNER_LINK.search(mail.outbox[-1].body).group(0)
    posts: list[dict] = []
    page.on("request", lambda request: posts.append(request.headers) if request.method == "POST" else None)

    page.goto(link)
    identify(page, "lt-mobile")
    expect(page.get_by_test_id("signer-document-title")).to_have_text(document.title)
    page.get_by_test_id("sign-button").click()
    expect(page).to_have_url(re.compile(r"/sign/$"))
    expect(page.get_by_test_id("dokobit-frame")).to_be_visible()
    screenshot("signing-page")

    with page.expect_response(lambda response: response.url.endswith("/sign/cancel/")) as cancel:
        page.get_by_test_id("sign-cancel").click()
    assert cancel.value.status == 302  # refused with 403 while the page said no-referrer
    expect(page).to_have_url(link)
    expect(page.get_by_test_id("signer-document-title")).to_have_text(document.title)
    expect(page.get_by_test_id("sign-button")).to_be_visible()
    screenshot("back-on-the-document")
    # The cancel carried the portal's own origin, and the signing page's URL only to the portal.
    cancel_post = posts[-1]
    assert cancel_post["origin"] == portal_live.url
    assert cancel_post["referer"].startswith(portal_live.url)
    # Another site (127.0.0.1 is another origin than localhost) gets no Referer, so no token.
    elsewhere = portal_live.url.replace("localhost", "127.0.0.1") + "/healthz"
    with page.expect_request(elsewhere) as leaving:
        page.evaluate("url => { window.location.href = url; }", elsewhere)
    assert "referer" not in leaving.value.all_headers()


def test_login_without_javascript_through_the_redirect_flow(browser, portal_live, make_user, request):
    make_user(country_code="LT", personal_code="30303039914", first_name="QUALIFIED OK1", last_name="TESTNUMBER")
    context = browser.new_context(base_url=portal_live.url, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login/")
        # Without JavaScript only the redirect button shows: no dead widget button, no "Try again".
        expect(page.get_by_test_id("identity-start")).to_be_hidden()
        expect(page.get_by_test_id("identity-retry")).to_be_hidden()
        page.get_by_role("button", name="Log in with eID").click()

        expect(page).to_have_url(re.compile(r"/dokobit-emulator/identity/auth/[^/]+/?$"))
        page.get_by_test_id("dokobit-identity-select").select_option("lt-smartid")
        page.get_by_test_id("dokobit-identity-continue").click()  # refused with 403 under no-referrer
        expect(page.get_by_test_id("dokobit-control-code")).to_be_visible()
        page.get_by_test_id("dokobit-identity-approve").click()

        expect(page).to_have_url(re.compile(r"/dashboard/$"))
        expect(page.get_by_test_id("user-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
        page.screenshot(path=str(_artifact(request, "logged-in")), full_page=True)
    finally:
        context.close()


def _artifact(request, step: str):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    return ARTIFACTS / f"{name}-{step}.png"
