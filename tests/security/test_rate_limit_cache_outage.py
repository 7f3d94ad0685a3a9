"""Issue 13, finding 2 (unit level): with the shared cache unreachable the rate-limited views
answered a bare 500. They now count per process, log the outage once, and go back to the shared
cache when it answers again. (tests/security/test_redis_outage.py stops a real Redis.)"""

from __future__ import annotations

import logging
import socket

import pytest
from django.urls import reverse

from portal import ratelimit
from signing.models import Document
from tests.identity.conftest import answer_every_create
from tests.signing.helpers import pdf_upload, upload_post

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: connections are refused


@pytest.fixture
def fresh_counters(monkeypatch):
    counters = ratelimit._Counters()
    monkeypatch.setattr(ratelimit, "_counters", counters)
    return counters


@pytest.fixture
def cache_down(settings, fresh_counters):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return fresh_counters


@pytest.mark.usefixtures("cache_down")
def test_eid_starts_work_and_stay_limited_while_the_cache_is_down(client, gateway, settings, caplog):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "identity-session": 4}
    answer_every_create(gateway)

    with caplog.at_level(logging.WARNING, logger="portal.ratelimit"):
        statuses = [client.post(reverse("identity:session_create"), {"purpose": "login"}).status_code for _ in range(8)]

    assert statuses == [200] * 4 + [429] * 4
    assert len(gateway.calls) == 4
    outage = [r for r in caplog.records if "shared cache cannot be reached" in r.getMessage()]
    assert len(outage) == 1
    assert outage[0].levelno == logging.ERROR


@pytest.mark.usefixtures("cache_down")
def test_signer_links_and_uploads_answer_while_the_cache_is_down(client, owner, live_signing):
    signer = live_signing.signers.first()
    assert client.get(f"/sign/{signer.link_token}/").status_code == 200
    assert client.get("/sign/no-such-link/").status_code == 403
    client.force_login(owner)
    response = client.post("/documents/new/", upload_post(title="Kept", file=pdf_upload()))
    assert response.status_code == 302
    assert Document.objects.filter(owner=owner, title="Kept").exists()


def test_back_on_the_shared_cache_once_it_answers(client, gateway, settings, fresh_counters, caplog, monkeypatch):
    """After an outage the counters return to the shared cache (all web processes count together)."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "identity-session": 100}
    answer_every_create(gateway)
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    assert client.post(reverse("identity:session_create"), {"purpose": "login"}).status_code == 200
    settings.CACHES = working
    monkeypatch.setattr(fresh_counters, "_down_until", 0.0)  # the retry pause has passed

    with caplog.at_level(logging.WARNING, logger="portal.ratelimit"):
        assert client.post(reverse("identity:session_create"), {"purpose": "login"}).status_code == 200

    assert any("shared cache is back" in r.getMessage() for r in caplog.records)
    assert not fresh_counters._degraded
