"""Login and registration through the JSON endpoints and pages, with Dokobit mocked strictly."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from identity.models import IdentitySession, User
from identity.personal_codes import personal_code_lookup
from tests.identity.conftest import TOKEN_A, TOKEN_B

pytestmark = pytest.mark.django_db


def logged_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_known_person_logs_in_and_session_key_rotates(client, user, start_flow, identity_api, complete):
    """T2/T4: login rotates the session key; the pre-login key is dead."""
    start_flow(client)
    key_before = client.session.session_key
    identity_api.status(TOKEN_A)

    response = complete()

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "redirect": "/dashboard/"}
    assert logged_in_user(client) == user
    # T4: the pre-login session id is dead; a planted one is worthless.
    assert client.session.session_key != key_before
    assert not SessionStore(session_key=key_before).exists(key_before)
    assert response.cookies["django_language"].value == user.language
    page = client.get("/dashboard/")
    assert "MOBILE TESTNUMBER" in page.content.decode()


def test_waiting_then_success(client, user, start_flow, identity_api, complete):
    start_flow(client)
    identity_api.status(TOKEN_A, "identity_status_waiting")
    identity_api.status(TOKEN_A)

    first = complete()
    assert first.status_code == 202
    assert first.json() == {"status": "waiting"}
    assert logged_in_user(client) is None

    second = complete()
    assert second.status_code == 200
    assert logged_in_user(client) == user


def test_session_closed_is_a_clear_conflict(client, user, start_flow, identity_api, complete):
    start_flow(client)
    identity_api.status(TOKEN_A, "identity_status_closed", http=400)

    response = complete()

    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "error"
    assert body["error"] == "session_closed"
    assert body["message"] == "The identification session has been closed. Please start again."
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    ("code", "error", "text"),
    [
        (6001, "no_mobile_id", "has no Mobile-ID"),
        (6005, "eid_timeout", "not confirmed in time"),
        (6006, "no_smart_id", "no Smart-ID account"),
        (6007, "smart_id_not_allowed", "cannot be used here"),
        (6008, "smart_id_check_app", "open the Smart-ID app"),
        (7022, "phone_unreachable", "could not be sent to your phone"),
        (7023, "cancelled", "was cancelled"),
    ],
)
def test_each_eid_error_code_has_its_message(client, start_flow, identity_api, complete, code, error, text):
    start_flow(client)
    identity_api.status(TOKEN_A, "identity_status_cancelled", error_code=code)

    response = complete()

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert text in response.json()["message"]
    assert IdentitySession.objects.get_by_token(TOKEN_A).error_code == code


def test_gateway_down_on_start_and_on_status(client, identity_api, start_flow, complete):
    identity_api.gateway.post(
        "https://id-sandbox.dokobit.com/api/authentication/create", body=requests.ConnectionError("down")
    )
    down = client.post("/identity/session/", {"purpose": "login"})
    assert down.status_code == 503
    assert down.json()["error"] == "gateway_unavailable"

    start_flow(client)
    identity_api.gateway.get(f"https://id-sandbox.dokobit.com/api/authentication/{TOKEN_A}/status", status=503)
    slow = complete()
    assert slow.status_code == 503
    assert slow.json()["message"] == "The eID service is not answering right now. Please try again in a minute."


def test_token_from_another_browser_is_refused_without_asking_the_gateway(client, user, start_flow, identity_api):
    """T1: another browser's token is refused and the gateway is not asked."""
    token = start_flow(client)
    other = Client()

    json_answer = other.post("/identity/session/complete/", {"purpose": "login", "session_token": token})
    redirect_answer = other.get("/identity/redirect/return/", {"session_token": token})

    assert json_answer.status_code == 403
    assert json_answer.json()["error"] == "wrong_browser"
    assert redirect_answer.status_code == 403
    assert "not started in this browser" in redirect_answer.content.decode()
    assert identity_api.status_calls() == []
    assert logged_in_user(other) is None


