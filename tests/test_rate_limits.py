"""Rate limits (T19): floods of identity sessions, signer-link guesses and uploads get 429, and
the gateway is not called for the refused ones."""

import pytest
from django.urls import reverse
from freezegun import freeze_time

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
    assert refused["Retry-After"] == "70"


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


@pytest.mark.django_db
def test_the_limit_holds_across_the_turn_of_a_minute(client, gateway, settings):
    """T19: a burst that straddles a minute boundary still gets the limit once, not twice."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "identity-session": 5}
    answer_every_create(gateway)

    def start() -> int:
        return client.post(reverse("identity:session_create"), {"purpose": "login"}).status_code

    with freeze_time("2026-12-03 10:00:59.5") as clock:
        before_the_minute = [start() for _ in range(5)]
        clock.tick(1.0)
        after_the_minute = [start() for _ in range(5)]
        # The refused calls count too: a script that stops is let in once its calls are older
        # than the Retry-After it was given.
        clock.tick(69.0)
        still_counted = start()
        clock.tick(1.0)
        after_waiting = start()

    assert before_the_minute == [200] * 5
    assert after_the_minute == [429] * 5
    assert still_counted == 429
    assert after_waiting == 200
    assert len(gateway.calls) == 6


@pytest.mark.django_db
def test_a_counter_on_redis_always_has_a_time_out(client, gateway, settings):
    """The count on Redis is one pipeline (INCR, EXPIRE, the earlier slots): no key is left to live forever."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        pytest.skip("the cache is not Redis here (REDIS_URL unset)")
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "identity-session": 5}
    answer_every_create(gateway)
    for _ in range(3):
        client.post(reverse("identity:session_create"), {"purpose": "login"})

    redis = cache._cache.get_client(write=True)
    keys = redis.keys("*rl:*")
    assert keys
    assert all(0 < redis.ttl(key) <= 80 for key in keys)
    assert sum(int(redis.get(key)) for key in keys) == 3
