"""/healthz tells an operator which dependency is down."""

from unittest import mock

import pytest


@pytest.mark.django_db
def test_all_up(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_redis_down_is_503(client, settings):
    # Nothing listens on port 1: the broker is unreachable.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "down"
    assert response.json()["status"] == "down"


@pytest.mark.django_db
def test_database_down_is_503(client):
    with mock.patch("portal.health.connection.cursor", side_effect=RuntimeError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


@pytest.mark.django_db
def test_storage_down_is_503(client):
    with mock.patch("portal.health.default_storage.save", side_effect=OSError("disk full")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "down"
