"""T16: least-privilege staff roles. A staff account sees and does only what its group allows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from bulk.staff_roles import BULK_STAFF_ROLES
from signing.models import Signing
from signing.staff_roles import OPERATIONS, STAFF_ROLES, SUPPORT

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:signing_document_changelist"


@pytest.fixture
def make_staff(make_user):
    def make(group: str | None, personal_code: str) -> object:
        member = make_user(country_code="EE", personal_code=personal_code, first_name=group or "No", is_staff=True)
        if group:
            member.groups.add(Group.objects.get(name=group))
        return member

    return make


def detail(document) -> str:
    return reverse("signing:document-detail", kwargs={"uuid": document.uuid})


def test_migrate_creates_the_roles_with_their_permissions():
    for name, wanted in STAFF_ROLES.items():
        group = Group.objects.get(name=name)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        # The bulk app adds its own to the same groups (bulk.staff_roles).
        assert held == set(wanted) | set(BULK_STAFF_ROLES[name])
    assert "signing.change_document" not in STAFF_ROLES[SUPPORT]


def test_support_reads_everything_and_changes_nothing(client, make_staff, live_signing):
    client.force_login(make_staff(SUPPORT, "60001019906"))
    document = live_signing.document

    changelist = client.get(reverse(CHANGELIST))
    assert changelist.status_code == 200
    assert document.title in changelist.content.decode()
    assert "Cancel the signing" not in changelist.content.decode()
    client.post(reverse(CHANGELIST), {"action": "cancel_signing", "_selected_action": [document.pk]})

    page = client.get(detail(document))
    assert page.status_code == 200
    assert 'data-testid="cancel-signing"' not in page.content.decode()
    download = client.get(reverse("signing:document-download", kwargs={"uuid": document.uuid}))
    assert download.status_code == 200
    assert client.post(reverse("signing:signing-cancel", kwargs={"uuid": document.uuid})).status_code == 404

    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING


def test_operations_acts_on_anyones_document(client, make_staff, live_signing, gateway):
    from tests.signing.conftest import GW

    gateway.post(f"{GW}/api/signing/signing-token-1/delete.json", json={"status": "ok"})
    client.force_login(make_staff(OPERATIONS, "60001019906"))
    document = live_signing.document

    page = client.get(detail(document))
    assert 'data-testid="cancel-signing"' in page.content.decode()
    response = client.post(reverse("signing:signing-cancel", kwargs={"uuid": document.uuid}))

    assert response.status_code == 302
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.CANCELLED


def test_staff_without_a_role_sees_no_one_elses_document(client, make_staff, live_signing):
    client.force_login(make_staff(None, "60001019906"))
    document = live_signing.document

    assert client.get(detail(document)).status_code == 404
    assert client.get(reverse("signing:document-download", kwargs={"uuid": document.uuid})).status_code == 404
    assert client.get(reverse(CHANGELIST)).status_code == 403
