"""eID login phishing (issue 13, finding 1), end to end against the emulated Identity Gateway.

An attacker starts an eID flow in their own browser, hands the gateway's page (with the session
token) to a victim, the victim authenticates there, and the attacker then completes the flow with
the cookie of the browser that started it. Each attempt must log nobody in as the victim: neither
the attacker's browser nor, in the redirect flow, the victim's (which did not start the flow).

Two browsers are two Django test clients; the portal talks to the emulator over HTTP on the live
server, exactly as it talks to Dokobit.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from identity.models import IdentitySession, User
from tests.services.conftest import point_at_live_server

TRIALS = 5
VICTIM_IDENTITY = "lt-mobile"  # LT 50001018865 in the emulator's test identities


@pytest.fixture
def emulated(live_server, settings, transactional_db):
    point_at_live_server(settings, live_server.url)
    return live_server


@pytest.fixture
def victim(make_user) -> User:
    return make_user(country_code="LT", personal_code="50001018865", first_name="MOBILE", last_name="TESTNUMBER")


def logged_in(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def authenticate_at_gateway_page(browser: Client, gateway_url: str):
    """The victim opens the gateway's page from the link and confirms with their own eID."""
    page = urlsplit(gateway_url).path
    shown = browser.get(page)
    if shown.status_code != 200:
        return shown
    browser.post(page, {"action": "start", "identity": VICTIM_IDENTITY})
    return browser.post(page, {"action": "approve"})


def test_redirect_flow_phishing_logs_nobody_in(emulated, victim):
    successes = 0
    for _ in range(TRIALS):
        attacker, victim_browser = Client(), Client()
        started = attacker.post(reverse("identity:redirect_start"), {"purpose": "login"})
        assert started.status_code == 302
        gateway_url = started["Location"]
        token = gateway_url.rstrip("/").rsplit("/", 1)[1]

        # The attacker polls the return route with the token while the victim authenticates.
        early = attacker.get(reverse("identity:redirect_return"), {"session_token": token})
        approved = authenticate_at_gateway_page(victim_browser, gateway_url)
        assert approved.status_code == 302  # Dokobit sends the victim's browser to return_url
        returned = urlsplit(approved["Location"])
        assert parse_qs(returned.query)["session_token"] == [token]

        landed = victim_browser.get(f"{returned.path}?{returned.query}")
        late = attacker.get(reverse("identity:redirect_return"), {"session_token": token})
        # Even the victim's whole return URL (say, forwarded to the attacker) is worthless now.
        forwarded = attacker.get(f"{returned.path}?{returned.query}")

        assert early.status_code == 403
        assert landed.status_code == 403
        assert "not started in this browser" in landed.content.decode()
        assert late.status_code == 403
        assert forwarded.status_code in (403, 409)
        assert IdentitySession.objects.get_by_token(token).outcome == IdentitySession.Outcome.FAILED
        successes += logged_in(attacker) == victim
        assert logged_in(victim_browser) is None
    assert successes == 0


def test_redirect_flow_still_logs_in_the_browser_that_started_and_authenticated(emulated, victim):
    browser = Client()
    started = browser.post(reverse("identity:redirect_start"), {"purpose": "login"})

    approved = authenticate_at_gateway_page(browser, started["Location"])
    returned = urlsplit(approved["Location"])
    landed = browser.get(f"{returned.path}?{returned.query}")

    assert landed.status_code == 302
    assert landed["Location"] == reverse("dashboard")
    assert logged_in(browser) == victim


def test_widget_flow_token_cannot_be_authenticated_from_a_link(emulated, victim, settings):
    attacker, victim_browser = Client(), Client()
    token = attacker.post(reverse("identity:session_create"), {"purpose": "login"}).json()["session_token"]

    # The widget's token, turned into a link to the gateway's own page, is refused there.
    shown = authenticate_at_gateway_page(victim_browser, f"{settings.DOKOBIT_IDENTITY_URL}/auth/{token}")
    completed = attacker.post(reverse("identity:session_complete"), {"purpose": "login"})

    assert shown.status_code == 400
    assert completed.status_code == 202
    assert completed.json() == {"status": "waiting"}
    assert logged_in(attacker) is None


def test_signer_eid_step_token_cannot_be_authenticated_from_a_link(emulated, live_signing, settings):
    # Someone holding a forwarded signer link starts the eID step and sends the token's page on.
    signer = live_signing.signers.order_by("position").first()
    link = {"token": signer.link_token}
    attacker, victim_browser = Client(), Client()
    started = attacker.post(reverse("signing:signer-identity-start", kwargs=link))
    token = started.json()["session_token"]

    page = victim_browser.get(urlsplit(f"{settings.DOKOBIT_IDENTITY_URL}/auth/{token}").path)
    completed = attacker.post(reverse("signing:signer-identity-complete", kwargs=link))
    landing = attacker.get(reverse("signing:signer-landing", kwargs=link))

    assert page.status_code == 400
    assert completed.status_code == 202
    assert b"data-identity-flow" in landing.content  # still asked to prove who they are
