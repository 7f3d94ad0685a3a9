"""The hourly retention sweep reads two partial indexes: their conditions must be the sweep's own.

PostgreSQL uses a partial index only when the query's condition implies the index's. The index
conditions spell the statuses out (a model's Meta cannot name the class's tuples), so a status added
to LIVE_STATUSES or OPEN_STATUSES without the index would quietly send the sweep back to the heap:
these tests fail first.
"""

from __future__ import annotations

import pytest
from django.db import connection

from signing.models import Signing
from signing.retention import RETENTION_ALERT_BATCH, signing_ids_due_for_reupload, signings_due_for_retention_alert
from tests.conftest import require

pytestmark = pytest.mark.django_db


def _index(name: str):
    return next(index for index in Signing._meta.indexes if index.name == name)


def _condition(name: str) -> dict:
    return dict(_index(name).condition.children)


def test_the_renewal_index_holds_exactly_the_live_copies_at_dokobit():
    condition = _condition("signing_reupload_due")
    assert sorted(condition["status__in"]) == sorted(Signing.LIVE_STATUSES)
    assert condition["dokobit_token_lookup__isnull"] is False


def test_the_alert_index_holds_exactly_the_open_signings_without_an_alert():
    condition = _condition("signing_retention_alert_due")
    assert sorted(condition["status__in"]) == sorted(Signing.OPEN_STATUSES)
    assert condition["retention_alert_at__isnull"] is True


def _plan(queryset) -> str:
    require(connection.vendor == "postgresql", "the planner's choice is PostgreSQL's (set DATABASE_URL=postgres://...)")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A near-empty test table is read whole (or by bitmap) otherwise; the question is which
        # index fits the query, as it does over a million rows (bench/pf4_retention.py).
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_bitmapscan")
    return plan


def test_the_sweep_reads_its_due_ids_from_the_renewal_index_alone():
    plan = _plan(signing_ids_due_for_reupload())
    assert "Index Only Scan using signing_reupload_due" in plan
    assert "Sort" not in plan  # the index is already in renewal order


def test_the_alert_query_reads_the_alert_index():
    plan = _plan(signings_due_for_retention_alert()[:RETENTION_ALERT_BATCH])
    assert "signing_retention_alert_due" in plan
    assert "Sort" not in plan


def test_autovacuum_keeps_the_signings_pages_visible_for_index_only_reads():
    """The open signings are the rows that change; their pages must be marked all-visible again
    within minutes (0.5% of the table changed), not after 20% as PostgreSQL's default waits."""
    require(connection.vendor == "postgresql", "autovacuum is PostgreSQL's (set DATABASE_URL=postgres://...)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [Signing._meta.db_table])
        (options,) = cursor.fetchone()
    assert "autovacuum_vacuum_scale_factor=0.005" in options
