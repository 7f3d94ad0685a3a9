"""Data protection: download one's data, delete one's account, retention of finished documents,
stored files no row points to."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.utils import timezone
from freezegun import freeze_time

from identity.models import User
from signing.models import Document, Signing
from signing.preview import document_preview_pages, preview_cache_prefix
from signing.privacy import finished_documents_purge, stored_files_orphaned_purge
from tests.services.conftest import blank_pdf
from tests.signing.conftest import upload_document

pytestmark = pytest.mark.django_db


def test_download_my_data_has_my_documents_and_my_code(client, owner, live_signing):
    client.force_login(owner)
    response = client.get("/profile/data/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["person"]["personal_code"] == owner.personal_code
    assert [d["title"] for d in data["documents"]] == [live_signing.document.title]
    assert len(data["documents"][0]["signers"]) == 2


def test_account_with_a_signing_in_progress_is_not_deleted(client, owner, live_signing):
    client.force_login(owner)
    response = client.post("/profile/delete/", follow=True)
    assert User.objects.filter(pk=owner.pk).exists()
    assert Document.objects.filter(pk=live_signing.document_id).exists()
    assert "still being signed" in response.content.decode()


def test_account_deletion_removes_documents_and_files_and_logs_out(client, owner, live_signing):
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.COMPLETED)
    document = live_signing.document
    path = document.file.path
    client.force_login(owner)
    response = client.post("/profile/delete/")
    assert response.status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not Document.objects.filter(pk=document.pk).exists()
    import os

    assert not os.path.exists(path)
    assert client.get("/dashboard/").status_code == 302  # logged out


def test_finished_documents_are_purged_after_the_retention_period(settings, live_signing):
    settings.DOCUMENT_RETENTION_DAYS = 30
    later = timezone.now() + timedelta(days=31)
    with freeze_time(later):
        assert finished_documents_purge() == 0  # still being signed: kept however old
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.COMPLETED)
    with freeze_time(timezone.now() + timedelta(days=29)):
        assert finished_documents_purge() == 0  # finished, but not long enough ago
    with freeze_time(later):
        assert finished_documents_purge() == 1
    assert not Document.objects.filter(pk=live_signing.document_id).exists()


def test_retention_zero_keeps_everything(settings, live_signing):
    settings.DOCUMENT_RETENTION_DAYS = 0
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.COMPLETED)
    with freeze_time(timezone.now() + timedelta(days=3650)):
        assert finished_documents_purge() == 0
    assert Document.objects.filter(pk=live_signing.document_id).exists()


def stored_names() -> set[str]:
    names = set()
    for folder in ("documents", "signed", "previews"):
        if not default_storage.exists(folder):
            continue
        dirs, files = default_storage.listdir(folder)
        names |= {f"{folder}/{name}" for name in files}
        for digest in dirs:
            names |= {f"{folder}/{digest}/{leaf}" for leaf in default_storage.listdir(f"{folder}/{digest}")[1]}
    return names


def test_files_no_row_points_to_are_deleted_after_a_day_and_the_rest_is_kept(owner, signer_data):
    def pdf(tag: str) -> bytes:
        return blank_pdf() + f"% {tag}\n".encode()  # distinct bytes, distinct preview folders

    kept_document = upload_document(owner, signers=[signer_data(0)], title="Kept", pdf=pdf("kept"))
    document_preview_pages(document=kept_document)
    kept = stored_names()
    assert kept_document.file.name in kept
    assert any(name.startswith(preview_cache_prefix(kept_document.sha256)) for name in kept)

    # An upload whose transaction fails after its file was stored leaves the file behind.
    failing_insert = mock.patch(
        "signing.documents.Signing.objects.create", side_effect=DatabaseError("connection lost")
    )
    with failing_insert, pytest.raises(DatabaseError):
        upload_document(owner, signers=[signer_data(0)], title="Lost upload", pdf=pdf("lost"))
    assert not Document.objects.filter(title="Lost upload").exists()
    # So do a signed file whose signing could not be saved, and a deletion cut short after its rows.
    default_storage.save("signed/0f7c5a3e-0000-4000-8000-000000000000.pdf", ContentFile(b"%PDF-1.7 signed"))
    gone = upload_document(owner, signers=[signer_data(1)], title="Deleted", pdf=pdf("gone"))
    document_preview_pages(document=gone)
    Document.objects.filter(pk=gone.pk).delete()
    orphans = stored_names() - kept
    assert len([name for name in orphans if name.startswith("documents/")]) == 2
    assert len([name for name in orphans if name.startswith("signed/")]) == 1
    assert any(name.startswith(preview_cache_prefix(gone.sha256)) for name in orphans)

    # Under a day old they may belong to a transaction still running: kept.
    assert stored_files_orphaned_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert stored_names() == kept | orphans

    assert stored_files_orphaned_purge(now=timezone.now() + timedelta(hours=25)) == len(orphans)
    assert stored_names() == kept
    assert kept_document.file.storage.open(kept_document.file.name).read() == pdf("kept")


def test_my_data_names_the_order_the_companies_and_the_copy_recipients(client, owner, live_signing):
    from signing.copies import CopyRecipientData, copy_recipient_new
    from signing.models import Signer

    document = live_signing.document
    Signer.objects.filter(document=document).update(company="UAB Example", company_position="CEO")
    data = CopyRecipientData(name="Carol", email="carol@example.test", language="en")
    copy_recipient_new(document=document, data=data).save()
    client.force_login(owner)
    exported = json.loads(client.get("/profile/data/").content)["documents"][0]
    assert exported["signing_order"] == "parallel"
    assert {s["on_behalf_of"] for s in exported["signers"]} == {"CEO, UAB Example"}
    assert exported["copy_recipients"] == [{"name": "Carol", "email": "carol@example.test", "may_read": False}]
