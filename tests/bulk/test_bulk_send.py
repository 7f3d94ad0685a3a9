"""A bulk send over HTTP, with tasks run as on a worker and Dokobit answered by the in-process emulator:
a CSV with a mistake sends nothing and keeps the document, the corrected CSV sends one copy per person,
a re-run makes no duplicates, progress and summary follow each signing, failed rows are retried."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from bulk.models import BulkRow, BulkSend
from bulk.sends import bulk_row_send, bulk_rows_retry
from signing.models import Document, Signer, Signing
from tests.bulk.helpers import csv_bytes, csv_upload, lt_code, new_bulk_post, person, started_bulk
from tests.signing.helpers import pdf_bytes, pdf_upload

pytestmark = pytest.mark.django_db


def test_a_csv_with_a_mistake_sends_nothing_keeps_the_document_and_the_fix_sends_each_copy(
    owner_client, owner, emulator, django_capture_on_commit_callbacks, mailoutbox
):
    rows = [person(0), person(1, country="DE"), person(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("bulk:bulk-new"), new_bulk_post(csv_bytes(rows)))
    assert response.status_code == 400
    html = response.content.decode()
    assert "people.csv has 1 mistake. Nothing was sent" in html
    assert re.search(r"<td[^>]*>3</td>\s*<td[^>]*>Country</td>\s*<td[^>]*>Use a country code", html)
    bulk = BulkSend.objects.get()
    assert bulk.status == BulkSend.Status.DRAFT
    assert bulk.file.read() == pdf_bytes()
    assert (BulkRow.objects.count(), Document.objects.count(), len(mailoutbox)) == (0, 0, 0)
    # Following the link of the draft shows the same form, without asking for the document.
    page = owner_client.get(reverse("bulk:bulk-csv", kwargs={"uuid": bulk.uuid})).content.decode()
    assert "the document terms.pdf is kept" in page
    assert 'name="document"' not in page

    rows[1] = person(1, country="LT")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("bulk:bulk-csv", kwargs={"uuid": bulk.uuid}), {"people": csv_upload(csv_bytes(rows), "fixed.csv")}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("bulk:bulk-progress", kwargs={"uuid": bulk.uuid})
    bulk.refresh_from_db()
    assert (bulk.status, bulk.csv_filename) == (BulkSend.Status.SENT, "fixed.csv")
    made = [(row.line, row.status, row.document.title) for row in bulk.rows.select_related("document")]
    assert made == [
        (2, "created", "Employment terms Person0 Testnumber"),
        (3, "created", "Employment terms Person1 Testnumber"),
        (4, "created", "Employment terms Person2 Testnumber"),
    ]
    for n, row in enumerate(bulk.rows.select_related("document")):
        document = row.document
        assert document.owner == owner
        assert document.file.read() == pdf_bytes()
        assert document.file.name != bulk.file.name  # a copy of its own, deleted with it
        (signer,) = document.signers.all()
        assert (signer.personal_code, signer.email, signer.signing_purpose, signer.language) == (
            lt_code(n),
            f"person{n}@example.test",
            "acknowledgement",
            "lt",
        )
        assert document.signings.get().status == Signing.Status.PENDING
    assert sorted(m.to[0] for m in mailoutbox) == [f"person{n}@example.test" for n in range(3)]

    progress = owner_client.get(reverse("bulk:bulk-progress-json", kwargs={"uuid": bulk.uuid})).json()
    assert {k: progress[k] for k in ("total", "done", "waiting", "sent", "failed", "percent", "final")} == {
        "total": 3,
        "done": 3,
        "waiting": 0,
        "sent": 3,
        "failed": 0,
        "percent": 100,
        "final": True,
    }
    summary = owner_client.get(reverse("bulk:bulk-summary", kwargs={"uuid": bulk.uuid})).content.decode()
    assert summary.count("Waiting for signatures") == 3
    assert "Employment terms Person2 Testnumber" in summary


def test_running_a_rows_task_again_makes_no_second_copy(owner, emulator, django_capture_on_commit_callbacks):
    bulk = started_bulk(owner, django_capture_on_commit_callbacks, count=2)
    files_before = sorted(d.file.name for d in Document.objects.all())
    for row in bulk.rows.all():
        with django_capture_on_commit_callbacks(execute=True):
            bulk_row_send(row_id=row.pk)
    assert Document.objects.count() == 2
    assert Signer.objects.count() == 2
    assert sorted(d.file.name for d in Document.objects.all()) == files_before


def test_a_copy_made_twice_at_once_keeps_one_and_deletes_the_others_bytes(
    owner, emulator, django_capture_on_commit_callbacks, monkeypatch, settings
):
    """Two deliveries of one row's task both store a copy; the second finds the row taken under its lock."""
    from bulk import sends

    bulk = started_bulk(owner, django_capture_on_commit_callbacks, count=1, run=False)
    row = bulk.rows.get()
    real_store = sends.document_file_store
    stored = []

    def store_then_lose_the_race(**kwargs):
        document = real_store(**kwargs)
        stored.append(document.file.name)
        if len(stored) == 1:
            # The other delivery finishes while this one was storing its bytes.
            with django_capture_on_commit_callbacks(execute=False):
                bulk_row_send(row_id=row.pk)
        return document

    monkeypatch.setattr(sends, "document_file_store", store_then_lose_the_race)
    with django_capture_on_commit_callbacks(execute=False):
        bulk_row_send(row_id=row.pk)
    row.refresh_from_db()
    assert Document.objects.count() == 1
    assert row.document.file.name == stored[1]
    assert not row.document.file.storage.exists(stored[0])


