"""Registration, login, cancellation and language through the emulated Identity Gateway widget."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import identify_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_log_out_and_log_in_again(page, screenshot):
    page.goto("/register/")
    screenshot("register-page")
    identify_step(page, screenshot, "lt-smartid", step="register")

    expect(page).to_have_url(re.compile(r"/register/details/$"))
    expect(page.get_by_test_id("registration-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    page.get_by_label("E-mail").fill("qualified@example.test")
    screenshot("details")
    page.get_by_test_id("registration-submit").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_test_id("user-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    screenshot("registered")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_test_id("user-name")).to_have_count(0)

    page.goto("/login/")
    identify_step(page, screenshot, "lt-smartid", step="login")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_test_id("user-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    screenshot("logged-in")


def test_cancelled_attempt_shows_message_and_retry_works(page, screenshot):
    page.goto("/login/")
    page.get_by_test_id("identity-start").click()
    page.get_by_test_id("dokobit-identity-select").select_option("ee-mobile")
    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-cancel").click()

    message = page.get_by_test_id("identity-message")
    expect(message).to_have_text("The identification was cancelled.")
    screenshot("cancelled")

    page.get_by_test_id("identity-retry").click()
    expect(message).to_be_hidden()
    page.get_by_test_id("dokobit-identity-select").select_option("ee-mobile")
    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-approve").click()

    # An unknown person on the login page is offered registration.
    expect(page).to_have_url(re.compile(r"/register/details/$"))
    expect(page.get_by_test_id("registration-name")).to_have_text("MARY ÄNN O’CONNEŽ-ŠUSLIK TESTNUMBER")
    screenshot("offered-registration")


def test_widget_follows_the_language(page, screenshot):
    page.goto("/login/")
    page.locator("#language-select").select_option("lt")
    expect(page.locator("html")).to_have_attribute("lang", "lt")

    page.get_by_test_id("identity-start").click()

    widget = page.get_by_test_id("dokobit-identity-widget")
    expect(widget).to_have_attribute("data-locale", "lt")
    expect(page.get_by_test_id("dokobit-identity-title")).to_have_text("Patvirtinkite savo tapatybę")
    screenshot("lithuanian")