def test_flow_id_planted_in_another_browser_session_is_refused(client, user, start_flow, identity_api):
    """T1: a flow id planted in another session is refused."""
    start_flow(client)
    flow_id = client.session["identity_flow"]
    other = Client()
    session = other.session
    session["identity_flow"] = flow_id
    session.save()

    response = other.post("/identity/session/complete/", {"purpose": "login"})

    assert response.status_code == 403
    assert identity_api.status_calls() == []


def test_replay_after_success_is_refused(client, user, start_flow, identity_api, complete):
    """T2: a completed flow replayed in the same browser is refused."""
    start_flow(client)
    identity_api.status(TOKEN_A)
    assert complete().status_code == 200

    replay = complete()
    redirect_replay = client.get("/identity/redirect/return/", {"session_token": TOKEN_A})

    assert replay.status_code == 403
    assert redirect_replay.status_code == 403
    assert len(identity_api.status_calls()) == 1


def test_expired_token_is_refused(client, user, start_flow, identity_api, complete, settings):
    """T2: a flow past its TTL is refused without asking the gateway."""
    with freeze_time(timezone.now()) as frozen:
        start_flow(client)
        frozen.tick(timedelta(seconds=settings.IDENTITY_SESSION_TTL + 1))

        response = complete()

    assert response.status_code == 400
    assert response.json()["error"] == "expired"
    assert identity_api.status_calls() == []
    assert logged_in_user(client) is None


def test_swapped_token_only_the_latest_flow_works(client, user, start_flow, identity_api, complete):
    """T3: only the newest flow of a browser can be completed."""
    start_flow(client, token=TOKEN_A)
    start_flow(client, token=TOKEN_B)

    old = client.get("/identity/redirect/return/", {"session_token": TOKEN_A})
    assert old.status_code == 403
    assert IdentitySession.objects.get_by_token(TOKEN_A).outcome == IdentitySession.Outcome.SUPERSEDED

    identity_api.status(TOKEN_B)
    response = complete()

    assert response.status_code == 200
    assert identity_api.status_calls(TOKEN_A) == []
    assert len(identity_api.status_calls(TOKEN_B)) == 1


def test_country_not_allowed(client, start_flow, identity_api, complete, settings):
    settings.IDENTITY_ALLOWED_COUNTRIES = ["LT", "EE"]
    start_flow(client)
    identity_api.status(TOKEN_A, "identity_status_ok_lv")

    response = complete()

    assert response.status_code == 403
    assert response.json()["error"] == "country_not_allowed"
    assert User.objects.count() == 0


def test_expired_certificate_is_refused(client, user, start_flow, identity_api, complete):
    start_flow(client)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    certificate = {"valid_from": "2020-01-01T00:00:00+02:00", "valid_to": past}
    identity_api.status(TOKEN_A, certificate=certificate)

    response = complete()

    assert response.status_code == 403
    assert response.json()["error"] == "certificate_expired"
    assert logged_in_user(client) is None


def test_status_about_another_session_is_refused(client, user, start_flow, identity_api, complete):
    """T3: a status answer about another session logs nobody in."""
    start_flow(client)
    identity_api.status(TOKEN_A, session_token=TOKEN_B)

    response = complete()

    assert response.status_code == 400
    assert response.json()["error"] == "token_mismatch"
    assert logged_in_user(client) is None


def register(client, start_flow, identity_api, complete, fixture, token=TOKEN_A):
    start_flow(client, purpose="register", token=token)
    identity_api.status(token, fixture)
    response = complete("register")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "redirect": "/register/details/"}
    return response


