"""Two completions of one eID flow at once (a double click, two tabs): one login, one clean answer.

Dokobit hands an identity result out once; the second status read answers "Session closed"
(1005). That answer must never fail the flow while the first read is still on its way back.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta

import pytest
import responses
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from identity import services
from identity.models import IdentitySession, User
from tests.conftest import load_fixture, require
from tests.identity.conftest import IDENTITY_BASE, TOKEN_A

STATUS_URL = re.compile(rf"{IDENTITY_BASE}/api/authentication/\w+/status")
CLOSED = {"status": "error", "message": "Session closed", "code": 1005}


def logged_in(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def same_browser(client: Client) -> Client:
    """A second request of the same browser: the same cookies, sent independently."""
    twin = Client()
    twin.cookies = client.cookies.__class__(client.cookies)
    return twin


@pytest.mark.django_db
def test_second_click_while_the_first_asks_dokobit_is_a_clean_answer(client, user, start_flow, gateway, monkeypatch):
    start_flow(client)
    second_click = same_browser(client)
    monkeypatch.setattr(services, "_claim_wait_seconds", lambda: 0.3, raising=False)
    answers: dict[str, object] = {}
    reads = []

    def dokobit_status(request):
        reads.append(request.url)
        if len(reads) > 1:
            return 400, {}, json.dumps(CLOSED)
        # The second click arrives while Dokobit's answer to the first is still on its way.
        answers["second"] = second_click.post("/identity/session/complete/", {"purpose": "login"})
        return 200, {}, json.dumps({**load_fixture("identity_status_ok_lt_mobile"), "session_token": TOKEN_A})

    gateway.add_callback(responses.GET, STATUS_URL, callback=dokobit_status)

    first = client.post("/identity/session/complete/", {"purpose": "login"})

    assert first.status_code == 200
    assert first.json() == {"status": "ok", "redirect": "/dashboard/"}
    assert logged_in(client) == user
    second = answers["second"]
    assert second.status_code == 202  # not an error: the page simply asks again
    assert second.json() == {"status": "waiting"}
    assert len(reads) == 1  # the second click never asked Dokobit, so never met "session closed"
    assert IdentitySession.objects.get_by_token(TOKEN_A).outcome == IdentitySession.Outcome.AUTHENTICATED

    # The page of the second click asks again with the cookie it had: the session it named was
    # replaced by the login, so it is sent on; the login page passes a logged-in person through.
    again = second_click.post("/identity/session/complete/", {"purpose": "login"})
    assert again.json() == {"status": "ok", "redirect": "/login/"}
    assert client.get("/login/")["Location"] == "/dashboard/"


@pytest.mark.django_db
def test_a_request_finding_the_flow_completed_goes_on_without_logging_in_again(client, user, start_flow, identity_api):
    start_flow(client)
    second_click = same_browser(client)
    identity_api.status(TOKEN_A)
    # The second request read the session before the first one logged the browser in.
    flow = IdentitySession.objects.get_by_token(TOKEN_A)
    IdentitySession.objects.filter(pk=flow.pk).update(outcome=IdentitySession.Outcome.AUTHENTICATED)
    assert second_click.post("/identity/session/complete/", {"purpose": "login"}).json() == {
        "status": "ok",
        "redirect": "/login/",
    }
    assert logged_in(second_click) is None
    IdentitySession.objects.filter(pk=flow.pk).update(outcome=IdentitySession.Outcome.PENDING)
    assert client.post("/identity/session/complete/", {"purpose": "login"}).status_code == 200


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(5))
def test_double_click_on_postgresql_logs_the_person_in_exactly_once(client, user, start_flow, gateway, trial):
    require(connection.vendor == "postgresql", "two truly concurrent requests need PostgreSQL (set DATABASE_URL)")
    start_flow(client)
    twin = same_browser(client)
    reads = []
    lock = threading.Lock()

    def dokobit_status(request):
        with lock:
            reads.append(request.url)
            first = len(reads) == 1
        if not first:
            return 400, {}, json.dumps(CLOSED)
        time.sleep(0.3)  # Dokobit's answer to the first read is slow; the second click lands meanwhile
        return 200, {}, json.dumps({**load_fixture("identity_status_ok_lt_mobile"), "session_token": TOKEN_A})

    gateway.add_callback(responses.GET, STATUS_URL, callback=dokobit_status)
    results: dict[str, object] = {}

    def click(name: str, browser: Client, delay: float) -> None:
        time.sleep(delay)
        try:
            results[name] = browser.post("/identity/session/complete/", {"purpose": "login"})
        finally:
            connection.close()

    threads = [
        threading.Thread(target=click, args=("a", client, 0)),
        threading.Thread(target=click, args=("b", twin, 0.05)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    answers = sorted((results["a"].status_code, results["b"].status_code))
    assert answers == [200, 200]  # one logs in, the other waits for it and sends the page on
    bodies = [results[name].json() for name in ("a", "b")]
    assert {"status": "ok", "redirect": "/dashboard/"} in bodies
    assert len(reads) == 1
    logged = [name for name in ("a", "b") if settings.SESSION_COOKIE_NAME in results[name].cookies]
    assert len(logged) == 1  # exactly one response logs the browser in
    assert IdentitySession.objects.get_by_token(TOKEN_A).outcome == IdentitySession.Outcome.AUTHENTICATED


@pytest.mark.django_db
def test_a_claim_left_by_a_request_that_died_is_taken_over(client, user, start_flow, identity_api, settings):
    start_flow(client)
    abandoned = timezone.now() - timedelta(seconds=2 * settings.DOKOBIT_TIMEOUT + 6)
    IdentitySession.objects.filter(pk=IdentitySession.objects.get_by_token(TOKEN_A).pk).update(used_at=abandoned)
    identity_api.status(TOKEN_A)

    response = client.post("/identity/session/complete/", {"purpose": "login"})

    assert response.json() == {"status": "ok", "redirect": "/dashboard/"}
    assert logged_in(client) == user
