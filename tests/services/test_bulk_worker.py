"""A 200-person bulk send on real Celery workers (Redis, PostgreSQL) against the emulator: every person
gets exactly one copy and one signing at the emulator, and running the whole batch again adds nothing."""

from __future__ import annotations

import collections

import pytest
from django.test import Client
from django.urls import reverse

from bulk.models import BulkRow, BulkSend
from bulk.sends import ROW_TASK
from signing import dispatch
from signing.models import Document, Signer, Signing
from tests.bulk.helpers import csv_bytes, csv_upload, lt_code, person
from tests.services.conftest import blank_pdf, wait_for

pytestmark = pytest.mark.services

PEOPLE = 200


def live_signings_at_emulator() -> collections.Counter:
    """How many live signings the emulator holds for each personal code."""
    from dokobit_emulator.models.gateway import GatewaySigner

    codes = GatewaySigner.objects.filter(signing__deleted=False).values_list("code", flat=True)
    return collections.Counter(codes)


def row_task_runs(harness) -> int:
    """Row tasks the workers finished (their log lines), the first runs and the repeated ones."""
    return sum(
        line.count("bulk.tasks.bulk_row_send_task[") and line.count(" succeeded in ")
        for worker in harness.workers
        for line in worker.log(tail=10**9).splitlines()
    )


def test_a_200_person_bulk_send_completes_on_real_workers_once_per_person(portal_worker, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    for _ in range(2):
        portal_worker.start()
    owner = make_user(first_name="Owner", last_name="Person", language="en")
    client = Client()
    client.force_login(owner)
    rows = [person(n) for n in range(PEOPLE)]
    # The web request only checks the file and queues; the workers make the copies and send them.
    response = client.post(
        reverse("bulk:bulk-new"),
        {
            "document": SimpleUploadedFile("terms.pdf", blank_pdf(), content_type="application/pdf"),
            "title": "Employment terms {name} {surname}",
            "signing_purpose": "acknowledgement",
            "language": "en",
            "people": csv_upload(csv_bytes(rows, delimiter=";", bom=True)),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    bulk = BulkSend.objects.get()

    def all_pending() -> bool:
        return Signing.objects.filter(status=Signing.Status.PENDING).count() == PEOPLE

    assert wait_for(all_pending, timeout=900, interval=2), portal_worker.logs()
    bulk.refresh_from_db()
    assert bulk.status == BulkSend.Status.SENT
    assert set(BulkRow.objects.values_list("status", flat=True)) == {BulkRow.Status.CREATED}
    expected = collections.Counter(lt_code(n) for n in range(PEOPLE))
    assert live_signings_at_emulator() == expected
    assert Document.objects.count() == Signer.objects.count() == PEOPLE
    titles = set(Document.objects.values_list("title", flat=True))
    assert titles == {f"Employment terms Person{n} Testnumber" for n in range(PEOPLE)}
    progress = client.get(reverse("bulk:bulk-progress-json", kwargs={"uuid": bulk.uuid})).json()
    assert (progress["total"], progress["sent"], progress["failed"], progress["final"]) == (PEOPLE, PEOPLE, 0, True)

    # The whole batch queued again (a redelivery, a double retry): nothing new anywhere.
    for row_id in BulkRow.objects.values_list("pk", flat=True):
        dispatch.publish(ROW_TASK, row_id)
    assert wait_for(lambda: row_task_runs(portal_worker) == 2 * PEOPLE, timeout=300, interval=2), row_task_runs(
        portal_worker
    )
    assert Document.objects.count() == PEOPLE
    assert live_signings_at_emulator() == expected