def test_registration_lv_code_with_dash(client, start_flow, identity_api, complete):
    register(client, start_flow, identity_api, complete, "identity_status_ok_lv")

    page = client.get("/register/details/")
    assert page.status_code == 200
    assert "OK TESTNUMBER" in page.content.decode()
    assert "030303-10012" not in page.content.decode()

    response = client.post("/register/details/", {"email": "ok@example.test", "language": "lv"})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    user = User.objects.get()
    assert (user.country_code, user.personal_code) == ("LV", "030303-10012")
    assert user.pc_lookup == personal_code_lookup("LV", "030303-10012")
    assert (user.first_name, user.last_name, user.email, user.language) == ("OK", "TESTNUMBER", "ok@example.test", "lv")
    assert logged_in_user(client) == user
    assert response.cookies["django_language"].value == "lv"


def test_registration_keeps_non_ascii_names(client, start_flow, identity_api, complete):
    """T20: Dokobit's test name is kept and shown exactly."""
    register(client, start_flow, identity_api, complete, "identity_status_ok_ee_mobile")
    client.post("/register/details/", {"email": "mary@example.test", "language": "et"})

    user = User.objects.get()
    assert user.first_name == "MARY ÄNN"
    assert user.last_name == "O’CONNEŽ-ŠUSLIK TESTNUMBER"
    page = client.get("/dashboard/").content.decode()
    assert "MARY ÄNN O’CONNEŽ-ŠUSLIK TESTNUMBER" in page


def test_held_registration_keeps_the_code_encrypted(client, start_flow, identity_api, complete):
    register(client, start_flow, identity_api, complete, "identity_status_ok_lt_mobile")

    flow = IdentitySession.objects.get_by_token(TOKEN_A)
    assert flow.result_encrypted
    assert "50001018865" not in flow.result_encrypted
    assert "50001018865" not in json.dumps(dict(client.session.items()))


def test_posted_personal_code_is_ignored(client, start_flow, identity_api, complete):
    """T5: a personal code posted with the details form is ignored."""
    register(client, start_flow, identity_api, complete, "identity_status_ok_lt_mobile")

    client.post(
        "/register/details/",
        {"email": "m@example.test", "language": "en", "personal_code": "39999999999", "country_code": "EE"},
    )

    user = User.objects.get()
    assert (user.country_code, user.personal_code) == ("LT", "50001018865")


def test_same_digits_in_another_country_are_another_person(client, make_user, start_flow, identity_api, complete):
    """T5: EE/X is never the LT/X account."""
    lt_user = make_user(country_code="LT", personal_code="60001019906")
    start_flow(client, purpose="login")
    identity_api.status(TOKEN_A, "identity_status_ok_ee_mobile")

    response = complete("login")

    # An unknown person on /login/ is offered registration, never logged in as the LT account.
    assert response.json() == {"status": "ok", "redirect": "/register/details/"}
    assert logged_in_user(client) is None
    details = client.get("/register/details/").content.decode()
    assert "There is no account for this eID yet" in details
    client.post("/register/details/", {"email": "ee@example.test", "language": "et"})
    ee_user = logged_in_user(client)
    assert ee_user is not None
    assert ee_user != lt_user
    assert ee_user.country_code == "EE"
    assert User.objects.count() == 2


def test_known_person_on_register_is_logged_in(client, user, start_flow, identity_api, complete):
    start_flow(client, purpose="register")
    identity_api.status(TOKEN_A)

    response = complete("register")

    assert response.json() == {"status": "ok", "redirect": "/dashboard/"}
    assert logged_in_user(client) == user
    assert User.objects.count() == 1


def test_inactive_user_is_refused(client, make_user, start_flow, identity_api, complete):
    make_user(is_active=False)
    start_flow(client)
    identity_api.status(TOKEN_A)

    response = complete()

    assert response.status_code == 403
    assert response.json()["error"] == "inactive"
    assert logged_in_user(client) is None


