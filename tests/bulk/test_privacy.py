"""Templates and bulk sends in a person's data download and in their account's deletion."""

from __future__ import annotations

import json

import pytest

from bulk.models import BulkRow, BulkSend, SigningTemplate
from identity.accounts import user_data_export, user_delete
from tests.bulk.helpers import bulk_objects_of, lt_code

pytestmark = pytest.mark.django_db


def test_the_download_lists_templates_and_bulk_sends_without_anyones_personal_code(owner):
    template, bulk = bulk_objects_of(owner)
    data = user_data_export(user=owner)
    assert [t["name"] for t in data["templates"]] == [template.name]
    assert data["templates"][0]["roles"] == [{"role": "Employee", "order": 1, "signing_purpose": "signature"}]
    assert [(b["title"], b["people"]) for b in data["bulk_sends"]] == [(bulk.title_pattern, 1)]
    assert lt_code(0) not in json.dumps(data)


def test_deleting_the_account_deletes_templates_bulk_sends_and_their_stored_files(
    owner, django_capture_on_commit_callbacks
):
    template, bulk = bulk_objects_of(owner)
    from django.core.files.base import ContentFile

    template.file.save("t.pdf", ContentFile(b"%PDF-1.4 fixed"), save=True)
    stored = [(template.file.storage, template.file.name), (bulk.file.storage, bulk.file.name)]
    assert all(storage.exists(name) for storage, name in stored)
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=owner)
    assert (SigningTemplate.objects.count(), BulkSend.objects.count(), BulkRow.objects.count()) == (0, 0, 0)
    assert not any(storage.exists(name) for storage, name in stored)
