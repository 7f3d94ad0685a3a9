"""A staff member logs into the admin with their eID through the emulated Identity Gateway widget."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from identity.models import User
from tests.browser.helpers import identify_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_member_logs_into_the_admin_with_eid_and_lands_on_next(page, screenshot):
    User.objects.create_user(
        country_code="LT",
        personal_code="30303039914",
        first_name="QUALIFIED OK1",
        last_name="TESTNUMBER",
        is_staff=True,
        is_superuser=True,
    )
    users = reverse("admin:identity_user_changelist")

    page.goto(users)
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:login")) + r"\?next="))
    expect(page.locator("#login-form")).to_be_visible()  # the password form is still there
    screenshot("admin-login")
    identify_step(page, screenshot, "lt-smartid", step="admin")

    expect(page).to_have_url(re.compile(re.escape(users) + "$"))
    expect(page.locator("#user-tools")).to_contain_text("QUALIFIED OK1")
    screenshot("admin-users")


def test_non_staff_eid_is_refused_on_the_admin_login(page, screenshot):
    User.objects.create_user(country_code="EE", personal_code="60001019906", first_name="MARY ÄNN", last_name="X")

    page.goto(reverse("admin:login"))
    identify_step(page, screenshot, "ee-mobile", step="refused")

    expect(page.get_by_test_id("identity-message")).to_contain_text("does not belong to a staff account")
    expect(page.get_by_test_id("identity-retry")).to_be_visible()
    screenshot("refused")
    page.goto(reverse("admin:index"))
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:login"))))