def test_failed_rows_show_their_reason_and_a_retry_sends_them_again(
    owner, owner_client, emulator, django_capture_on_commit_callbacks
):
    bulk = started_bulk(owner, django_capture_on_commit_callbacks, count=3)
    first, second, third = bulk.rows.order_by("line")
    # One copy could not be made; Dokobit refused another one's signing.
    BulkRow.objects.filter(pk=first.pk).update(status="failed", document=None, error="Storage was unreachable.")
    Signing.objects.filter(document=second.document).update(
        status=Signing.Status.FAILED, attention_reason="Dokobit rejected the signer's personal code."
    )
    failed_copy = second.document_id
    summary = owner_client.get(reverse("bulk:bulk-summary", kwargs={"uuid": bulk.uuid})).content.decode()
    assert "Storage was unreachable." in summary
    assert "Dokobit rejected the signer&#x27;s personal code." in summary
    assert "1 sent, 0 of them signed, 2 failed" in summary

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("bulk:bulk-retry", kwargs={"uuid": bulk.uuid}))
    assert response.status_code == 302
    rows = {row.pk: row for row in bulk.rows.select_related("document")}
    assert rows[first.pk].status == rows[second.pk].status == "created"
    assert rows[second.pk].document_id != failed_copy
    assert rows[third.pk].document_id == third.document_id
    # The refused copy stays in the owner's documents as it ended.
    assert Signing.objects.get(document_id=failed_copy).status == Signing.Status.FAILED
    assert Document.objects.count() == 5
    progress = owner_client.get(reverse("bulk:bulk-progress-json", kwargs={"uuid": bulk.uuid})).json()
    assert (progress["sent"], progress["failed"]) == (3, 0)
    assert bulk_rows_retry(bulk=bulk) == 0


def test_a_changed_stored_document_fails_the_rows_and_sends_nothing(owner, django_capture_on_commit_callbacks):
    bulk = started_bulk(owner, django_capture_on_commit_callbacks, count=1, run=False)
    BulkSend.objects.filter(pk=bulk.pk).update(sha256="0" * 64)
    bulk_row_send(row_id=bulk.rows.get().pk)
    row = bulk.rows.get()
    assert (row.status, row.error) == ("failed", "The stored document changed after upload; it was not sent.")
    assert Document.objects.count() == 0


