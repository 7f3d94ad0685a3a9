"""Issue 13, finding 2, measured: Redis (the cache of the rate limits and Celery's broker) stopped
for 30 s while uploads, eID starts, signer links and postbacks keep coming. Not one answer is a
500, every upload and postback that was accepted is stored, and once Redis is back the sweep
queues all of them (tests/services/test_infra_faults.py shows a worker finishing such uploads).

The test runs its own ``redis-server`` on a free loopback port and stops it itself: the shared
Redis is never touched. REDIS_OUTAGE_SECONDS shortens the outage for a quick local run.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter

import pytest
import redis as redis_client
import responses
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal import ratelimit
from signing import recovery
from signing.models import Document, Signing, SigningEvent
from tests.conftest import require
from tests.identity.conftest import answer_every_create
from tests.services.conftest import redis_url_with_db, reset_publisher, wait_for
from tests.signing.conftest import POSTBACK_SECRET, pending_at_dokobit
from tests.signing.helpers import pdf_upload, upload_post

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = float(os.environ.get("REDIS_OUTAGE_SECONDS", "30"))


@pytest.fixture
def on_private_redis(private_redis, settings, monkeypatch):
    """The cache and the broker of this process on the private Redis (tasks are published, not eager)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url_with_db(private_redis.url, 0),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    broker = redis_url_with_db(private_redis.url, 1)
    queue = f"outage-{os.getpid()}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = broker
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    # Limits high enough that every request reaches its view; they are still counted (per
    # process during the outage). Their refusals while Redis is away are
    # tests/security/test_rate_limit_cache_outage.py.
    settings.RATE_LIMITS = {"identity-session": 10_000, "signer-link": 10_000, "upload": 10_000}
    monkeypatch.setattr(ratelimit, "_counters", ratelimit._Counters())
    reset_publisher()
    from portal.celery import app

    app.set_current()
    app.set_default()
    try:
        yield {"server": private_redis, "broker": broker, "queue": queue}
    finally:
        reset_publisher()
        # The postbacks' own batch connection, opened by this test, is not Django's to close.
        from signing.postbacks import postback_connection_close

        postback_connection_close()


def test_thirty_seconds_without_redis_lose_nothing_and_give_no_500(
    on_private_redis, make_document, owner, settings, caplog
):
    require(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    signing = pending_at_dokobit(make_document(2, title="Live"))
    signer = signing.signers.first()
    postback_url = reverse("signing:postback", kwargs={"signing_uuid": signing.uuid, "secret": POSTBACK_SECRET})
    anonymous = Client(raise_request_exception=False)
    uploader = Client(raise_request_exception=False)
    uploader.force_login(owner)
    documents_before = Document.objects.count()

    statuses: dict[str, Counter[int]] = {kind: Counter() for kind in ("upload", "eid", "link", "postback")}
    n = 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as gateway:
        answer_every_create(gateway)
        on_private_redis["server"].stop()
        with caplog.at_level(logging.WARNING):
            outage_ends = time.monotonic() + OUTAGE_SECONDS
            # At most one sweep's batch of rounds, so one sweep below must queue them all; the
            # outage still lasts its whole time.
            while time.monotonic() < outage_ends and n < recovery.SWEEP_BATCH:
                n += 1
                response = uploader.post("/documents/new/", upload_post(title=f"Outage {n}", file=pdf_upload()))
                statuses["upload"][response.status_code] += 1
                response = anonymous.post(reverse("identity:session_create"), {"purpose": "login"})
                statuses["eid"][response.status_code] += 1
                response = anonymous.get(reverse("signing:signer-landing", kwargs={"token": signer.link_token}))
                statuses["link"][response.status_code] += 1
                body = {"action": "signer_signed", "signer": f"someone-{n}"}
                response = anonymous.post(postback_url, data=body, content_type="application/json")
                statuses["postback"][response.status_code] += 1
            time.sleep(max(0.0, outage_ends - time.monotonic()))
        on_private_redis["server"].start()

    summary = {kind: dict(counter) for kind, counter in statuses.items()}
    print(f"\n{OUTAGE_SECONDS:.0f} s without Redis: {n} rounds of 4 requests; {summary}")
    assert all(status < 500 for counter in statuses.values() for status in counter)
    assert statuses["upload"] == Counter({302: n})
    assert statuses["eid"] == Counter({200: n})
    assert statuses["link"] == Counter({200: n})
    assert statuses["postback"] == Counter({200: n})
    assert n >= 5
    outage_logged = [r for r in caplog.records if "shared cache cannot be reached" in r.getMessage()]
    assert len(outage_logged) == 1

    # Every accepted upload is stored (file and hash) and waits to be sent; every accepted
    # postback is stored, unprocessed.
    uploaded = Document.objects.filter(title__startswith="Outage ")
    assert Document.objects.count() - documents_before == n == uploaded.count()
    assert all(document.file and len(document.sha256) == 64 for document in uploaded)
    waiting = Signing.objects.filter(document__in=uploaded, status=Signing.Status.QUEUED)
    assert waiting.count() == n
    postbacks = SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.POSTBACK)
    assert postbacks.count() == n
    assert not postbacks.filter(processed=True).exists()

    # Redis is back: the sweep queues every one of them for the workers.
    broker = redis_client.Redis.from_url(on_private_redis["broker"], socket_timeout=2)
    assert wait_for(lambda: on_private_redis["server"].answers(), timeout=20)
    # The postback publisher may still send its last batch (it retries nothing, the sweep does):
    # let it, then count only what the sweep queues.
    time.sleep(1)
    broker.delete(on_private_redis["queue"])
    reset_publisher()
    settings.SIGNING_SWEEP_STALLED_AFTER_MINUTES = 0
    counts = recovery.sweep()
    assert counts["signings"] == n
    assert counts["postbacks"] == n
    assert broker.llen(on_private_redis["queue"]) == 2 * n
