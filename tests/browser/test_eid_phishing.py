"""The redirect-flow phishing attack of issue 13 (finding 1) in two real Chromium browsers.

The attacker starts "Log in with eID" without JavaScript, copies the gateway page's address and
gives it to the victim; the victim authenticates there. Neither browser may end up logged in as
the victim. The browser that both starts and authenticates still logs in.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START_FORM_BUTTON = 'form[action="/identity/redirect/start/"] button'


@pytest.fixture
def no_js_browsers(browser, portal_live):
    contexts = []

    def new(width: int = 1280):
        context = browser.new_context(
            base_url=portal_live.url,
            java_script_enabled=False,
            locale="en-GB",
            viewport={"width": width, "height": 900},
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield new
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"eid-phishing-{name}.png"), full_page=True)


def authenticate_at_gateway(page, identity: str = "lt-mobile") -> None:
    page.get_by_test_id("dokobit-identity-select").select_option(identity)
    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-approve").click()


def test_a_gateway_link_started_by_someone_else_logs_nobody_in(no_js_browsers, make_user):
    make_user(country_code="LT", personal_code="50001018865", first_name="MOBILE", last_name="TESTNUMBER")
    attacker, victim = no_js_browsers(1280), no_js_browsers(375)

    attacker.goto("/login/")
    attacker.locator(START_FORM_BUTTON).click()
    expect(attacker).to_have_url(re.compile(r"/dokobit-emulator/identity/auth/[0-9a-f]{64}$"))
    link = attacker.url
    token = link.rsplit("/", 1)[1]

    victim.goto(link)
    authenticate_at_gateway(victim)
    # Back at the portal, the victim is told this identification was not started in their browser.
    expect(victim.get_by_text("not started in this browser")).to_be_visible()
    shot(victim, "victim-375")

    attacker.goto(f"/identity/redirect/return/?session_token={token}")
    expect(attacker.get_by_text("not started in this browser")).to_be_visible()
    shot(attacker, "attacker-1280")
    for page in (attacker, victim):
        page.goto("/dashboard/")
        expect(page).to_have_url(re.compile(r"/login/"))


def test_the_browser_that_starts_and_authenticates_logs_in_without_javascript(no_js_browsers, make_user):
    make_user(country_code="LT", personal_code="50001018865", first_name="MOBILE", last_name="TESTNUMBER")
    page = no_js_browsers(1280)

    page.goto("/login/")
    page.locator(START_FORM_BUTTON).click()
    authenticate_at_gateway(page)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_test_id("user-name")).to_have_text("MOBILE TESTNUMBER")
    shot(page, "own-login-1280")
