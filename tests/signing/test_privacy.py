"""Data protection: download one's data, delete one's account, retention of finished documents."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from identity.models import User
from signing.models import Document, Signing
from signing.privacy import finished_documents_purge

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
