"""One lock order for a bulk send and its rows: the bulk send first, then the row.

The owner's "send the failed rows again" locks the bulk send, then updates its rows. A row's task
used to lock its row, then the bulk send (to mark it sent when it was the last). The two could
deadlock, and PostgreSQL would end one of them with an error: the owner's page or the task. Now a
row's task and a row's failure wait for the bulk send's lock before they touch the row, so while
somebody holds the bulk send, the row stays free.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from bulk import sends
from bulk.models import BulkRow, BulkSend
from bulk.sends import bulk_row_fail, bulk_row_send
from tests.bulk.helpers import started_bulk
from tests.conftest import require

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_on_a_lock(count: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] >= count


def _row_is_free(row_id: int) -> bool:
    """Whether this connection can lock the row at once (NOWAIT: no waiting behind a holder)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {BulkRow._meta.db_table} WHERE id = %s FOR UPDATE NOWAIT", [row_id])
        return True
    except OperationalError:
        return False


def _in_thread(step, done: list) -> threading.Thread:
    def run():
        try:
            step()
            done.append("ok")
        except Exception as error:  # noqa: BLE001 - reported by the test
            done.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("step", ["send", "fail"])
def test_a_rows_task_waits_for_the_bulk_send_before_it_locks_its_row(
    step, owner, emulator, django_capture_on_commit_callbacks, monkeypatch
):
    require(connection.vendor == "postgresql", "row locks are PostgreSQL's (set DATABASE_URL=postgres://...)")
    # Commits are real here: the row's task must not be queued by the start, only run below.
    monkeypatch.setattr(sends.dispatch, "on_commit", lambda name, *args: None)
    bulk = started_bulk(owner, django_capture_on_commit_callbacks, count=1, run=False)
    monkeypatch.undo()
    row = bulk.rows.get()
    assert row.status == BulkRow.Status.WAITING
    holding, release = threading.Event(), threading.Event()

    def owner_holds_the_bulk_send():
        with transaction.atomic():
            BulkSend.objects.select_for_update().get(pk=bulk.pk)
            holding.set()
            release.wait(30)

    def the_rows_task():
        if step == "send":
            bulk_row_send(row_id=row.pk)
        else:
            bulk_row_fail(row_id=row.pk, reason="Dokobit refused the signing.")

    owner_done: list = []
    task_done: list = []
    holder = _in_thread(owner_holds_the_bulk_send, owner_done)
    assert holding.wait(10)
    task = _in_thread(the_rows_task, task_done)
    try:
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock(1) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_on_a_lock(1), "the row's task never waited for the bulk send"
        # The task waits for the bulk send without holding its row: the owner's retry can take it.
        assert _row_is_free(row.pk)
    finally:
        release.set()
        holder.join(30)
        task.join(60)
    assert owner_done == ["ok"]
    assert task_done == ["ok"]
    row.refresh_from_db()
    bulk.refresh_from_db()
    expected = BulkRow.Status.CREATED if step == "send" else BulkRow.Status.FAILED
    assert row.status == expected
    assert bulk.status == BulkSend.Status.SENT
