"""The portal on real PostgreSQL, Redis and a real Celery worker (marked `services`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import Celery
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.utils import timezone

from identity.models import IdentitySession, User
from tests.services.conftest import wait_for

pytestmark = pytest.mark.services


def test_migrations_and_constraints_hold_on_postgresql(postgres, transactional_db):
    User.objects.create_user(country_code="LT", personal_code="50001018865", first_name="A", last_name="B")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(country_code="lt", personal_code="50001018865", first_name="C", last_name="D")
    # The same digits in another country are another person.
    User.objects.create_user(country_code="EE", personal_code="50001018865", first_name="E", last_name="F")
    assert User.objects.count() == 2


def test_redis_cache_round_trip(redis_url, settings):
    settings.CACHES = {
        "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "t"}
    }
    cache = caches["redis"]
    cache.set("portal-test-key", {"n": 1}, 30)
    assert cache.get("portal-test-key") == {"n": 1}
    cache.delete("portal-test-key")


def test_a_real_worker_runs_a_task_queued_on_redis(celery_worker_process):
    old = IdentitySession.objects.create(
        token="a" * 64, purpose="login", browser_session="x", created_at=timezone.now() - timedelta(days=3)
    )
    fresh = IdentitySession.objects.create(token="b" * 64, purpose="login", browser_session="y")
    # Not made current: shared tasks publish through the current app (see tests/conftest.py).
    producer = Celery("producer", broker=celery_worker_process["broker"], set_as_current=False)
    producer.send_task("identity.tasks.identity_sessions_purge_task", queue=celery_worker_process["queue"])

    done = wait_for(lambda: not IdentitySession.objects.filter(pk=old.pk).exists())
    assert done, celery_worker_process["log"].read_text()[-3000:]
    assert IdentitySession.objects.filter(pk=fresh.pk).exists()
