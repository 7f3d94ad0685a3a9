"""Rate limits (T19): floods of identity sessions, signer-link guesses and uploads get 429, and
the gateway is not called for the refused ones."""

import pytest
from django.urls import reverse

from tests.identity.conftest import answer_every_create


@pytest.mark.django_db
def test_identity_session_flood_is_refused_before_reaching_dokobit(client, gateway, settings):
    """T11/T19: identity sessions beyond the limit get 429, Dokobit is not called."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "identity-session": 5}

    answer_every_create(gateway)
    statuses = [client.post(reverse("identity:session_create"), {"purpose": "login"}).status_code for _ in range(50)]
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    # At most the allowed number of calls reached the gateway.
    assert len(gateway.calls) == 5
    refused = client.post(reverse("identity:session_create"), {"purpose": "login"})
    assert refused.json()["error"] == "rate_limited"
    assert refused["Retry-After"] == "60"


@pytest.mark.django_db
def test_guessing_signer_links_is_limited_with_a_translated_page(client, settings):
    """T11/T19: signer-link guessing gets a translated 429 page."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signer-link": 3}
    for attempt in range(3):
        assert client.get(f"/sign/guess{attempt}/").status_code != 429
    response = client.get("/sign/guess-more/", HTTP_ACCEPT_LANGUAGE="lt")
    assert response.status_code == 429
    assert 'data-testid="rate-limited"' in response.content.decode()
    assert 'lang="lt"' in response.content.decode()


def test_uploads_are_limited_per_user(client, user, settings):
    """T19: uploads beyond the limit get 429."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": 2}
    client.force_login(user)
    assert client.post("/documents/new/", {}).status_code != 429
    assert client.post("/documents/new/", {}).status_code != 429
    assert client.post("/documents/new/", {}).status_code == 429
    # Reading the page stays possible.
    assert client.get("/documents/new/").status_code == 200