def test_the_progress_page_works_without_javascript(owner, owner_client, django_capture_on_commit_callbacks):
    bulk = started_bulk(owner, django_capture_on_commit_callbacks, count=2, run=False)
    html = owner_client.get(reverse("bulk:bulk-progress", kwargs={"uuid": bulk.uuid})).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert '<progress id="bulk-progress-bar" max="100" value="0">' in html
    assert "0 of 2 copies made, 0 failed." in html


def test_a_template_with_a_fixed_document_needs_no_upload_for_a_bulk_send(
    owner, owner_client, emulator, django_capture_on_commit_callbacks
):
    from bulk.signing_templates import RoleData, template_create

    template = template_create(
        owner=owner,
        name="Terms",
        title_pattern="Terms {name} {date}",
        language="lt",
        deadline_days=14,
        reminders=True,
        roles=[RoleData(name="Employee", order=1, signing_purpose="signature")],
        document=pdf_upload("fixed.pdf"),
    )
    page = owner_client.get(reverse("bulk:bulk-new") + f"?template={template.uuid}").content.decode()
    assert 'value="Terms {name} {date}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("bulk:bulk-new"),
            new_bulk_post(csv_bytes([person(0)]), document="", template=str(template.uuid), title="Terms {name}"),
        )
    assert response.status_code == 302, response.content.decode()
    bulk = BulkSend.objects.get()
    assert bulk.template == template
    assert bulk.sha256 == template.sha256
    assert bulk.rows.get().document.file.read() == pdf_bytes()


def test_a_bulk_send_without_a_document_or_a_csv_says_what_is_missing(owner_client):
    data = {"title": "T", "signing_purpose": "signature", "language": "en"}
    response = owner_client.post(reverse("bulk:bulk-new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a PDF document to upload." in html
    assert "This field is required." in html
    assert BulkSend.objects.count() == 0


def test_a_file_that_is_not_a_pdf_is_refused_before_anything_is_kept(owner_client):
    response = owner_client.post(
        reverse("bulk:bulk-new"),
        new_bulk_post(csv_bytes([person(0)]), document=pdf_upload("terms.pdf", b"MZ this is not a PDF")),
    )
    assert response.status_code == 400
    assert BulkSend.objects.count() == 0


@pytest.mark.usefixtures("celery_retries_inline")
def test_a_gateway_that_answers_500_fails_one_row_with_its_reason_and_a_retry_sends_it(
    owner, owner_client, emulator, settings, django_capture_on_commit_callbacks
):
    from dokobit_emulator import faults

    # Every attempt to create the first row's signing gets Dokobit's 500; the second row's works.
    faults.arm("gateway", "500", endpoint="signing.create", times=settings.SIGNING_TASK_MAX_ATTEMPTS)
    bulk = started_bulk(owner, django_capture_on_commit_callbacks, count=2)
    first, second = bulk.rows.order_by("line").select_related("document")
    assert Signing.objects.get(document=first.document).status == Signing.Status.FAILED
    assert Signing.objects.get(document=second.document).status == Signing.Status.PENDING
    summary = owner_client.get(reverse("bulk:bulk-summary", kwargs={"uuid": bulk.uuid})).content.decode()
    assert "Needs attention" in summary
    assert "Dokobit could not be reached for a long time; the document was not sent." in summary
    assert "1 sent, 0 of them signed, 1 failed" in summary

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("bulk:bulk-retry", kwargs={"uuid": bulk.uuid}))
    first.refresh_from_db()
    assert Signing.objects.get(document=first.document).status == Signing.Status.PENDING
    progress = owner_client.get(reverse("bulk:bulk-progress-json", kwargs={"uuid": bulk.uuid}) + "?rows=1").json()
    assert (progress["sent"], progress["failed"], progress["settled"]) == (2, 0, True)
    assert [row["label"] for row in progress["rows"]] == ["Waiting for signatures"] * 2
