"""Journeys of a person and their account: register, log out, log in (with and without JavaScript),
switch the language, edit the profile, export their data and delete the account."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from identity.models import IdentitySession, User
from tests.browser.helpers import identify

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def qualified(**extra) -> User:
    """The LT Smart-ID test person (QUALIFIED OK1 TESTNUMBER) as an existing user."""
    extra.setdefault("email", "qualified@example.test")
    return User.objects.create_user(
        country_code="LT", personal_code="30303039914", first_name="QUALIFIED OK1", last_name="TESTNUMBER", **extra
    )


def test_register_log_out_and_log_in(stack, people):
    page = people.open("newcomer")
    page.goto("/")
    page.watch.check("home")
    page.get_by_role("link", name="Register").first.click()
    expect(page).to_have_url(re.compile(r"/register/$"))
    page.watch.check("register")
    identify(page, "lt-smartid")

    expect(page).to_have_url(re.compile(r"/register/details/$"))
    expect(page.get_by_test_id("registration-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    page.watch.check("details")
    page.get_by_label("E-mail").fill("qualified@example.test")
    page.get_by_role("main").get_by_label("Language").select_option("en")
    page.get_by_test_id("registration-submit").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_test_id("user-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    expect(page.get_by_role("status")).to_contain_text("Welcome! Your account is ready.")
    page.watch.check("dashboard")
    user = User.objects.get()
    assert (user.country_code, user.personal_code) == ("LT", "30303039914")
    assert (user.first_name, user.last_name, user.email, user.language) == (
        "QUALIFIED OK1",
        "TESTNUMBER",
        "qualified@example.test",
        "en",
    )
    assert not user.has_usable_password()
    assert IdentitySession.objects.filter(purpose="register", user=user).exclude(used_at=None).count() == 1

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    page.watch.check("logged-out")
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/dashboard/$"))
    page.watch.check("login")

    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_test_id("user-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    page.watch.check("logged-in")
    assert User.objects.count() == 1
    assert IdentitySession.objects.filter(purpose="login", outcome="authenticated").exclude(used_at=None).count() == 1


def test_log_in_without_javascript(stack, people):
    qualified()
    page = people.open("no-js", javascript=False)
    page.goto("/login/")
    page.watch.check("login")
    # The form in <noscript> starts the gateway's redirect flow.
    page.locator("form[action$='/identity/redirect/start/'] button").click()

    # The gateway's own page (the emulator's), then back to the portal.
    expect(page).to_have_url(re.compile(r"/dokobit-emulator/identity/"))
    page.get_by_test_id("dokobit-identity-select").select_option("lt-smartid")
    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-approve").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_test_id("user-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    page.watch.check("dashboard")
    assert IdentitySession.objects.filter(purpose="login", outcome="authenticated").exclude(used_at=None).count() == 1

    # Without JavaScript the widget's button does nothing, so it must not be shown either.
    page.goto("/login/")
    expect(page.get_by_test_id("identity-start")).to_be_hidden()


def test_switch_the_language(stack, people):
    qualified(language="en")
    page = people.open("reader")
    page.goto("/login/")
    page.locator("#language-select").select_option("lt")
    expect(page.locator("html")).to_have_attribute("lang", "lt")
    expect(page.get_by_test_id("identity-start")).to_have_text(re.compile(r"\S"))
    page.watch.check("login-lt")
    page.locator("#language-select").select_option("sv")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("navigation").get_by_role("link", name="Registrera dig")).to_be_visible()
    page.watch.check("login-sv")

    # Logging in brings the language the person chose in their profile.
    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.watch.check("dashboard-en")
    # Switching while logged in holds for the pages that follow.
    page.locator("#language-select").select_option("fi")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_role("button", name="Kirjaudu ulos")).to_be_visible()
    page.watch.check("dashboard-fi")
    page.goto("/documents/")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    page.watch.check("documents-fi")


def test_profile_edit_export_and_delete(stack, people, tmp_path):
    user = qualified(language="en")
    page = people.open("member")
    page.goto("/login/")
    page.watch.check("login")
    identify(page, "lt-smartid")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.watch.check("dashboard")

    page.goto("/profile/")
    expect(page.get_by_test_id("profile-name")).to_have_text("QUALIFIED OK1 TESTNUMBER")
    page.watch.check("profile")
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_be_visible()
    page.watch.check("profile-invalid")
    user.refresh_from_db()
    assert user.email == "qualified@example.test"

    page.get_by_label("E-mail").fill("new.address@example.test")
    page.get_by_role("main").get_by_label("Language").select_option("et")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.locator("html")).to_have_attribute("lang", "et")
    expect(page.get_by_role("status")).to_be_visible()
    page.watch.check("profile-saved")
    user.refresh_from_db()
    assert (user.email, user.language) == ("new.address@example.test", "et")

    with page.expect_download() as download:
        page.get_by_test_id("profile-data").click()
    assert download.value.suggested_filename == "my-portal-data.json"
    exported = json.loads(Path(download.value.path()).read_text())
    exported_text = json.dumps(exported, ensure_ascii=False)
    assert "new.address@example.test" in exported_text
    assert "30303039914" in exported_text

    page.get_by_test_id("profile-delete").click()
    expect(page).to_have_url(re.compile(r"/profile/delete/$"))
    page.watch.check("delete-confirm")
    assert User.objects.filter(pk=user.pk).exists()
    page.get_by_test_id("profile-delete-confirm").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    expect(page.get_by_role("status")).to_be_visible()
    page.watch.check("deleted")
    assert not User.objects.filter(pk=user.pk).exists()
