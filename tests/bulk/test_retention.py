"""Bulk sends do not outlive their purpose: drafts go after the holding time, sent ones with their last copy."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from bulk.models import BulkRow, BulkSend
from bulk.retention import bulk_sends_purge
from signing.models import Document
from tests.bulk.helpers import bulk_objects_of
from tests.signing.helpers import make_document

pytestmark = pytest.mark.django_db


def aged(bulk: BulkSend, **delta) -> None:
    BulkSend.objects.filter(pk=bulk.pk).update(created_at=timezone.now() - datetime.timedelta(**delta))


def test_a_draft_goes_after_the_holding_time_with_its_stored_pdf(owner, settings):
    from tests.bulk.helpers import bulk_draft

    settings.SIGNING_UPLOAD_HOLDING_HOURS = 24
    draft = bulk_draft(owner)
    storage, name = draft.file.storage, draft.file.name
    aged(draft, hours=23)
    assert bulk_sends_purge() == 0
    aged(draft, hours=25)
    assert bulk_sends_purge() == 1
    assert not BulkSend.objects.filter(pk=draft.pk).exists()
    assert not storage.exists(name)


def test_a_sent_one_stays_while_a_copy_is_kept_and_goes_with_the_last(owner, settings):
    settings.DOCUMENT_RETENTION_DAYS = 30
    _, bulk = bulk_objects_of(owner)
    row = bulk.rows.get()
    copy = make_document(owner, title="copy")
    BulkRow.objects.filter(pk=row.pk).update(document=copy, status="created")
    aged(bulk, days=40)
    assert bulk_sends_purge() == 0  # its copy is still kept
    Document.objects.filter(pk=copy.pk).delete()  # as the documents' retention purge does
    assert bulk_sends_purge() == 1
    assert (BulkSend.objects.count(), BulkRow.objects.count()) == (0, 0)


def test_nothing_sent_goes_when_documents_are_kept_for_ever(owner, settings):
    settings.DOCUMENT_RETENTION_DAYS = 0
    _, bulk = bulk_objects_of(owner)
    aged(bulk, days=4000)
    assert bulk_sends_purge() == 0
