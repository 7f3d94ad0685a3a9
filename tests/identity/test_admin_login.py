"""Staff log into the admin with their eID (the portal's flow, ADMIN purpose) or, first superuser, a
password with the code of an authenticator app."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from identity import totp
from identity.models import IdentitySession, StaffSecondFactor, User
from identity.services import SESSION_REGISTRATION_KEY
from tests.identity.conftest import TOKEN_A

pytestmark = pytest.mark.django_db

NOT_STAFF = (
    "This eID does not belong to a staff account, so it cannot open the admin. "
    "Log in on the portal instead, or ask an administrator for staff access."
)


def logged_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def admin_complete(client):
    return client.post(reverse("identity:session_complete"), {"purpose": "admin"})


@pytest.fixture
def staff(make_user):
    # The identity of the Identity Gateway fixture "identity_status_ok_lt_mobile".
    return make_user(country_code="LT", personal_code="50001018865", is_staff=True)


def eid_config(page: str) -> dict:
    found = re.search(r'<script id="identity-gateway-config" type="application/json">(.*?)</script>', page, re.S)
    assert found, "the admin login page has no eID flow"
    return json.loads(found.group(1))


def test_admin_is_served_on_its_own_path_not_on_admin():
    assert settings.ADMIN_URL_PATH != "admin/"
    assert reverse("admin:index") == f"/{settings.ADMIN_URL_PATH}"
    assert Client().get("/admin/").status_code == 404


def test_admin_login_page_offers_eid_next_to_the_password_form(client):
    response = client.get(reverse("admin:login"), {"next": reverse("admin:signing_document_changelist")})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="login-form"' in page  # the password form stays
    assert "Log in with your eID" in page
    config = eid_config(page)
    assert config["params"] == {"purpose": "admin", "next": reverse("admin:signing_document_changelist")}
    assert config["createUrl"] == reverse("identity:session_create")
    assert config["completeUrl"] == reverse("identity:session_complete")


def test_unsafe_next_on_the_admin_login_page_becomes_the_admin_index(client):
    page = client.get(reverse("admin:login"), {"next": "https://evil.example/"}).content.decode()

    assert eid_config(page)["params"]["next"] == reverse("admin:index")


def test_anonymous_admin_visit_is_sent_to_the_login_page_with_the_eid_button(client):
    response = client.get(reverse("admin:signing_document_changelist"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert "Log in with your eID" in response.content.decode()


def test_staff_eid_logs_into_the_admin(client, staff, start_flow, identity_api):
    start_flow(client, purpose="admin", next_url="")
    key_before = client.session.session_key
    identity_api.status(TOKEN_A)

    response = admin_complete(client)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "redirect": reverse("admin:index")}
    assert logged_in_user(client) == staff
    assert client.session.session_key != key_before
    assert client.get(reverse("admin:index")).status_code == 200
    assert IdentitySession.objects.get_by_token(TOKEN_A).purpose == IdentitySession.Purpose.ADMIN


def test_staff_eid_honours_a_safe_next_and_drops_an_unsafe_one(client, staff, start_flow, identity_api):
    users = reverse("admin:identity_user_changelist")
    start_flow(client, purpose="admin", next_url=users)
    identity_api.status(TOKEN_A)
    assert admin_complete(client).json()["redirect"] == users

    other = Client()
    identity_api.create("c3" * 32)
    other.post(reverse("identity:session_create"), {"purpose": "admin", "next": "//evil.example/"})
    identity_api.status("c3" * 32)
    assert admin_complete(other).json()["redirect"] == reverse("admin:index")


def test_non_staff_person_is_refused_and_not_logged_in(client, make_user, start_flow, identity_api):
    make_user(country_code="LT", personal_code="50001018865")  # a portal user, not staff
    start_flow(client, purpose="admin")
    identity_api.status(TOKEN_A)

    response = admin_complete(client)

    assert response.status_code == 403
    assert response.json() == {"status": "error", "error": "not_staff", "message": NOT_STAFF}
    assert logged_in_user(client) is None
    assert client.get(reverse("admin:index")).status_code == 302


def test_unknown_person_gets_the_same_refusal_and_no_registration(client, start_flow, identity_api):
    start_flow(client, purpose="admin")
    identity_api.status(TOKEN_A)

    response = admin_complete(client)

    assert response.status_code == 403
    assert response.json()["message"] == NOT_STAFF
    assert SESSION_REGISTRATION_KEY not in client.session
    assert not User.objects.exists()


def test_inactive_staff_member_is_refused(client, staff, start_flow, identity_api):
    User.objects.filter(pk=staff.pk).update(is_active=False)
    start_flow(client, purpose="admin")
    identity_api.status(TOKEN_A)

    response = admin_complete(client)

    assert response.status_code == 403
    assert response.json()["message"] == "This account is not active. Please contact support."
    assert logged_in_user(client) is None


def test_a_completed_admin_flow_cannot_be_replayed(client, staff, start_flow, identity_api):
    start_flow(client, purpose="admin")
    identity_api.status(TOKEN_A)
    assert admin_complete(client).status_code == 200
    client.post(reverse("identity:logout"))

    replay = admin_complete(client)
    redirect_replay = client.get(reverse("identity:redirect_return"), {"session_token": TOKEN_A})

    assert replay.status_code == 403
    assert replay.json()["error"] == "wrong_browser"
    assert redirect_replay.status_code == 403
    assert len(identity_api.status_calls()) == 1
    assert logged_in_user(client) is None


def test_an_admin_flow_from_another_browser_is_refused(client, staff, start_flow, identity_api):
    start_flow(client, purpose="admin")
    other = Client()

    response = admin_complete(other)

    assert response.status_code == 403
    assert response.json()["error"] == "wrong_browser"
    assert identity_api.status_calls() == []
    assert logged_in_user(other) is None


def test_a_portal_login_flow_cannot_be_completed_as_an_admin_login(client, staff, start_flow, identity_api):
    start_flow(client, purpose="login")

    response = admin_complete(client)

    assert response.status_code == 409
    assert identity_api.status_calls() == []
    assert logged_in_user(client) is None


def test_an_expired_admin_flow_is_refused(client, staff, start_flow, identity_api):
    with freeze_time(timezone.now()) as frozen:
        start_flow(client, purpose="admin")
        frozen.tick(timedelta(seconds=settings.IDENTITY_SESSION_TTL + 1))

        response = admin_complete(client)

    assert response.status_code == 400
    assert response.json()["error"] == "expired"
    assert identity_api.status_calls() == []
    assert logged_in_user(client) is None


def test_redirect_flow_refusal_offers_the_admin_login_again(client, make_user, identity_api):
    make_user(country_code="LT", personal_code="50001018865")
    identity_api.create(TOKEN_A)
    client.post(reverse("identity:redirect_start"), {"purpose": "admin"})
    identity_api.status(TOKEN_A)

    response = client.get(identity_api.return_path(TOKEN_A))

    assert response.status_code == 403
    page = response.content.decode()
    assert "does not belong to a staff account" in page
    assert f'href="{reverse("admin:login")}"' in page
    assert logged_in_user(client) is None


def set_up_second_factor(username: str) -> str:
    """What the operator does on the server: run the command and read the key it shows."""
    out = io.StringIO()
    call_command("staff_totp_setup", username, stdout=out)
    return re.search(r"key: ([A-Z2-7 ]+)", out.getvalue()).group(1).replace(" ", "")


def test_password_login_needs_the_code_of_the_authenticator_app(client, django_user_model):
    django_user_model.objects.create_superuser(username="first", password="pw-for-tests")
    secret = set_up_second_factor("first")
    url = reverse("admin:login")
    page = client.get(url).content.decode()
    assert 'autocomplete="one-time-code"' in page

    without = client.post(url, {"username": "first", "password": "pw-for-tests"})
    wrong = client.post(url, {"username": "first", "password": "pw-for-tests", "code": "000000"})
    for response in (without, wrong):
        assert response.status_code == 200
        assert "not right or was already used" in response.content.decode()
    assert logged_in_user(client) is None

    code = totp.code_at(secret, totp.current_step())
    response = client.post(url, {"username": "first", "password": "pw-for-tests", "code": code, "next": "/staff/"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert logged_in_user(client).username == "first"
    # The same code cannot be used again, not even within its 30 seconds.
    again = Client()
    replay = again.post(url, {"username": "first", "password": "pw-for-tests", "code": code})
    assert "not right or was already used" in replay.content.decode()
    assert logged_in_user(again) is None


def test_a_code_from_the_step_before_counts_and_an_older_one_does_not(client, django_user_model):
    django_user_model.objects.create_superuser(username="first", password="pw-for-tests")
    secret = set_up_second_factor("first")
    url = reverse("admin:login")
    with freeze_time("2026-12-03 10:00:10"):
        now = totp.current_step()
        stale = client.post(
            url, {"username": "first", "password": "pw-for-tests", "code": totp.code_at(secret, now - 2)}
        )
        assert logged_in_user(client) is None
        assert "not right or was already used" in stale.content.decode()
        client.post(url, {"username": "first", "password": "pw-for-tests", "code": totp.code_at(secret, now - 1)})
        assert logged_in_user(client).username == "first"


def test_a_password_account_without_a_key_is_told_how_to_get_one(client, django_user_model):
    django_user_model.objects.create_superuser(username="first", password="pw-for-tests")

    response = client.post(reverse("admin:login"), {"username": "first", "password": "pw-for-tests"})

    assert logged_in_user(client) is None
    assert "manage.py staff_totp_setup first" in response.content.decode()
    # A wrong password is told only that: whether a key exists is not given away.
    wrong = client.post(reverse("admin:login"), {"username": "first", "password": "wrong"}).content.decode()
    assert "staff_totp_setup" not in wrong


def test_a_reset_key_replaces_the_old_one(client, django_user_model):
    django_user_model.objects.create_superuser(username="first", password="pw-for-tests")
    old = set_up_second_factor("first")
    with pytest.raises(CommandError, match="--reset"):
        call_command("staff_totp_setup", "first", stdout=io.StringIO())
    out = io.StringIO()
    call_command("staff_totp_setup", "first", "--reset", stdout=out)
    new = re.search(r"key: ([A-Z2-7 ]+)", out.getvalue()).group(1).replace(" ", "")
    assert new != old
    assert f"secret={new}" in out.getvalue()

    url = reverse("admin:login")
    client.post(url, {"username": "first", "password": "pw-for-tests", "code": totp.code_at(old, totp.current_step())})
    assert logged_in_user(client) is None
    client.post(url, {"username": "first", "password": "pw-for-tests", "code": totp.code_at(new, totp.current_step())})
    assert logged_in_user(client).username == "first"


def test_the_key_is_stored_encrypted(django_user_model):
    user = django_user_model.objects.create_superuser(username="first", password="pw-for-tests")
    secret = set_up_second_factor("first")
    stored = StaffSecondFactor.objects.get(user=user).secret_encrypted
    assert secret not in stored


def test_only_staff_password_accounts_get_a_key(make_user):
    make_user(username="person")
    with pytest.raises(CommandError, match="No staff account"):
        call_command("staff_totp_setup", "person", stdout=io.StringIO())


def test_totp_codes_follow_rfc_6238():
    # RFC 6238, appendix B: the ASCII key "12345678901234567890", SHA-1, 8 digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    vectors = {59: "94287082", 1111111109: "07081804", 1234567890: "89005924", 2000000000: "69279037"}
    for seconds, expected in vectors.items():
        assert totp.code_at(secret, totp.current_step(seconds), digits=8) == expected


def test_password_logins_without_a_second_factor_are_refused_outside_development(settings):
    from identity.checks import staff_passwords_have_a_second_factor

    settings.DEBUG = False
    settings.STAFF_PASSWORD_SECOND_FACTOR = False
    assert [error.id for error in staff_passwords_have_a_second_factor()] == ["identity.E001"]
    settings.STAFF_PASSWORD_SECOND_FACTOR = True
    assert staff_passwords_have_a_second_factor() == []


def test_wrong_password_is_refused_on_the_admin_login(client, django_user_model):
    django_user_model.objects.create_superuser(username="first", password="pw-for-tests")

    response = client.post(reverse("admin:login"), {"username": "first", "password": "wrong"})

    assert response.status_code == 200
    assert logged_in_user(client) is None
    assert "Please enter the correct username and password" in response.content.decode()


def test_password_guessing_is_limited_per_address_and_per_username(client, django_user_model, settings):
    django_user_model.objects.create_superuser(username="first", password="pw-for-tests")
    limit = settings.RATE_LIMITS["staff-password"]
    url = reverse("admin:login")

    guesses = [client.post(url, {"username": "first", "password": f"guess-{i}"}).status_code for i in range(limit)]
    assert guesses == [200] * limit  # the form again, with its error
    # The right password now waits too: the limit does not tell a good guess from a bad one.
    refused = client.post(url, {"username": "First", "password": "pw-for-tests"}, HTTP_ACCEPT_LANGUAGE="lt")
    assert refused.status_code == 429
    assert 'data-testid="rate-limited"' in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # From other addresses the same username is limited as well; another username is not.
    other = client.__class__(REMOTE_ADDR="198.51.100.7")
    assert other.post(url, {"username": "first", "password": "pw-for-tests"}).status_code == 429
    assert other.post(url, {"username": "second", "password": "x"}).status_code == 200
    # Reading the page stays possible.
    assert client.get(url).status_code == 200


def test_admin_pages_carry_the_portals_name(client):
    page = client.get(reverse("admin-login")).content.decode()
    assert "Portal administration" in page
    assert "Django administration" not in page
