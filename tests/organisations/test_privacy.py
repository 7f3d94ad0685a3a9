"""A member's account and the organisation's documents: the export names them, the deletion keeps them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from identity.accounts import AccountDeletionRefused, user_data_export, user_delete
from organisations.models import Role
from signing.models import Document, Signing

pytestmark = pytest.mark.django_db


def _finish_signings() -> None:
    # Only finished personal signings let an account go; the organisation's may carry on.
    Signing.objects.update(status=Signing.Status.COMPLETED)


def test_the_export_lists_the_organisation_documents_the_person_created(org_world):
    data = user_data_export(user=org_world.users["member"])
    assert [(d["title"], d["organisation"], d["created_by_you"]) for d in data["documents"]] == [
        ("Member's supply contract", "Acme UAB", True)
    ]
    assert data["organisations"] == [
        {
            "organisation": "Acme UAB",
            "registration_code": "304050607",
            "role": "member",
            "joined": org_world.memberships["member"].joined_at.isoformat(),
        }
    ]


def test_deleting_an_account_keeps_its_organisation_documents(org_world):
    member = org_world.users["member"]
    document = org_world.documents["by_member"]
    # Its signing is still open: that does not stop the deletion, the organisation carries on with it.
    assert document.signings.get().status == Signing.Status.PENDING
    user_delete(user=member)
    document.refresh_from_db()
    assert document.owner is None
    assert document.organisation == org_world.organisation
    page = org_world.client("admin").get(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
    assert page.status_code == 200
    assert 'data-testid="document-creator">a former member<' in page.content.decode()


def test_deleting_an_account_deletes_its_personal_documents(org_world):
    admin = org_world.users["admin"]
    org_world.memberships["member"].role = Role.ADMIN
    org_world.memberships["member"].save()
    _finish_signings()
    personal = org_world.documents["personal"]
    stored = personal.file.name
    user_delete(user=admin)
    assert not Document.objects.filter(pk=personal.pk).exists()
    assert not personal.file.storage.exists(stored)
    # The admin's organisation documents stay.
    assert Document.objects.filter(title="Admin's board minutes", owner=None).exists()


def test_the_only_admin_of_an_organisation_with_members_cannot_delete_their_account(org_world):
    _finish_signings()
    with pytest.raises(AccountDeletionRefused) as refused:
        user_delete(user=org_world.users["admin"])
    assert "only admin of an organisation" in str(refused.value.message)
    assert Document.objects.filter(pk=org_world.documents["personal"].pk).exists()
