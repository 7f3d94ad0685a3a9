"""A worker's database connection outlives a task, but not its age limit nor an error (portal/celery.py).

Celery's Django fix-up closed the connection after every task; with CELERY_DB_REUSE_MAX it keeps
it, and the portal's own hook closes it around a task when Django would close it around a request.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.db import connection

from portal.celery import _database_connections_checked, app

pytestmark = pytest.mark.django_db(transaction=True)
ON_A_WORKER = SimpleNamespace(request=SimpleNamespace(is_eager=False))


def _open_connection() -> object:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.connection


def test_the_fixup_is_told_to_keep_connections():
    assert app.conf.get("CELERY_DB_REUSE_MAX") >= 100


def test_a_healthy_connection_serves_the_next_task(settings):
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 60
    connection.close_at = time.monotonic() + 60
    raw = _open_connection()
    _database_connections_checked(sender=ON_A_WORKER)
    assert connection.connection is raw


def test_a_connection_past_its_age_is_closed_between_tasks():
    raw = _open_connection()
    connection.close_at = time.monotonic() - 1
    _database_connections_checked(sender=ON_A_WORKER)
    assert connection.connection is None
    assert _open_connection() is not raw


def test_a_connection_left_in_a_transaction_is_closed_between_tasks():
    _open_connection()
    connection.set_autocommit(False)
    _database_connections_checked(sender=ON_A_WORKER)
    assert connection.connection is None