def test_details_without_a_verified_eid_is_refused(client):
    response = client.post("/register/details/", {"email": "x@example.test", "language": "en"})

    assert response.status_code == 400
    assert "identify yourself with your eID first" in response.content.decode()
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/profile/", "/profile/"),
        ("https://evil.example/steal", "/dashboard/"),
        ("//evil.example/", "/dashboard/"),
        ("https:///evil.example", "/dashboard/"),
    ],
)
def test_next_is_kept_on_site(client, user, start_flow, identity_api, complete, next_url, expected):
    """T17: next stays on this site (all hostile values: tests/security)."""
    start_flow(client, next_url=next_url)
    identity_api.status(TOKEN_A)

    response = complete()

    assert response.json()["redirect"] == expected


def test_redirect_flow_for_browsers_without_javascript(client, user, identity_api):
    identity_api.create(TOKEN_A)
    start = client.post("/identity/redirect/start/", {"purpose": "login"})
    assert start.status_code == 302
    assert start["Location"] == f"https://id-sandbox.dokobit.com/auth/{TOKEN_A}"
    # The return URL is the portal's fixed route plus a fresh per-flow secret.
    returned = identity_api.return_path(TOKEN_A)
    assert re.fullmatch(rf"/identity/redirect/return/\?state=[0-9a-f]{{64}}&session_token={TOKEN_A}", returned)

    identity_api.status(TOKEN_A)
    back = client.get(returned)

    assert back.status_code == 302
    assert back["Location"] == "/dashboard/"
    assert logged_in_user(client) == user


def test_redirect_flow_refuses_a_different_token(client, identity_api):
    identity_api.create(TOKEN_A)
    client.post("/identity/redirect/start/", {"purpose": "login"})

    response = client.get("/identity/redirect/return/", {"session_token": TOKEN_B})

    assert response.status_code == 403
    assert identity_api.status_calls() == []


@pytest.mark.parametrize(("language", "locale"), [("en", "en"), ("lt", "lt"), ("is", "is"), ("fi", "en")])
def test_login_page_embeds_the_gateway(client, language, locale):
    client.cookies["django_language"] = language

    page = client.get("/login/").content.decode()

    assert '<div id="Dokobit-identity-container"></div>' in page
    assert 'data-testid="identity-start"' in page
    config = json.loads(page.split('id="identity-gateway-config" type="application/json">')[1].split("</script>")[0])
    assert config["locale"] == locale
    assert config["scriptUrl"] == "https://id-sandbox.dokobit.com/js/dokobit-integration.min.js"
    assert config["params"]["purpose"] == "login"
    # The gateway session starts only when the person clicks the button.
    assert IdentitySession.objects.count() == 0


def test_session_is_created_for_the_portal_origin(client, identity_api):
    identity_api.create(TOKEN_A, body={"origin_host": "https://portal.example.test"})

    response = client.post("/identity/session/", {"purpose": "register"})

    assert response.json()["session_token"] == TOKEN_A
    assert IdentitySession.objects.get().purpose == "register"


@pytest.mark.parametrize("purpose", ["root", "signer", ""])
def test_unknown_purpose_is_a_bad_request(client, purpose):
    # "signer" flows start on the signer's own pages, never through the login endpoints.
    response = client.post("/identity/session/", {"purpose": purpose})

    assert response.status_code == 400


def test_logout_is_post_only(client, user):
    client.force_login(user)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert logged_in_user(client) is None


def test_profile_shows_the_whole_code_only_there(client, user):
    client.force_login(user)

    profile = client.get("/profile/").content.decode()
    dashboard = client.get("/dashboard/").content.decode()

    assert "50001018865" in profile
    assert "50001018865" not in dashboard


def test_no_personal_code_or_token_in_logs(client, user, start_flow, identity_api, complete, caplog):
    caplog.set_level(logging.DEBUG)
    start_flow(client)
    identity_api.status(TOKEN_A, "identity_status_closed", http=400)

    complete()

    assert caplog.records
    assert "50001018865" not in caplog.text
    assert TOKEN_A not in caplog.text
    assert "testid_unit_token" not in caplog.text
