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


def test_an_organisations_templates_and_bulk_sends_stay_when_their_creator_deletes_the_account(
    org_world, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from organisations.spaces import SESSION_KEY

    member = org_world.users["member"]
    org_template, org_bulk = bulk_objects_of(member, organisation=org_world.organisation, label="Acme")
    _, personal_bulk = bulk_objects_of(member, label="Private")
    exported = user_data_export(user=member)
    assert sorted((t["name"], t["organisation"]) for t in exported["templates"]) == [
        ("Acme template of secrets", "Acme UAB"),
        ("Private template of secrets", None),
    ]
    assert sorted((b["title"], b["organisation"]) for b in exported["bulk_sends"]) == [
        ("Acme bulk of secrets", "Acme UAB"),
        ("Private bulk of secrets", None),
    ]
    kept = (org_bulk.file.storage, org_bulk.file.name)
    gone = (personal_bulk.file.storage, personal_bulk.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=member)
    assert list(SigningTemplate.objects.values_list("name", "owner")) == [("Acme template of secrets", None)]
    assert list(BulkSend.objects.values_list("title_pattern", "owner")) == [("Acme bulk of secrets", None)]
    assert BulkRow.objects.filter(bulk=org_bulk).count() == 1
    assert kept[0].exists(kept[1])
    assert not gone[0].exists(gone[1])
    # The organisation's admin still has them, created by "a former member", and may use the template.
    admin = org_world.client("admin")
    session = admin.session
    session[SESSION_KEY] = str(org_world.organisation.uuid)
    session.save()
    html = admin.get(reverse("bulk:template-list")).content.decode()
    assert "Acme template of secrets" in html
    assert "a former member" in html
    assert "a former member" in admin.get(reverse("bulk:bulk-list")).content.decode()
    assert admin.get(reverse("bulk:template-use", kwargs={"uuid": org_template.uuid})).status_code == 200
    assert admin.get(reverse("bulk:bulk-summary", kwargs={"uuid": org_bulk.uuid})).status_code == 200
