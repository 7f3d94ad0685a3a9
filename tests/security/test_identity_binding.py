"""T2-T4 cases the identity view tests do not already make: a finished login replayed from another
browser, a client that names a person the gateway did not report, and a planted session cookie."""

from __future__ import annotations

import logging

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from identity.models import IdentitySession, User
from tests.identity.conftest import TOKEN_A

pytestmark = pytest.mark.django_db


def logged_in(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_t2_finished_login_replayed_from_another_browser_is_refused(client, user, start_flow, identity_api, complete):
    start_flow(client)
    identity_api.status(TOKEN_A)
    assert complete().status_code == 200
    other = Client()

    widget = other.post("/identity/session/complete/", {"purpose": "login", "session_token": TOKEN_A})
    redirect_flow = other.get("/identity/redirect/return/", {"session_token": TOKEN_A})

    assert widget.status_code == 403
    assert redirect_flow.status_code == 403
    assert logged_in(other) is None
    assert len(identity_api.status_calls()) == 1


def test_t3_the_person_the_gateway_reports_is_logged_in_whatever_the_client_says(
    client, make_user, start_flow, identity_api, complete
):
    claimed = make_user(country_code="LT", personal_code="50001018865", first_name="Claimed", last_name="Person")
    reported = make_user(country_code="EE", personal_code="60001019906", first_name="MARY ÄNN", last_name="O’CONNEŽ")
    start_flow(client)
    identity_api.status(TOKEN_A, "identity_status_ok_ee_mobile")

    response = client.post(
        "/identity/session/complete/",
        {
            "purpose": "login",
            "session_token": TOKEN_A,
            "country_code": "LT",
            "code": claimed.personal_code,
            "personal_code": claimed.personal_code,
            "name": "Claimed",
        },
    )

    assert response.status_code == 200
    assert logged_in(client) == reported


def test_t3_an_answer_about_another_session_is_refused_and_recorded(client, user, start_flow, identity_api, caplog):
    caplog.set_level(logging.INFO)
    start_flow(client)
    identity_api.status(TOKEN_A, session_token="c3" * 32)

    response = client.post("/identity/session/complete/", {"purpose": "login"})

    assert response.json()["error"] == "token_mismatch"
    assert logged_in(client) is None
    flow = IdentitySession.objects.get_by_token(TOKEN_A)
    assert flow.outcome == IdentitySession.Outcome.FAILED
    assert f"identity session {flow.pk} failed: token_mismatch" in caplog.text


def test_t4_a_planted_session_cookie_is_worthless_after_login(user, start_flow, identity_api, complete):
    attacker = Client()
    attacker.get("/login/")
    session = attacker.session
    session.save()
    known = session.session_key
    victim = Client()
    victim.cookies["sessionid"] = known

    start_flow(victim)
    identity_api.status(TOKEN_A)
    response = complete(the_client=victim)

    assert response.status_code == 200
    assert logged_in(victim) == user
    assert response.cookies["sessionid"].value not in ("", known)
    assert not SessionStore(session_key=known).exists(known)
    # The attacker, still holding the planted id, is not logged in as the victim.
    assert logged_in(attacker) is None
    assert attacker.get("/dashboard/").status_code == 302


def test_t3_another_person_proving_themselves_on_a_signer_link_is_refused_and_recorded(
    client, live_signing, identity_api, caplog
):
    signer = live_signing.signers.order_by("position").first()  # invited: LT 39912319999
    identity_api.create(TOKEN_A)
    assert client.post(reverse("signing:signer-identity-start", kwargs={"token": signer.link_token})).status_code == 200
    identity_api.status(TOKEN_A, "identity_status_ok_ee_mobile")

    response = client.post(reverse("signing:signer-identity-complete", kwargs={"token": signer.link_token}))

    assert response.status_code == 200  # the same answer as for the invited person (T11)
    landing = client.get(reverse("signing:signer-landing", kwargs={"token": signer.link_token}))
    assert landing.status_code == 403
    assert f"eID on the link of signer {signer.pk} proved someone other than the invited person" in caplog.text
    assert "60001019906" not in caplog.text
    assert "39912319999" not in caplog.text
